/**
 * What IDLE reports and how it is paced, as users of `session.idle()` see it: the typed mailbox
 * events and the IDLE options. The IDLE loop itself (Idle.ts) works on the raw connection and stays
 * inside the package; this module is what `@pkg/client` exports as `Idle`.
 */
import type { SequenceSet, UntaggedData } from "@pkg/protocol"
import * as Duration from "effect/Duration"

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
