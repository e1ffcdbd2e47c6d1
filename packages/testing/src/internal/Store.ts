/**
 * The server's mail, in memory and shared by every connection: accounts, their mailboxes
 * (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, special use) and messages (UID, flags, internal date, raw
 * bytes, MODSEQ). Every change is told to the sessions selected on the mailbox (`Listener`), which
 * turn it into EXISTS / FETCH / EXPUNGE or VANISHED in their own numbering when they may.
 */
import * as Message from "../Message.ts"

/** One stored message. `flags` and `modSeq` change; the rest is fixed at delivery. */
export interface StoredMessage {
  readonly uid: number
  flags: ReadonlySet<string>
  readonly internalDate: Date
  readonly raw: Uint8Array
  modSeq: bigint
  /** Message.parse's result, made on first need (ENVELOPE, BODYSTRUCTURE, a section). */
  parsed: Message.Message | undefined
}

/** The MIME view of a stored message, parsed once. */
export const parsed = (m: StoredMessage): Message.Message => {
  if (m.parsed === undefined) m.parsed = Message.parse(m.raw)
  return m.parsed
}

/** A change to a mailbox, told to every session selected on it. */
export type Change =
  | { readonly _tag: "Added"; readonly uid: number }
  | {
      readonly _tag: "FlagsChanged"
      readonly uid: number
      /** The session whose command made the change, and whether it asked for silence (STORE .SILENT). */
      readonly origin: unknown
      readonly silent: boolean
    }
  | { readonly _tag: "Expunged"; readonly uid: number }

/** A session selected on a mailbox. */
export interface Listener {
  readonly notify: (change: Change) => void
}

let uidValidityCounter = Math.floor(Date.now() / 1000) % 1_000_000_000

/** A UIDVALIDITY no other mailbox of this process has had. */
const nextUidValidity = (): number => {
  uidValidityCounter += 1
  return uidValidityCounter
}

export class Mailbox {
  name: string
  uidValidity = nextUidValidity()
  uidNext = 1
  highestModSeq = 1n
  messages: Array<StoredMessage> = []
  /** UIDs expunged and the MODSEQ of their expunge, for QRESYNC's VANISHED (EARLIER). */
  expunged: Array<{ readonly uid: number; readonly modSeq: bigint }> = []
  specialUse: string | undefined
  subscribed = true
  /** New messages no read-write session has seen yet: `\\Recent` for the first that does. */
  recent = new Set<number>()
  readonly listeners = new Set<Listener>()

  constructor(name: string, specialUse?: string) {
    this.name = name
    this.specialUse = specialUse
  }

  private tell(change: Change): void {
    for (const l of this.listeners) l.notify(change)
  }

  byUid(uid: number): StoredMessage | undefined {
    return this.messages.find((m) => m.uid === uid)
  }

  get maxUid(): number {
    return this.messages.at(-1)?.uid ?? 0
  }

  append(raw: Uint8Array, flags: Iterable<string>, internalDate: Date): StoredMessage {
    this.highestModSeq += 1n
    const message: StoredMessage = {
      uid: this.uidNext++,
      flags: new Set(flags),
      internalDate,
      raw,
      modSeq: this.highestModSeq,
      parsed: undefined
    }
    this.messages.push(message)
    this.recent.add(message.uid)
    this.tell({ _tag: "Added", uid: message.uid })
    return message
  }

  setFlags(message: StoredMessage, flags: ReadonlySet<string>, origin: unknown, silent: boolean): void {
    this.highestModSeq += 1n
    message.flags = flags
    message.modSeq = this.highestModSeq
    this.tell({ _tag: "FlagsChanged", uid: message.uid, origin, silent })
  }

  expunge(uids: ReadonlyArray<number>): void {
    const gone = new Set(uids)
    if (gone.size === 0) return
    this.highestModSeq += 1n
    this.messages = this.messages.filter((m) => !gone.has(m.uid))
    for (const uid of gone) this.recent.delete(uid)
    for (const uid of [...gone].sort((a, b) => a - b)) {
      this.expunged.push({ uid, modSeq: this.highestModSeq })
      this.tell({ _tag: "Expunged", uid })
    }
  }

  /** A new UIDVALIDITY with every message renumbered from 1, as after a server's index rebuild. */
  resetUidValidity(): void {
    this.uidValidity = nextUidValidity()
    this.uidNext = 1
    this.expunged = []
    this.recent.clear()
    this.messages = this.messages.map((m) => ({ ...m, uid: this.uidNext++ }))
  }
}

/** `INBOX` in any case is INBOX (RFC 9051 5.1); other names are case-sensitive. */
export const mailboxKey = (name: string): string => (name.toUpperCase() === "INBOX" ? "INBOX" : name)

export class Account {
  readonly user: string
  password: string
  readonly mailboxes = new Map<string, Mailbox>()
  constructor(user: string, password: string) {
    this.user = user
    this.password = password
    this.mailboxes.set("INBOX", new Mailbox("INBOX"))
  }

  mailbox(name: string): Mailbox | undefined {
    return this.mailboxes.get(mailboxKey(name))
  }

  create(name: string, specialUse?: string): Mailbox {
    const existing = this.mailbox(name)
    if (existing !== undefined) return existing
    const mailbox = new Mailbox(mailboxKey(name), specialUse)
    this.mailboxes.set(mailbox.name, mailbox)
    return mailbox
  }
}

/** Every account, and the OAuth tokens the server accepts. */
export class Store {
  readonly accounts = new Map<string, Account>()
  /** Access token -> user; a token absent here (or expired) is refused. */
  readonly tokens = new Map<string, string>()
  readonly expiredTokens = new Set<string>()

  account(user: string): Account | undefined {
    return this.accounts.get(user)
  }

  addAccount(user: string, password: string): Account {
    const existing = this.accounts.get(user)
    if (existing !== undefined) {
      existing.password = password
      return existing
    }
    const account = new Account(user, password)
    this.accounts.set(user, account)
    return account
  }

  /** The user an access token logs in, unless it is unknown or expired. */
  tokenUser(token: string): string | undefined {
    return this.expiredTokens.has(token) ? undefined : this.tokens.get(token)
  }
}
