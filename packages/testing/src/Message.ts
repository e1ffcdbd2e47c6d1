/**
 * A stored message as the test server answers about it: its ENVELOPE, its BODYSTRUCTURE and the
 * bytes of any `BODY[section]`, computed from the raw RFC 5322 bytes.
 *
 * INTERFACE ONLY (the #13 contract between the server and the MIME model): the bodies below are
 * placeholders that the MIME work replaces; nothing may call this done while they throw.
 *
 * @module
 */
import type { BodyStructure, Command, Envelope } from "@pkg/protocol"

/** One message's raw bytes and what the server derives from them. */
export interface Message {
  readonly raw: Uint8Array
  /** RFC822.SIZE: octets of `raw`. */
  readonly size: number
  readonly envelope: Envelope
  readonly bodyStructure: BodyStructure
}

/**
 * Parses raw message bytes. Never fails: a message whose MIME is broken still gets the structure a
 * server gives it (a single text/plain part, as Dovecot does).
 */
export const parse = (raw: Uint8Array): Message => {
  void raw
  throw new Error("Message.parse: not implemented yet (#13 MIME model)")
}

/**
 * The bytes `BODY[section]` answers with, before any `<origin.length>` partial is applied;
 * undefined when the section does not exist (the server answers NIL or an empty string as RFC 9051
 * 6.4.5 says).
 */
export const section = (message: Message, section: Command.Section): Uint8Array | undefined => {
  void message
  void section
  throw new Error("Message.section: not implemented yet (#13 MIME model)")
}
