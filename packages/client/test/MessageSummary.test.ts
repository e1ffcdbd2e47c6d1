/**
 * MessageSummary.fromFetch, the one reading of "uid, subject, sender, date" that the watcher's
 * NewMessage and the CLI's subjects/watch lines share: encoded words decoded, the Date header
 * preferred to INTERNALDATE and INTERNALDATE used when there is none, a message without envelope
 * summarised as empty, and a response without UID refused rather than summarised as UID 0.
 */
import { assert, describe, it } from "@effect/vitest"
import { type Envelope, type FetchData, SequenceSet } from "@pkg/protocol"
import * as MessageSummary from "../src/MessageSummary.ts"

const envelope = (date: string | undefined, subject: string | undefined): Envelope => ({
  date,
  subject,
  from: [{ name: "=?UTF-8?Q?Jos=C3=A9?=", adl: undefined, mailbox: "jose", host: "example.com" }],
  sender: [],
  replyTo: [],
  to: [],
  cc: [],
  bcc: [],
  inReplyTo: undefined,
  messageId: undefined
})
const fetched = (attributes: FetchData["attributes"]): FetchData => ({ _tag: "Fetch", seq: 3, attributes })
const uid = SequenceSet.Uid(42)
const internalDate = "26-Nov-2026 10:00:00 +0000"

describe("MessageSummary.fromFetch", () => {
  it("decodes the subject and sender and takes the Date header", () => {
    const m = MessageSummary.fromFetch(
      "INBOX",
      7,
      fetched({
        uid,
        flags: ["\\Seen"],
        size: 120,
        internalDate,
        envelope: envelope("Thu, 26 Nov 2026 09:30:00 +0100", "=?UTF-8?B?SMOpbGxv?= there")
      })
    )
    assert.strictEqual(m.subject, "Héllo there")
    assert.deepStrictEqual(m.from, [{ name: "José", address: "jose@example.com" }])
    assert.strictEqual(m.date?.toISOString(), "2026-11-26T08:30:00.000Z")
    assert.strictEqual(m.internalDate?.toISOString(), "2026-11-26T10:00:00.000Z")
    assert.deepStrictEqual([m.mailbox, m.uid, m.uidValidity, m.seq, m.size], ["INBOX", uid, 7, 3, 120])
    assert.deepStrictEqual(m.flags, ["\\Seen"])
  })

  it("without a Date header, the date is INTERNALDATE", () => {
    const m = MessageSummary.fromFetch("INBOX", 7, fetched({ uid, internalDate, envelope: envelope(undefined, "s") }))
    assert.strictEqual(m.date?.toISOString(), "2026-11-26T10:00:00.000Z")
  })

  it("without an envelope: no subject, no sender, no flags", () => {
    const m = MessageSummary.fromFetch("INBOX", 7, fetched({ uid }))
    assert.deepStrictEqual([m.subject, m.from, m.date, m.flags, m.envelope], [undefined, [], undefined, [], undefined])
  })

  it("refuses a response without UID instead of summarising it as UID 0", () => {
    assert.throws(() => MessageSummary.fromFetch("INBOX", 7, fetched({ flags: [] })), /carries no UID/)
  })
})
