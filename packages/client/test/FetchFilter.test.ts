/**
 * FetchFilter: which FETCH responses answer a FETCH command, as a table. Replies to sets with `*`
 * count whatever UID the server names; unsolicited flag updates do not; a reply that carries the
 * data asked for but not the UID asked for is a protocol violation, never a message without UID.
 */
import { describe, expect, it } from "@effect/vitest"
import { Command, type FetchData, SequenceSet } from "@pkg/protocol"
import * as FetchFilter from "../src/internal/FetchFilter.ts"

const uidSet = (text: string) => SequenceSet.parse(text, "uid")
const seqSet = (text: string) => SequenceSet.parse(text, "seq")
const envelope = { date: undefined, subject: "s" } as unknown as NonNullable<FetchData["attributes"]["envelope"]>
const response = (seq: number, attributes: FetchData["attributes"]): FetchData => ({ _tag: "Fetch", seq, attributes })
const uid = SequenceSet.Uid
const summary: Command.FetchItems = [Command.Attr.uid, Command.Attr.flags, Command.Attr.envelope]
const uidOnly: Command.FetchItems = [Command.Attr.uid]
const uidFlags: Command.FetchItems = [Command.Attr.uid, Command.Attr.flags]
const envelopeOnly: Command.FetchItems = [Command.Attr.envelope]

describe("FetchFilter.classify", () => {
  it.each([
    ["UID FETCH * (UID): the server's highest UID", uidSet("*"), uidOnly, response(3, { uid: uid(35) }), "ours"],
    ["UID FETCH 100:* with highest UID 35", uidSet("100:*"), summary, response(3, { uid: uid(35), envelope }), "ours"],
    ["UID FETCH 2:4: a UID outside", uidSet("2:4"), summary, response(9, { uid: uid(9), envelope }), "other"],
    ["flag update during a content fetch", uidSet("1:*"), summary, response(2, { uid: uid(2), flags: [] }), "other"],
    ["flag update without UID during UID FETCH", uidSet("1:*"), summary, response(2, { flags: [] }), "other"],
    ["content without UID during UID FETCH", uidSet("1:*"), summary, response(2, { envelope }), "missingUid"],
    ["FETCH 1:* (UID ...): content without UID", seqSet("1:*"), summary, response(2, { envelope }), "missingUid"],
    ["FETCH 1:* (UID FLAGS): flags without UID", seqSet("1:*"), uidFlags, response(2, { flags: [] }), "other"],
    ["FETCH 1:* (ENVELOPE): no UID asked", seqSet("1:*"), envelopeOnly, response(2, { envelope }), "ours"],
    [
      "FETCH 5:*, sequence number past EXISTS",
      seqSet("5:*"),
      summary,
      response(11, { uid: uid(11), envelope }),
      "other"
    ],
    ["FETCH 5:*, within EXISTS", seqSet("5:*"), summary, response(7, { uid: uid(7), envelope }), "ours"]
  ] as const)("%s", (_name, set, items, r, verdict) => {
    expect(FetchFilter.classify(FetchFilter.make(set, items), r, 10)).toBe(verdict)
  })
})
