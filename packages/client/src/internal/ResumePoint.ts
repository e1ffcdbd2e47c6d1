/**
 * Where a watcher session starts, decided without I/O once the mailbox is open: from what the
 * watcher knows (the checkpoint the previous session handed on, else the stored one), the mailbox's
 * UIDVALIDITY and highest UID, `sinceUid` and the UIDVALIDITY policy. Then whether a CONDSTORE resync
 * is due, from the checkpoint's mod-sequence and the server's HIGHESTMODSEQ (RFC 7162 3.1.2.1).
 */
import type { Checkpoint } from "../Checkpoint.ts"
import type { UidValidityChanged, UidValidityPolicy } from "../Watcher.ts"

/**
 * The highest UID in the mailbox from what SELECT/EXAMINE said: UIDNEXT - 1; an empty mailbox has
 * none (0). `undefined`: the server did not say (Courier sends no UIDNEXT), ask it.
 */
export const highestUid = (box: {
  readonly uidNext: number | undefined
  readonly exists: number
}): number | undefined => (box.uidNext !== undefined ? box.uidNext - 1 : box.exists === 0 ? 0 : undefined)

export interface ResumeInput {
  readonly mailbox: string
  /** Handed on by the previous session (events buffered count as delivered), else the stored checkpoint. */
  readonly known: Checkpoint | undefined
  readonly uidValidity: number
  /** The highest UID in the mailbox now (`highestUid`, or the server's answer). */
  readonly highestUid: number
  readonly sinceUid: number | undefined
  readonly policy: UidValidityPolicy
}

export type Resume =
  /** The `fail` policy: report the change, then end with the non-retryable error. */
  | { readonly _tag: "Stop"; readonly changed: UidValidityChanged }
  | {
      readonly _tag: "Start"
      /** The session's first FETCH asks for `from.lastUid + 1:*`. */
      readonly from: Checkpoint
      /** Reported before anything of the new epoch; `from` is committed once the consumer is past it. */
      readonly changed: UidValidityChanged | undefined
      /** `from` is to be stored (a fresh start, or a new epoch: behind `changed`). */
      readonly save: boolean
    }

export const resume = (input: ResumeInput): Resume => {
  const { known, uidValidity } = input
  if (known === undefined) {
    // Nothing delivered yet: `sinceUid`, else only what arrives from now on.
    const from = { uidValidity, lastUid: input.sinceUid ?? input.highestUid, highestModSeq: undefined }
    return { _tag: "Start", from, changed: undefined, save: true }
  }
  if (known.uidValidity === uidValidity) {
    const from = { uidValidity, lastUid: known.lastUid, highestModSeq: known.highestModSeq }
    return { _tag: "Start", from, changed: undefined, save: false }
  }
  // Every UID (and mod-sequence) known before is void (RFC 9051 2.3.1.1).
  const changed: UidValidityChanged = {
    _tag: "UidValidityChanged",
    mailbox: input.mailbox,
    previous: known.uidValidity,
    current: uidValidity,
    policy: input.policy
  }
  if (input.policy === "fail") return { _tag: "Stop", changed }
  const lastUid = input.policy === "replay" ? 0 : input.highestUid
  return { _tag: "Start", from: { uidValidity, lastUid, highestModSeq: undefined }, changed, save: true }
}

export type Resync =
  /** No CONDSTORE, nothing delivered to catch up on, or nothing changed since the checkpoint. */
  | { readonly _tag: "UpToDate" }
  /** No mod-sequence in the checkpoint: take the server's as the point delivered up to, and store it. */
  | { readonly _tag: "Adopt"; readonly highestModSeq: string }
  /** Ask for the changes to UIDs 1..lastUid since `since`; the checkpoint then moves to `until`. */
  | { readonly _tag: "CatchUp"; readonly since: bigint; readonly until: string }

export const resync = (from: Checkpoint, serverModSeq: bigint | undefined): Resync => {
  if (serverModSeq === undefined) return { _tag: "UpToDate" }
  if (from.highestModSeq === undefined) return { _tag: "Adopt", highestModSeq: serverModSeq.toString() }
  if (from.lastUid <= 0) return { _tag: "UpToDate" }
  const since = BigInt(from.highestModSeq)
  return serverModSeq > since ? { _tag: "CatchUp", since, until: serverModSeq.toString() } : { _tag: "UpToDate" }
}
