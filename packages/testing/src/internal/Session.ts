/**
 * One connection's IMAP state (RFC 9051 3): not authenticated, authenticated, selected (the
 * mailbox, read-only or not, and the session's own numbering of its messages), the extensions
 * ENABLEd, and the changes other sessions made that it has not told its client yet. The commands
 * that act on it are in SessionCommands, MailboxCommands and MessageCommands.
 */
import { type FetchAttributes, type Response, type ResponseCode, SequenceSet } from "@pkg/protocol"
import type { ServerBehaviour } from "../Behaviour.ts"
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
    return selected
  }

  unselect(): void {
    if (this.selected !== undefined) this.selected.mailbox.listeners.delete(this)
    this.selected = undefined
    this.pending = []
    if (this.state === "Selected") this.state = "Authenticated"
  }

  /**
   * Tells the client what changed since it last heard, in its own numbering: EXISTS, FETCH of new
   * flags, EXPUNGE (or VANISHED under QRESYNC). Expunges are held while `command` may not see them
   * (Selection.mayTellExpunges); `holdOwnAppends` keeps this session's own new messages back.
   */
  flush(command: Parameters<typeof Selection.mayTellExpunges>[0] | undefined, holdOwnAppends = false): void {
    const sel = this.selected
    if (sel === undefined || this.pending.length === 0) return
    const tellExpunges = command === undefined || Selection.mayTellExpunges(command)
    const kept: Array<Change> = []
    let existsDirty = false
    const tellExists = () => {
      if (existsDirty) this.send({ _tag: "Exists", count: sel.view.length })
      existsDirty = false
    }
    for (const change of this.pending) {
      switch (change._tag) {
        case "Added":
          if (holdOwnAppends || sel.view.includes(change.uid)) {
            if (holdOwnAppends) kept.push(change)
            break
          }
          sel.view.push(change.uid)
          existsDirty = true
          break
        case "Expunged": {
          if (!tellExpunges) {
            kept.push(change)
            break
          }
          const i = sel.view.indexOf(change.uid)
          if (i < 0) break
          tellExists()
          sel.view.splice(i, 1)
          this.send(
            this.enabled.has("QRESYNC")
              ? { _tag: "Vanished", earlier: false, uids: SequenceSet.single("uid", SequenceSet.Uid(change.uid)) }
              : { _tag: "Expunge", seq: i + 1 }
          )
          break
        }
        case "FlagsChanged": {
          const i = sel.view.indexOf(change.uid)
          const m = sel.mailbox.byUid(change.uid)
          if (i < 0 || m === undefined || (change.origin === this && change.silent)) break
          tellExists()
          this.send({
            _tag: "Fetch",
            seq: i + 1,
            attributes: {
              uid: SequenceSet.Uid(m.uid),
              flags: [...m.flags],
              ...(this.condstore ? { modSeq: m.modSeq } : {})
            }
          })
          break
        }
      }
    }
    tellExists()
    this.pending = kept
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
