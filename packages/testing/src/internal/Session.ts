/**
 * One connection's IMAP state (RFC 9051 3): not authenticated, authenticated, selected (the
 * mailbox, read-only or not, and the session's own numbering of its messages), the extensions
 * ENABLEd, and the changes other sessions made that it has not told its client yet. The commands
 * that act on it are in SessionCommands, MailboxCommands and MessageCommands.
 */
import { type FetchAttributes, type Response, type ResponseCode, SequenceSet } from "@pkg/protocol"
import type { ServerBehaviour } from "../Behaviour.ts"
import * as Notifications from "./Notifications.ts"
import * as Selection from "./Selection.ts"
import type { Account, Change, Listener, Mailbox, Store } from "./Store.ts"

/** The tagged reply a command ends with. */
export interface Reply {
  readonly status: "OK" | "NO" | "BAD"
  readonly code?: ResponseCode | undefined
  readonly text: string
}

/** Shorthands for tagged replies. */
export const ok = (text: string, code?: ResponseCode): Reply => ({ status: "OK", code, text })
export const no = (text: string, code?: ResponseCode): Reply => ({ status: "NO", code, text })
export const bad = (text: string): Reply => ({ status: "BAD", text })

/** The selected mailbox as this session sees it. */
export interface Selected {
  readonly mailbox: Mailbox
  readonly readOnly: boolean
  /** UIDs in this session's sequence order: message n is `view[n - 1]`. */
  view: Array<number>
}

export class Session implements Listener {
  state: "NotAuthenticated" | "Authenticated" | "Selected" | "Logout" = "NotAuthenticated"
  account: Account | undefined
  selected: Selected | undefined
  readonly enabled = new Set<string>()
  secure: boolean
  /** UIDs saved by `SEARCH RETURN (SAVE)` (RFC 5182). */
  saved: ReadonlySet<number> = new Set()
  private pending: Array<Change> = []
  /** UIDs that are `\\Recent` in this session. */
  recent = new Set<number>()
  /** Ends the connection with `* BYE text` at once (set by the connection). */
  kick: (text: string) => void = () => {}
  /** Called when a change arrives, so that an idling connection can push it. */
  onChange: (() => void) | undefined

  readonly store: Store
  readonly behaviour: ServerBehaviour
  readonly hasTls: boolean
  readonly send: (r: Response, fetchOrder?: ReadonlyArray<keyof FetchAttributes>) => void
  /** The tag of the command running, for ESEARCH's `(TAG ...)` correlator. */
  currentTag: string | undefined

  constructor(options: {
    readonly store: Store
    readonly behaviour: ServerBehaviour
    readonly secure: boolean
    readonly hasTls: boolean
    readonly send: (r: Response, fetchOrder?: ReadonlyArray<keyof FetchAttributes>) => void
  }) {
    this.store = options.store
    this.behaviour = options.behaviour
    this.secure = options.secure
    this.hasTls = options.hasTls
    this.send = options.send
  }

  /** The capabilities in force: STARTTLS only on a clear-text connection of a server with TLS. */
  capabilities(): Array<string> {
    const authenticated = this.state !== "NotAuthenticated"
    const list = authenticated ? this.behaviour.capabilitiesAfterLogin : this.behaviour.capabilitiesBeforeLogin
    const out = list.filter((c) => c.toUpperCase() !== "STARTTLS")
    if (!authenticated && !this.secure && this.hasTls) out.push("STARTTLS")
    return out
  }

  /** True when the capability is in force (case-insensitive). */
  has(capability: string): boolean {
    const upper = capability.toUpperCase()
    return this.capabilities().some((c) => c.toUpperCase() === upper)
  }

  get condstore(): boolean {
    return this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC")
  }

  sendFetch(seq: number, attributes: FetchAttributes, order: ReadonlyArray<keyof FetchAttributes>): void {
    this.send({ _tag: "Fetch", seq, attributes }, order)
  }

  notify(change: Change): void {
    this.pending.push(change)
    this.onChange?.()
  }

  select(mailbox: Mailbox, readOnly: boolean): Selected {
    this.unselect()
    const selected: Selected = { mailbox, readOnly, view: mailbox.messages.map((m) => m.uid) }
    this.selected = selected
    this.state = "Selected"
    mailbox.listeners.add(this)
    this.claimRecent(selected.view)
    return selected
  }

  unselect(): void {
    if (this.selected !== undefined) this.selected.mailbox.listeners.delete(this)
    this.selected = undefined
    this.pending = []
    this.recent = new Set()
    if (this.state === "Selected") this.state = "Authenticated"
  }

  /**
   * Tells the client what changed since it last heard, in its own numbering and in the order
   * `Notifications.plan` gives: EXPUNGE (VANISHED under QRESYNC), EXISTS and RECENT, FETCH of new
   * flags. Expunges are held while `command` may not see them (Selection.mayTellExpunges);
   * `holdOwnAppends` keeps new messages back (Courier tells its own APPEND at the next command).
   */
  flush(command: Parameters<typeof Selection.mayTellExpunges>[0] | undefined, holdOwnAppends = false): void {
    const sel = this.selected
    if (sel === undefined || this.pending.length === 0) return
    const tellExpunges = command === undefined || Selection.mayTellExpunges(command)
    const plan = Notifications.plan(this.pending, this, { tellExpunges, holdAdded: holdOwnAppends })
    this.pending = [...plan.kept]
    for (const uid of plan.expunged) {
      const i = sel.view.indexOf(uid)
      if (i < 0) continue
      sel.view.splice(i, 1)
      this.recent.delete(uid)
      this.send(
        this.enabled.has("QRESYNC")
          ? { _tag: "Vanished", earlier: false, uids: SequenceSet.single("uid", SequenceSet.Uid(uid)) }
          : { _tag: "Expunge", seq: i + 1 }
      )
    }
    const added = plan.added.filter((uid) => !sel.view.includes(uid) && sel.mailbox.byUid(uid) !== undefined)
    if (added.length > 0) {
      sel.view.push(...added)
      this.send({ _tag: "Exists", count: sel.view.length })
      if (this.claimRecent(added) > 0) this.send({ _tag: "Recent", count: this.recent.size })
    }
    for (const uid of plan.flagged) {
      const i = sel.view.indexOf(uid)
      const m = sel.mailbox.byUid(uid)
      if (i < 0 || m === undefined) continue
      this.send({
        _tag: "Fetch",
        seq: i + 1,
        attributes: {
          uid: SequenceSet.Uid(m.uid),
          flags: this.flagsOf(m),
          ...(this.condstore ? { modSeq: m.modSeq } : {})
        }
      })
    }
  }

  /**
   * IMAP4rev1's `\Recent` (RFC 3501 2.3.2): a new message is recent in the one session that first
   * sees it read-write; EXAMINE shows it without claiming it. How many of `uids` this session took.
   */
  claimRecent(uids: ReadonlyArray<number>): number {
    const sel = this.selected
    if (sel === undefined) return 0
    let n = 0
    for (const uid of uids) {
      if (!sel.mailbox.recent.has(uid)) continue
      if (!sel.readOnly) sel.mailbox.recent.delete(uid)
      this.recent.add(uid)
      n++
    }
    return n
  }

  /** A message's flags as this session sees them: with `\Recent` when it is recent here. */
  flagsOf(m: { readonly uid: number; readonly flags: ReadonlySet<string> }): Array<string> {
    return this.recent.has(m.uid) ? [...m.flags, "\\Recent"] : [...m.flags]
  }

  /** Whether changes wait to be told. */
  get hasPending(): boolean {
    return this.pending.length > 0
  }

  /** Leaves the mailbox's listeners: the connection ended. */
  close(): void {
    this.unselect()
    this.state = "Logout"
  }
}
