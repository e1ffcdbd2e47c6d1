/**
 * What a session is told of the changes gathered since it last heard, and in which order: a
 * batch is coalesced as Dovecot does after its notification delay (docs/servers.md): expunges
 * first, then one EXISTS for the new messages, then the new flags of messages still there; a flag
 * change of a message expunged in the same batch is not told, nor one the session made itself
 * with STORE .SILENT. Expunges wait while the command running may not see them.
 */
import type { Change } from "./Store.ts"

/** The batch, sorted into what to tell now and what to keep for later. */
export interface Plan {
  readonly expunged: ReadonlyArray<number>
  readonly added: ReadonlyArray<number>
  readonly flagged: ReadonlyArray<number>
  readonly kept: ReadonlyArray<Change>
}

/** Plans a batch for session `self` (the origin of its own changes). */
export const plan = (
  pending: ReadonlyArray<Change>,
  self: unknown,
  options: { readonly tellExpunges: boolean; readonly holdAdded: boolean }
): Plan => {
  const kept: Array<Change> = []
  const gone = new Set<number>()
  for (const c of pending) {
    if (c._tag !== "Expunged") continue
    if (options.tellExpunges) gone.add(c.uid)
    else kept.push(c)
  }
  const added: Array<number> = []
  const flagged: Array<number> = []
  for (const c of pending) {
    if (c._tag === "Added") {
      if (options.holdAdded) kept.push(c)
      else if (!gone.has(c.uid) && !added.includes(c.uid)) added.push(c.uid)
    } else if (c._tag === "FlagsChanged") {
      if (gone.has(c.uid) || (c.origin === self && c.silent) || flagged.includes(c.uid)) continue
      flagged.push(c.uid)
    }
  }
  return { expunged: [...gone], added, flagged, kept }
}
