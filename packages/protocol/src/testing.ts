/**
 * `@pkg/protocol/testing`: the server side of the codec, for tests and scripted servers. A client
 * never parses commands or encodes responses; these two live apart from the main entry point so
 * that what a client imports stays the client's half.
 *
 * @module
 */
export * as CommandParser from "./CommandParser.ts"
export * as ResponseEncoder from "./ResponseEncoder.ts"
