/**
 * `@pkg/protocol/testing/arbitraries`: fast-check generators of every `Command` and `Response`, for
 * property tests of code that speaks IMAP (a client's handling of what a server may send, a test
 * server's reading of what a client may write). A subpath of its own, not part of
 * `@pkg/protocol/testing`, because it imports fast-check: an optional peer dependency that only
 * the users of this subpath install, and whose copy (theirs) must be the one their `fc.assert`
 * runs the arbitraries with.
 *
 * @module
 */
/** Arbitraries of every `Command`, with well-formed or hostile strings in their fields. */
export * as CommandArbitraries from "./CommandArbitraries.ts"

/** Arbitraries of every `Response`, in the canonical form the parser gives back. */
export * as ResponseArbitraries from "./ResponseArbitraries.ts"
