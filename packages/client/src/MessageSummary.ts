/**
 * A message as a list shows it: UID, subject, sender, date, flags and size, read from one FETCH of
 * UID, FLAGS, ENVELOPE, RFC822.SIZE and INTERNALDATE. The watcher's `NewMessage` and the CLI's
 * `subjects` and `watch` lines are this summary, so what a message "is" in a listing has one owner:
 * the items asked for and how the envelope's encoded words and dates are read.
 */
import { Address, Command, DateTime, EncodedWord, type Envelope, type FetchData, type SequenceSet } from "@pkg/protocol"

/** One message as a listing shows it, read from a FETCH of `items`. */
export interface MessageSummary {
  readonly mailbox: string
  readonly uid: SequenceSet.Uid
  readonly uidValidity: number
  readonly seq: number
  /** Decoded from RFC 2047 encoded words. */
  readonly subject: string | undefined
  readonly from: ReadonlyArray<Address.MailAddress>
  /** The Date header, else the server's INTERNALDATE. */
  readonly date: Date | undefined
  readonly internalDate: Date | undefined
  readonly flags: ReadonlyArray<string>
  readonly size: number | undefined
  readonly envelope: Envelope | undefined
}

/**
 * The FETCH items a summary is read from. Pass them to `fetch`.
 *
 * @example
 * ```ts
 * import { type ImapSession, MessageSummary } from "@pkg/client"
 * import { SequenceSet } from "@pkg/protocol"
 * import { Stream } from "effect"
 *
 * export const summaries = (client: ImapSession, uidValidity: number) =>
 *   client
 *     .fetch(SequenceSet.all("seq"), MessageSummary.items)
 *     .pipe(Stream.map((f) => MessageSummary.fromFetch("INBOX", uidValidity, f)))
 * ```
 */
export const items = [
  Command.Attr.uid,
  Command.Attr.flags,
  Command.Attr.envelope,
  Command.Attr.rfc822Size,
  Command.Attr.internalDate
] as const

/**
 * A FETCH response of `items` (with UID, as the client's FETCH guarantees when UID is asked for) as
 * a summary. A response without UID is a caller's mistake (it did not ask for UID), not a message
 * with UID 0: it throws.
 */
export const fromFetch = (mailbox: string, uidValidity: number, f: FetchData): MessageSummary => {
  const a = f.attributes
  if (a.uid === undefined) throw new Error(`MessageSummary: the FETCH of message ${f.seq} carries no UID (ask for it)`)
  const envelope = a.envelope
  const internalDate = a.internalDate === undefined ? undefined : DateTime.parseInternalDate(a.internalDate)
  const sent = envelope?.date === undefined ? undefined : DateTime.parseEnvelopeDate(envelope.date)
  return {
    mailbox,
    uid: a.uid,
    uidValidity,
    seq: f.seq,
    subject: EncodedWord.decode(envelope?.subject),
    from: envelope === undefined ? [] : Address.fromEnvelopeList(envelope.from),
    date: sent ?? internalDate,
    internalDate,
    flags: a.flags ?? [],
    size: a.size,
    envelope
  }
}

/**
 * A summary as JSON: what `imap subjects --json` and `imap watch --json` print per message, and what
 * the fleet's outbox stores. Absent values are null (a JSON reader sees every key), the date is ISO
 * 8601 in UTC, senders are decoded.
 */
export interface Json {
  readonly uid: number
  readonly uidValidity: number
  readonly seq: number
  readonly subject: string | null
  readonly from: ReadonlyArray<{ readonly name: string | null; readonly address: string | null }>
  readonly date: string | null
  readonly flags: ReadonlyArray<string>
  readonly size: number | null
}

/** The JSON object of a summary (see `Json`). */
export const toJson = (m: MessageSummary): Json => ({
  uid: m.uid,
  uidValidity: m.uidValidity,
  seq: m.seq,
  subject: m.subject ?? null,
  from: m.from.map((a) => ({ name: a.name ?? null, address: a.address ?? null })),
  date: m.date?.toISOString() ?? null,
  flags: m.flags,
  size: m.size ?? null
})
