/**
 * The IMAP protocol state (RFC 9051 3: Not Authenticated, Authenticated, Selected, Logout) and the
 * selected mailbox's snapshot, as a pure reducer `(state, response) -> state`. The connection holds
 * it in a SubscriptionRef; everything here is testable without I/O.
 */
import { type ResponseCode, SequenceSet, type Tagged, type UntaggedData } from "@pkg/protocol"

/** What the session knows of the selected mailbox, kept up to date from the server's untagged responses. */
export interface MailboxSnapshot {
  readonly name: string
  readonly readOnly: boolean
  readonly exists: number
  readonly recent: number
  /** Absent only on servers that omit it (none seen); a watcher cannot checkpoint without it. */
  readonly uidValidity: number | undefined
  /** Courier omits UIDNEXT on SELECT (docs/servers.md); callers must cope with undefined. */
  readonly uidNext: number | undefined
  readonly flags: ReadonlyArray<string>
  readonly permanentFlags: ReadonlyArray<string>
  readonly highestModSeq: bigint | undefined
  readonly unseen: number | undefined
}

/**
 * The IMAP protocol state (RFC 9051 3): not authenticated, authenticated, selected (with the
 * mailbox), logout.
 */
export type SessionState =
  | { readonly _tag: "NotAuthenticated" }
  | { readonly _tag: "Authenticated" }
  | { readonly _tag: "Selected"; readonly mailbox: MailboxSnapshot }
  | { readonly _tag: "Logout" }

/** The name of a state, e.g. `Selected`. */
export type StateName = SessionState["_tag"]

/** The state after a greeting without PREAUTH. */
export const notAuthenticated: SessionState = { _tag: "NotAuthenticated" }
/** The state after login, or after leaving a mailbox. */
export const authenticated: SessionState = { _tag: "Authenticated" }
/** The state once LOGOUT was sent or the server said BYE. */
export const logout: SessionState = { _tag: "Logout" }
/** The selected state with this mailbox. */
export const selected = (mailbox: MailboxSnapshot): SessionState => ({ _tag: "Selected", mailbox })

/** The snapshot of a mailbox just selected, before the server's untagged data fill it in. */
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

/**
 * Flag lists are the same in every mailbox of a server (Dovecot's FLAGS and PERMANENTFLAGS, for
 * example), yet each SELECT parses its own strings and arrays, held as long as the mailbox stays
 * selected: about 400 bytes of every IDLE session (bench/heap-owners.ts). Snapshots share one
 * array per distinct list. Bounded, so a server that varies its lists (keywords) cannot grow it:
 * past the bound the oldest list is forgotten.
 */
const internedFlags = new Map<string, ReadonlyArray<string>>()
const internedFlagsLimit = 64

/** `flags`, or an equal list already held by another snapshot. */
const internFlags = (flags: ReadonlyArray<string>): ReadonlyArray<string> => {
  const key = flags.join(" ")
  const known = internedFlags.get(key)
  if (known !== undefined) return known
  if (internedFlags.size >= internedFlagsLimit) internedFlags.delete(internedFlags.keys().next().value!)
  internedFlags.set(key, flags)
  return flags
}

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
      return { ...m, permanentFlags: internFlags(code.flags) }
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
      return { ...m, flags: internFlags(r.flags) }
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
