/**
 * `@pkg/protocol/testing`: the server side of the codec, for tests and scripted servers. A client
 * never parses commands or encodes responses; these two live apart from the main entry point so
 * that what a client imports stays the client's half. The fast-check generators of commands and
 * responses are at `@pkg/protocol/testing/arbitraries`, apart from these two so that importing
 * them needs no fast-check installed.
 *
 * @module
 */
/** Client commands from bytes back to typed `Command`s, as a server reads them. */
export * as CommandParser from "./CommandParser.ts"

/** Typed `Response`s to bytes, as a server writes them. */
export * as ResponseEncoder from "./ResponseEncoder.ts"
