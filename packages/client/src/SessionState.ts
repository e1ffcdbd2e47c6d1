/**
 * The IMAP protocol state (RFC 9051 3: Not Authenticated, Authenticated, Selected, Logout) and the
 * selected mailbox's snapshot, as a pure reducer `(state, response) -> state`. The connection holds
 * it in a SubscriptionRef; everything here is testable without I/O.
 */
import { type ResponseCode, SequenceSet, type Tagged, type UntaggedData } from "@pkg/protocol"

export interface MailboxSnapshot {
  readonly name: string
  readonly readOnly: boolean
  readonly exists: number
  readonly recent: number
  /** Absent only on servers that omit it (none seen); a watcher cannot checkpoint without it. */
  readonly uidValidity: number | undefined
  /** Courier omits UIDNEXT on SELECT (servers.md); callers must cope with undefined. */
  readonly uidNext: number | undefined
  readonly flags: ReadonlyArray<string>
  readonly permanentFlags: ReadonlyArray<string>
  readonly highestModSeq: bigint | undefined
  readonly unseen: number | undefined
}

export type SessionState =
  | { readonly _tag: "NotAuthenticated" }
  | { readonly _tag: "Authenticated" }
  | { readonly _tag: "Selected"; readonly mailbox: MailboxSnapshot }
  | { readonly _tag: "Logout" }

export type StateName = SessionState["_tag"]

export const notAuthenticated: SessionState = { _tag: "NotAuthenticated" }
export const authenticated: SessionState = { _tag: "Authenticated" }
export const logout: SessionState = { _tag: "Logout" }
export const selected = (mailbox: MailboxSnapshot): SessionState => ({ _tag: "Selected", mailbox })

export const emptyMailbox = (name: string): MailboxSnapshot => ({
  name,
  readOnly: false,
  exists: 0,
  recent: 0,
  uidValidity: undefined,
  uidNext: undefined,
  flags: [],
  permanentFlags: [],
  highestModSeq: undefined,
  unseen: undefined
})

const applyCode = (m: MailboxSnapshot, code: ResponseCode | undefined): MailboxSnapshot => {
  if (code === undefined) return m
  switch (code._tag) {
    case "UidNext":
      return { ...m, uidNext: code.uid }
    case "UidValidity":
      return { ...m, uidValidity: code.uidValidity }
    case "HighestModSeq":
      return { ...m, highestModSeq: code.modSeq }
    case "PermanentFlags":
      return { ...m, permanentFlags: code.flags }
    case "Unseen":
      return { ...m, unseen: code.seq }
    case "ReadOnly":
      return { ...m, readOnly: true }
    case "ReadWrite":
      return { ...m, readOnly: false }
    default:
      return m
  }
}

/** Folds one untagged response into a mailbox snapshot (used while selected and to build SELECT's result). */
export const applyToMailbox = (m: MailboxSnapshot, r: UntaggedData): MailboxSnapshot => {
  switch (r._tag) {
    case "Exists":
      return r.count === m.exists ? m : { ...m, exists: r.count }
    case "Recent":
      return { ...m, recent: r.count }
    case "Expunge":
      return { ...m, exists: Math.max(0, m.exists - 1) }
    case "Vanished":
      // EARLIER reports expunges the client already accounted for (RFC 7162 3.2.10).
      return r.earlier ? m : { ...m, exists: Math.max(0, m.exists - SequenceSet.size(r.uids)) }
    case "Flags":
      return { ...m, flags: r.flags }
    case "UntaggedStatus":
      return r.status === "OK" ? applyCode(m, r.code) : m
    case "Fetch": {
      const modSeq = r.attributes.modSeq
      return modSeq !== undefined && (m.highestModSeq === undefined || modSeq > m.highestModSeq)
        ? { ...m, highestModSeq: modSeq }
        : m
    }
    default:
      return m
  }
}

/** The session-level reducer for untagged data. */
export const reduce = (state: SessionState, r: UntaggedData): SessionState => {
  if (r._tag === "UntaggedStatus" && r.status === "BYE") return logout
  if (state._tag !== "Selected") return state
  const next = applyToMailbox(state.mailbox, r)
  return next === state.mailbox ? state : selected(next)
}

/** The read-only flag of a completed SELECT/EXAMINE comes in the tagged OK's code. */
export const completeSelect = (m: MailboxSnapshot, tagged: Tagged): MailboxSnapshot => applyCode(m, tagged.code)
