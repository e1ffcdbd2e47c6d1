/**
 * Which untagged FETCH responses answer a FETCH command. A server may send FETCH responses of its
 * own at any time (another session changed a message's flags), so a response is the command's only
 * if it is about a message the command named and, when the command asked for data beyond
 * UID/FLAGS/MODSEQ, carries some. A response that does answer but lacks the UID the command asked for
 * breaks the protocol (RFC 9051 6.4.9: UID FETCH replies always carry UID) and is reported as such:
 * a message must never be handed on under a UID nobody sent.
 */
import { type Command, type FetchData, SequenceSet } from "@pkg/protocol"

export type Verdict = "ours" | "other" | "missingUid"

export interface FetchFilter {
  readonly set: SequenceSet.SequenceSet<"uid"> | SequenceSet.SequenceSet<"seq">
  /** Asked for data other than UID, FLAGS and MODSEQ: only a response carrying some is ours. */
  readonly content: boolean
  /** The UID is asked for (UID FETCH, or a UID item): a response without it is a violation. */
  readonly uid: boolean
}

export const make = (
  set: SequenceSet.SequenceSet<"uid"> | SequenceSet.SequenceSet<"seq">,
  items: Command.FetchItems
): FetchFilter => ({
  set,
  content:
    typeof items === "string" || items.some((i) => i._tag !== "Uid" && i._tag !== "Flags" && i._tag !== "ModSeq"),
  uid: set.kind === "uid" || (typeof items !== "string" && items.some((i) => i._tag === "Uid"))
})

/** Data other than UID, FLAGS and MODSEQ: what an unsolicited flag update never carries. */
const hasContent = (a: FetchData["attributes"]): boolean => {
  // for-in rather than Object.keys(...).some(...): no array and no closure per response.
  for (const k in a) if (k !== "uid" && k !== "flags" && k !== "modSeq") return true
  return false
}

/** A FETCH that only says a message's flags changed (unsolicited), as opposed to data a command asked for. */
export const isFlagUpdate = (r: FetchData): boolean => r.attributes.flags !== undefined && !hasContent(r.attributes)

/** `exists` is the selected mailbox's message count: what `*` means for sequence numbers. */
export const classify = (filter: FetchFilter, r: FetchData, exists: number): Verdict => {
  const a = r.attributes
  if (filter.set.kind === "uid") {
    // `*` is the highest UID in use, which only the server knows (Courier's `UID FETCH *`).
    if (a.uid !== undefined && !SequenceSet.mayContain(filter.set, a.uid)) return "other"
  } else if (!SequenceSet.contains(filter.set, r.seq, exists)) return "other"
  if (filter.content && !hasContent(a)) return "other"
  // Without UID, only data asked for tells a reply from a flag update another session caused.
  if (filter.uid && a.uid === undefined) return filter.content ? "missingUid" : "other"
  return "ours"
}
