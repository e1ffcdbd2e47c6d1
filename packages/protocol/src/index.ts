/**
 * `@pkg/protocol`: a pure IMAP4rev1 / IMAP4rev2 codec, no I/O. Bytes in any chunking become typed
 * responses (`Framer`, `ResponseParser`, `ResponseDecoder`); typed commands become bytes that can
 * never hold a raw CR, LF or NUL outside a literal (`CommandEncoder`). The server side (command
 * parser, response encoder) is in `@pkg/protocol/testing`; fast-check generators of every command
 * and response in `@pkg/protocol/testing/arbitraries`.
 *
 * @module
 */

/** Mailbox names: modified UTF-7 (RFC 9051 5.1.3) to and from Unicode. */
export * as MailboxName from "./MailboxName.ts"

/** RFC 2047 encoded words in ENVELOPE subjects and display names. */
export * as EncodedWord from "./EncodedWord.ts"

/** ENVELOPE address lists as readers see them: decoded names, `mailbox@host`, groups. */
export * as Address from "./Address.ts"

/** The dates IMAP carries (INTERNALDATE, the ENVELOPE `Date:`, SEARCH dates) to and from `Date`. */
export * as DateTime from "./DateTime.ts"

/** Sequence sets of message numbers or UIDs, with branded UIDs. */
export * as SequenceSet from "./SequenceSet.ts"

/** Message flags: system flags, keywords, their validity and comparison. */
export * as Flag from "./Flag.ts"

/** SEARCH criteria as typed keys. */
export * as SearchKey from "./SearchKey.ts"

/** Every command a client sends, as typed data, and its constructors. */
export * as Command from "./Command.ts"

/** Typed commands to bytes, split at synchronising literals. */
export * as CommandEncoder from "./CommandEncoder.ts"

export {
  /** The error of the command encoder: a value that cannot go on the wire safely. */
  EncodeError
} from "./EncodeError.ts"

/** The incremental framer: a byte stream to complete response frames. */
export * as Framer from "./Framer.ts"

/** One response frame to a typed `Response`. */
export * as ResponseParser from "./ResponseParser.ts"

/** Framer and parser in one step: byte chunks to typed responses. */
export * as ResponseDecoder from "./ResponseDecoder.ts"

/** effect/Schema models of the response types, for validation and serialisation at the edges. */
export * as Schemas from "./Schemas.ts"

export {
  /** The error of the incoming side: bytes that are not a valid response, or break a limit. */
  ParseError
} from "./ParseError.ts"

/** The typed responses: tagged, untagged and continuation, with FETCH attributes and body structures. */
export type * from "./Response.ts"

export type {
  /** An ENVELOPE address as the server sent it, named so as not to clash with the `Address` module. */
  Address as EnvelopeAddress
} from "./Response.ts"
