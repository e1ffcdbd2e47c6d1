/**
 * IMAP IDLE (RFC 2177) as users of `session.idle()` see it: the typed mailbox events it streams and
 * the options that pace it. The loop behind it (internal/IdleLoop.ts: one IDLE command at a time,
 * re-issued before the server's cut-off, a liveness probe on silence, NOOP polling without IDLE)
 * works on the raw connection and stays inside the package.
 */
import type { SequenceSet, UntaggedData } from "@pkg/protocol"
import * as Duration from "effect/Duration"

/** What IDLE reports about the selected mailbox, one event per untagged response it cares about. */
export type MailboxEvent =
  | { readonly _tag: "Exists"; readonly count: number }
  | { readonly _tag: "Expunge"; readonly seq: number }
  | { readonly _tag: "Vanished"; readonly uids: SequenceSet.SequenceSet<"uid">; readonly earlier: boolean }
  | {
      readonly _tag: "FlagsChanged"
      readonly seq: number
      readonly uid: number | undefined
      readonly flags: ReadonlyArray<string>
      readonly modSeq: bigint | undefined
    }
  | { readonly _tag: "Recent"; readonly count: number }
  | { readonly _tag: "Alert"; readonly text: string }
  | { readonly _tag: "Bye"; readonly text: string }

/** The event an untagged response means for an IDLE consumer, if any (a FETCH only when it carries flags). */
export const toEvent = (r: UntaggedData): MailboxEvent | undefined => {
  switch (r._tag) {
    case "Exists":
      return { _tag: "Exists", count: r.count }
    case "Expunge":
      return { _tag: "Expunge", seq: r.seq }
    case "Vanished":
      return { _tag: "Vanished", uids: r.uids, earlier: r.earlier }
    case "Recent":
      return { _tag: "Recent", count: r.count }
    case "Fetch":
      return r.attributes.flags === undefined
        ? undefined
        : {
            _tag: "FlagsChanged",
            seq: r.seq,
            uid: r.attributes.uid,
            flags: r.attributes.flags,
            modSeq: r.attributes.modSeq
          }
    case "UntaggedStatus":
      if (r.status === "BYE") return { _tag: "Bye", text: r.text }
      if (r.code?._tag === "Alert") return { _tag: "Alert", text: r.text }
      return undefined
    default:
      return undefined
  }
}

/** How IDLE is paced: re-issue, liveness probe, and polling where the server has no IDLE. */
export interface IdleOptions {
  /** Re-issue IDLE after this long (RFC 2177: servers may cut at 30 minutes). Default 28 minutes. */
  readonly reissueAfter?: Duration.Input | undefined
  /** Probe (DONE + NOOP) when nothing was received for this long. Default 5 minutes. */
  readonly livenessDeadline?: Duration.Input | undefined
  /** How long a probe may take before the connection is declared dead. Default 10 seconds. */
  readonly probeTimeout?: Duration.Input | undefined
  /** Polling interval for servers without IDLE. Default 30 seconds. */
  readonly pollInterval?: Duration.Input | undefined
}

/** Known servers that cut IDLE early (imapflow and go-imap use the same figures). */
export const defaultReissueAfter = (greeting: string): Duration.Duration =>
  /gimap|gmail/i.test(greeting) ? Duration.minutes(9) : Duration.minutes(28)
