/**
 * Which messages a command names, in a session's numbering: sequence sets and UID sets resolved
 * against the session's view (RFC 9051 6.4.8: `*` is the highest number in use, and `n:*` with `n`
 * above it still names the last message), and when a session may be told of expunges.
 */
import type { Command, SequenceSet } from "@pkg/protocol"
import { SequenceSet as Sets } from "@pkg/protocol"

/**
 * Indexes (0-based) into `view` (the session's UIDs in sequence order) that `set` names: by
 * sequence number for a `seq` set, by UID for a `uid` set. Ascending, each once.
 */
export const resolve = (
  set: SequenceSet.SequenceSet<"seq"> | SequenceSet.SequenceSet<"uid">,
  view: ReadonlyArray<number>
): Array<number> => {
  if (view.length === 0) return []
  const out: Array<number> = []
  if (set.kind === "seq") {
    for (let i = 0; i < view.length; i++) if (Sets.contains(set, i + 1, view.length)) out.push(i)
    return out
  }
  const maxUid = view[view.length - 1]!
  for (let i = 0; i < view.length; i++) if (Sets.contains(set, view[i]!, maxUid)) out.push(i)
  return out
}

/** True for a sequence set that names a number above `count` (`FETCH 5` with 3 messages): BAD per RFC 9051 6.4.5. */
export const outOfRange = (set: SequenceSet.SequenceSet<"seq">, count: number): boolean =>
  set.ranges.some((r) => (r.start !== "*" && r.start > count) || (r.end !== "*" && r.end > count))

/**
 * RFC 9051 7.5.1: no EXPUNGE may be sent during FETCH, STORE or SEARCH by sequence number (nor
 * COPY/MOVE, whose numbers would shift), since the client could no longer tell which message a
 * number meant. Other changes (EXISTS, flags) may be sent at the end of any command.
 */
export const mayTellExpunges = (command: Command.CommandTag): boolean =>
  command !== "Fetch" && command !== "Store" && command !== "Search" && command !== "Copy" && command !== "Move"
