/**
 * Every command a client sends, as plain readonly `_tag` data (RFC 9051 6, RFC 3501 6, and the
 * extensions a client meets: CONDSTORE/QRESYNC, ESEARCH, LIST-EXTENDED/LIST-STATUS, SPECIAL-USE,
 * MOVE, UIDPLUS, ID, ENABLE, SASL-IR, BINARY, COMPRESS, QUOTA, OBJECTID, PREVIEW, Gmail's X-GM-*).
 *
 * Values are what the user means, not wire text: mailbox names are Unicode (the encoder applies
 * modified UTF-7 or UTF-8), dates are `Date`s, secrets are `Redacted`. Sequence-number and UID
 * commands are separate tags because their sets have different types (`Fetch` takes a
 * `SequenceSet<"seq">`, `UidFetch` a `SequenceSet<"uid">`).
 *
 * The constructors drop options that are off (`false`, empty, undefined), so a command built here
 * and the same command read back by `CommandParser` are deep-equal.
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import type { Redacted } from "effect/Redacted"
import type { ReturnOption, SearchKey } from "./SearchKey.ts"
import type { SetOrSaved } from "./SequenceSet.ts"

// ---------------------------------------------------------------------------------------------
// Commands without arguments

/** CAPABILITY (RFC 9051 6.1.1): asks the server what it supports. */
export interface Capability {
  readonly _tag: "Capability"
}
/** NOOP (RFC 9051 6.1.2): does nothing, which lets the server send pending untagged data. */
export interface Noop {
  readonly _tag: "Noop"
}
/** LOGOUT (RFC 9051 6.1.3): the server answers BYE, then OK, and closes the connection. */
export interface Logout {
  readonly _tag: "Logout"
}
/** STARTTLS (RFC 9051 6.2.1): the client starts TLS on the same connection after the OK. */
export interface StartTls {
  readonly _tag: "StartTls"
}
/** NAMESPACE (RFC 9051 6.3.10, RFC 2342): the personal, other users' and shared prefixes. */
export interface Namespace {
  readonly _tag: "Namespace"
}
/** IDLE (RFC 2177); end it with `CommandEncoder.encodeDone()`, which has no tag. */
export interface Idle {
  readonly _tag: "Idle"
}
/** CLOSE (RFC 9051 6.4.1): expunges deleted messages and leaves the selected state. */
export interface Close {
  readonly _tag: "Close"
}
/** UNSELECT (RFC 9051 6.4.2, RFC 3691): leaves the selected state without expunging. */
export interface Unselect {
  readonly _tag: "Unselect"
}
/** EXPUNGE (RFC 9051 6.4.3): removes every message flagged `\\Deleted` in the selected mailbox. */
export interface Expunge {
  readonly _tag: "Expunge"
}

// ---------------------------------------------------------------------------------------------
// Session

/**
 * AUTHENTICATE (RFC 9051 6.2.2) with an optional SASL-IR initial response (RFC 4959): base64 text,
 * redacted because it usually carries the password (PLAIN). An empty response is sent as `=`.
 */
export interface Authenticate {
  readonly _tag: "Authenticate"
  readonly mechanism: string
  readonly initialResponse?: Redacted<string> | undefined
}

/** LOGIN (RFC 9051 6.2.3): user name and password, the password `Redacted`. */
export interface Login {
  readonly _tag: "Login"
  readonly user: string
  readonly password: Redacted<string>
}

/** ENABLE (RFC 5161) capability names, e.g. `CONDSTORE`, `QRESYNC`, `UTF8=ACCEPT`. */
export interface Enable {
  readonly _tag: "Enable"
  readonly capabilities: NonEmptyReadonlyArray<string>
}

/** ID (RFC 2971): field/value pairs in order (a value may be NIL), or NIL for no parameters. */
export interface Id {
  readonly _tag: "Id"
  readonly params: ReadonlyMap<string, string | undefined> | undefined
}

/** COMPRESS (RFC 4978); DEFLATE is the only mechanism defined. */
export interface Compress {
  readonly _tag: "Compress"
  readonly mechanism: "DEFLATE"
}

// ---------------------------------------------------------------------------------------------
// Mailboxes

/** QRESYNC parameters (RFC 7162 3.2.5): `(uidvalidity modseq [known-uids [(seq-match uid-match)]])`. */
export interface QResync {
  readonly uidValidity: number
  readonly modSeq: bigint
  readonly knownUids?: SetOrSaved<"uid"> | undefined
  /** Known sequence numbers and the UIDs they had; only allowed together with `knownUids`. */
  readonly sequenceMatch?: { readonly sequences: SetOrSaved<"seq">; readonly uids: SetOrSaved<"uid"> } | undefined
}

/** Options of SELECT and EXAMINE: CONDSTORE and QRESYNC parameters (RFC 7162). */
export interface SelectOptions {
  /** `(CONDSTORE)` (RFC 7162 3.1.8). */
  readonly condstore?: boolean | undefined
  /** `(QRESYNC (...))`; the server must have QRESYNC enabled. */
  readonly qresync?: QResync | undefined
}

/** SELECT (RFC 9051 6.3.2): opens a mailbox read-write. */
export interface Select extends SelectOptions {
  readonly _tag: "Select"
  readonly mailbox: string
}
/** EXAMINE (RFC 9051 6.3.3): opens a mailbox read-only. */
export interface Examine extends SelectOptions {
  readonly _tag: "Examine"
  readonly mailbox: string
}

/** CREATE, with RFC 6154 `(USE (\Sent ...))` when `specialUse` is given. */
export interface Create {
  readonly _tag: "Create"
  readonly mailbox: string
  readonly specialUse?: NonEmptyReadonlyArray<string> | undefined
}
/** DELETE (RFC 9051 6.3.5). */
export interface Delete {
  readonly _tag: "Delete"
  readonly mailbox: string
}
/** RENAME (RFC 9051 6.3.6): `from` becomes `to`. */
export interface Rename {
  readonly _tag: "Rename"
  readonly from: string
  readonly to: string
}
/** SUBSCRIBE (RFC 9051 6.3.7). */
export interface Subscribe {
  readonly _tag: "Subscribe"
  readonly mailbox: string
}
/** UNSUBSCRIBE (RFC 9051 6.3.8). */
export interface Unsubscribe {
  readonly _tag: "Unsubscribe"
  readonly mailbox: string
}

/** LIST-EXTENDED selection options (RFC 5258, RFC 6154). */
export type ListSelectOption = "SUBSCRIBED" | "REMOTE" | "RECURSIVEMATCH" | "SPECIAL-USE"
/** Every LIST-EXTENDED selection option. */
export const listSelectOptions: ReadonlyArray<ListSelectOption> = [
  "SUBSCRIBED",
  "REMOTE",
  "RECURSIVEMATCH",
  "SPECIAL-USE"
]

/** STATUS data items (RFC 9051 6.3.11, CONDSTORE, STATUS=SIZE, APPENDLIMIT, OBJECTID). */
export type StatusItem =
  | "MESSAGES"
  | "RECENT"
  | "UIDNEXT"
  | "UIDVALIDITY"
  | "UNSEEN"
  | "DELETED"
  | "SIZE"
  | "HIGHESTMODSEQ"
  | "APPENDLIMIT"
  | "MAILBOXID"
/** Every STATUS item the encoder knows. */
export const statusItems: ReadonlyArray<StatusItem> = [
  "MESSAGES",
  "RECENT",
  "UIDNEXT",
  "UIDVALIDITY",
  "UNSEEN",
  "DELETED",
  "SIZE",
  "HIGHESTMODSEQ",
  "APPENDLIMIT",
  "MAILBOXID"
]

/** LIST RETURN options (RFC 5258, RFC 5819 LIST-STATUS, RFC 6154); sent in this order. */
export interface ListReturn {
  readonly subscribed?: true | undefined
  readonly children?: true | undefined
  readonly specialUse?: true | undefined
  readonly status?: NonEmptyReadonlyArray<StatusItem> | undefined
}

/**
 * LIST. Several patterns or any selection option need LIST-EXTENDED; `returnOptions` needs it too
 * (and LIST-STATUS for `status`). Patterns may hold the wildcards `%` and `*`.
 */
export interface List {
  readonly _tag: "List"
  readonly reference: string
  readonly patterns: NonEmptyReadonlyArray<string>
  readonly selection?: NonEmptyReadonlyArray<ListSelectOption> | undefined
  readonly returnOptions?: ListReturn | undefined
}
/** LSUB (RFC 3501 6.3.9): subscribed mailboxes, for servers without LIST-EXTENDED. */
export interface Lsub {
  readonly _tag: "Lsub"
  readonly reference: string
  readonly pattern: string
}

/** STATUS (RFC 9051 6.3.11): counters of a mailbox that need not be selected. */
export interface Status {
  readonly _tag: "Status"
  readonly mailbox: string
  readonly items: NonEmptyReadonlyArray<StatusItem>
}

/**
 * APPEND. The message goes as a literal; with BINARY it may hold NUL and is then sent as `~{n}`.
 * `internalDate` is sent in UTC (`+0000`) and to the second.
 */
export interface Append {
  readonly _tag: "Append"
  readonly mailbox: string
  readonly flags?: ReadonlyArray<string> | undefined
  readonly internalDate?: Date | undefined
  readonly message: Uint8Array
}

/** GETQUOTA (RFC 9208 4.2): the usage and limits of a quota root. */
export interface GetQuota {
  readonly _tag: "GetQuota"
  readonly root: string
}
/** GETQUOTAROOT (RFC 9208 4.3): the quota roots of a mailbox and their quotas. */
export interface GetQuotaRoot {
  readonly _tag: "GetQuotaRoot"
  readonly mailbox: string
}

// ---------------------------------------------------------------------------------------------
// Messages

/** UID EXPUNGE (RFC 4315 2.1, RFC 9051 6.4.9): expunges only the given `\\Deleted` messages. */
export interface UidExpunge {
  readonly _tag: "UidExpunge"
  readonly uids: SetOrSaved<"uid">
}

/** Options shared by SEARCH and UID SEARCH: the charset and ESEARCH `RETURN` options. */
export interface SearchOptions {
  /** `CHARSET x`; must be omitted once UTF8=ACCEPT is enabled (RFC 6855 3). */
  readonly charset?: string | undefined
  /** `RETURN (...)` (ESEARCH); `[]` sends `RETURN ()`, which means ALL. */
  readonly returnOptions?: ReadonlyArray<ReturnOption> | undefined
}
/** SEARCH (RFC 9051 6.4.4): answers with sequence numbers. */
export interface Search extends SearchOptions {
  readonly _tag: "Search"
  /** Several criteria are an `And`; a top-level `And` is sent without parentheses. */
  readonly criteria: SearchKey
}
/** UID SEARCH (RFC 9051 6.4.9): answers with UIDs. */
export interface UidSearch extends SearchOptions {
  readonly _tag: "UidSearch"
  readonly criteria: SearchKey
}

/** Section text of `BODY[...]` (RFC 9051 6.4.5). */
export type SectionText =
  | { readonly _tag: "Header" }
  | { readonly _tag: "HeaderFields"; readonly not: boolean; readonly fields: NonEmptyReadonlyArray<string> }
  | { readonly _tag: "Text" }
  /** Only after a part number. */
  | { readonly _tag: "Mime" }

/**
 * The section text `name` stands for, in any case (RFC 9051 9 `section-msgtext`, `section-text`),
 * given the field names that followed it: HEADER, TEXT, MIME (only after a part number, `hasPart`)
 * take none, HEADER.FIELDS and HEADER.FIELDS.NOT at least one. Undefined for anything else.
 *
 * @example
 * ```ts
 * import { Command } from "@pkg/protocol"
 *
 * Command.sectionText("header.fields", false, ["From", "Subject"])
 * // { _tag: "HeaderFields", not: false, fields: ["From", "Subject"] }
 * Command.sectionText("MIME", false, undefined) // undefined: MIME needs a part number
 * ```
 */
export const sectionText = (
  name: string,
  hasPart: boolean,
  fields: ReadonlyArray<string> | undefined
): SectionText | undefined => {
  const upper = name.toUpperCase()
  if (upper === "HEADER.FIELDS" || upper === "HEADER.FIELDS.NOT") {
    if (fields === undefined || fields.length === 0) return undefined
    return { _tag: "HeaderFields", not: upper.endsWith(".NOT"), fields: fields as NonEmptyReadonlyArray<string> }
  }
  if (fields !== undefined) return undefined
  if (upper === "HEADER") return { _tag: "Header" }
  if (upper === "TEXT") return { _tag: "Text" }
  if (upper === "MIME" && hasPart) return { _tag: "Mime" }
  return undefined
}

/** Whether field names follow section text `name` (HEADER.FIELDS and HEADER.FIELDS.NOT). */
export const sectionTakesFields = (name: string): boolean => /^HEADER\.FIELDS(\.NOT)?$/i.test(name)

/** `[1.2.HEADER]`: part numbers (empty for the whole message) and an optional text specifier. */
export interface Section {
  readonly part: ReadonlyArray<number>
  readonly text?: SectionText | undefined
}

/** `<offset.length>`. */
export interface PartialRange {
  readonly offset: number
  readonly length: number
}

/** Fetch attributes without arguments. */
export type SimpleAttributeTag =
  | "Uid"
  | "Flags"
  | "InternalDate"
  | "Rfc822Size"
  | "Envelope"
  | "BodyStructure"
  /** Non-extensible BODYSTRUCTURE. */
  | "Body"
  /** IMAP4rev1 RFC822, RFC822.HEADER, RFC822.TEXT (RFC822 and .TEXT set \Seen). */
  | "Rfc822"
  | "Rfc822Header"
  | "Rfc822Text"
  | "ModSeq"
  | "EmailId"
  | "ThreadId"
  | "GmailMessageId"
  | "GmailThreadId"
  | "GmailLabels"

/**
 * One FETCH data item: a simple attribute (`UID`, `FLAGS`, `ENVELOPE`, ...) or a section
 * (`BODY[...]`, `BINARY[...]`).
 */
export type FetchAttribute =
  | { readonly _tag: SimpleAttributeTag }
  /** BODY[section]<partial> or BODY.PEEK[...] (peek leaves \Seen alone). */
  | {
      readonly _tag: "BodySection"
      readonly peek: boolean
      readonly section: Section
      readonly partial?: PartialRange | undefined
    }
  /** BINARY[part]<partial> / BINARY.PEEK (RFC 3516). */
  | {
      readonly _tag: "Binary"
      readonly peek: boolean
      readonly part: ReadonlyArray<number>
      readonly partial?: PartialRange | undefined
    }
  | { readonly _tag: "BinarySize"; readonly part: ReadonlyArray<number> }
  /** PREVIEW (RFC 8970), with `(LAZY)` when `lazy`. */
  | { readonly _tag: "Preview"; readonly lazy: boolean }

/** The `_tag` of a FETCH data item. */
export type FetchAttributeTag = FetchAttribute["_tag"]

/** The fetch macros (RFC 9051 6.4.5) or an attribute list. */
export type FetchItems = "ALL" | "FAST" | "FULL" | NonEmptyReadonlyArray<FetchAttribute>

/** Options shared by FETCH and UID FETCH. */
export interface FetchOptions {
  /** `(CHANGEDSINCE n)` (RFC 7162 3.1.4). */
  readonly changedSince?: bigint | undefined
}
/** FETCH (RFC 9051 6.4.5) by sequence numbers. */
export interface Fetch extends FetchOptions {
  readonly _tag: "Fetch"
  readonly set: SetOrSaved<"seq">
  readonly items: FetchItems
}
/** UID FETCH (RFC 9051 6.4.9) by UIDs. */
export interface UidFetch extends FetchOptions {
  readonly _tag: "UidFetch"
  readonly set: SetOrSaved<"uid">
  readonly items: FetchItems
  /** `VANISHED` (RFC 7162 3.2.6); needs QRESYNC enabled and `changedSince`. */
  readonly vanished?: true | undefined
}

/** How STORE changes flags: `add` (+FLAGS), `remove` (-FLAGS) or `replace` (FLAGS). */
export type StoreMode = "add" | "remove" | "replace"
/** Options shared by STORE and UID STORE. */
export interface StoreOptions {
  /** `.SILENT`: no untagged FETCH with the new flags. */
  readonly silent?: true | undefined
  /** `(UNCHANGEDSINCE n)` (RFC 7162 3.1.3). */
  readonly unchangedSince?: bigint | undefined
}
/** STORE (RFC 9051 6.4.6) by sequence numbers: adds, removes or replaces flags. */
export interface Store extends StoreOptions {
  readonly _tag: "Store"
  readonly set: SetOrSaved<"seq">
  readonly mode: StoreMode
  readonly flags: ReadonlyArray<string>
}
/** UID STORE (RFC 9051 6.4.9) by UIDs. */
export interface UidStore extends StoreOptions {
  readonly _tag: "UidStore"
  readonly set: SetOrSaved<"uid">
  readonly mode: StoreMode
  readonly flags: ReadonlyArray<string>
}

/** COPY (RFC 9051 6.4.7) by sequence numbers. */
export interface Copy {
  readonly _tag: "Copy"
  readonly set: SetOrSaved<"seq">
  readonly mailbox: string
}
/** UID COPY (RFC 9051 6.4.9) by UIDs. */
export interface UidCopy {
  readonly _tag: "UidCopy"
  readonly set: SetOrSaved<"uid">
  readonly mailbox: string
}
/** MOVE (RFC 9051 6.4.8, RFC 6851) by sequence numbers. */
export interface Move {
  readonly _tag: "Move"
  readonly set: SetOrSaved<"seq">
  readonly mailbox: string
}
/** UID MOVE (RFC 9051 6.4.9) by UIDs. */
export interface UidMove {
  readonly _tag: "UidMove"
  readonly set: SetOrSaved<"uid">
  readonly mailbox: string
}

/** Every command the encoder takes. */
export type Command =
  | Capability
  | Noop
  | Logout
  | StartTls
  | Authenticate
  | Login
  | Enable
  | Id
  | Compress
  | Select
  | Examine
  | Create
  | Delete
  | Rename
  | Subscribe
  | Unsubscribe
  | List
  | Lsub
  | Namespace
  | Status
  | Append
  | GetQuota
  | GetQuotaRoot
  | Idle
  | Close
  | Unselect
  | Expunge
  | UidExpunge
  | Search
  | UidSearch
  | Fetch
  | UidFetch
  | Store
  | UidStore
  | Copy
  | UidCopy
  | Move
  | UidMove

/** The `_tag` of a command, e.g. `UidFetch`. */
export type CommandTag = Command["_tag"]

// ---------------------------------------------------------------------------------------------
// Constructors

/** Copies `opts` without its undefined, false and empty-array entries. */
const compact = <A extends object>(opts: A): A => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue
    out[k] = v
  }
  return out as A
}

/** CAPABILITY. */
export const capability: Capability = { _tag: "Capability" }
/** NOOP. */
export const noop: Noop = { _tag: "Noop" }
/** LOGOUT. */
export const logout: Logout = { _tag: "Logout" }
/** STARTTLS. */
export const startTls: StartTls = { _tag: "StartTls" }
/** NAMESPACE. */
export const namespace: Namespace = { _tag: "Namespace" }
/** IDLE (RFC 2177). */
export const idle: Idle = { _tag: "Idle" }
/** CLOSE. */
export const close: Close = { _tag: "Close" }
/** UNSELECT. */
export const unselect: Unselect = { _tag: "Unselect" }
/** EXPUNGE. */
export const expunge: Expunge = { _tag: "Expunge" }

/** AUTHENTICATE with a SASL mechanism and an optional initial response (SASL-IR); see `Authenticate`. */
export const authenticate = (mechanism: string, initialResponse?: Redacted<string>): Authenticate =>
  initialResponse === undefined
    ? { _tag: "Authenticate", mechanism }
    : { _tag: "Authenticate", mechanism, initialResponse }

/** LOGIN with a user name and a `Redacted` password. */
export const login = (user: string, password: Redacted<string>): Login => ({ _tag: "Login", user, password })

/** ENABLE the named extensions (RFC 5161). */
export const enable = (...capabilities: NonEmptyReadonlyArray<string>): Enable => ({ _tag: "Enable", capabilities })

/** `ID NIL` when `params` is undefined. Accepts a Map or an object (insertion order is kept). */
export const id = (
  params?: ReadonlyMap<string, string | undefined> | Readonly<Record<string, string | undefined>>
): Id => ({
  _tag: "Id",
  params: params === undefined ? undefined : params instanceof Map ? new Map(params) : new Map(Object.entries(params))
})

/** COMPRESS DEFLATE (RFC 4978). */
export const compress: Compress = { _tag: "Compress", mechanism: "DEFLATE" }

const selectOptions = (options: SelectOptions | undefined): SelectOptions => {
  if (options === undefined) return {}
  const out = compact({ condstore: options.condstore, qresync: options.qresync })
  if (out.qresync !== undefined) {
    out.qresync = compact(out.qresync) as QResync
  }
  return out
}
/** SELECT a mailbox, with optional CONDSTORE/QRESYNC parameters. */
export const select = (mailbox: string, options?: SelectOptions): Select => ({
  _tag: "Select",
  mailbox,
  ...selectOptions(options)
})
/** EXAMINE a mailbox (read-only SELECT). */
export const examine = (mailbox: string, options?: SelectOptions): Examine => ({
  _tag: "Examine",
  mailbox,
  ...selectOptions(options)
})

/** CREATE a mailbox, optionally with special-use attributes (RFC 6154). */
export const create = (mailbox: string, options?: { readonly specialUse?: ReadonlyArray<string> }): Create => ({
  _tag: "Create",
  mailbox,
  ...compact({ specialUse: options?.specialUse as NonEmptyReadonlyArray<string> | undefined })
})
/** DELETE a mailbox (`delete` is a reserved word). */
export const delete_ = (mailbox: string): Delete => ({ _tag: "Delete", mailbox })
/** RENAME mailbox `from` to `to`. */
export const rename = (from: string, to: string): Rename => ({ _tag: "Rename", from, to })
/** SUBSCRIBE to a mailbox. */
export const subscribe = (mailbox: string): Subscribe => ({ _tag: "Subscribe", mailbox })
/** UNSUBSCRIBE from a mailbox. */
export const unsubscribe = (mailbox: string): Unsubscribe => ({ _tag: "Unsubscribe", mailbox })

/** Options of `list`: LIST-EXTENDED selection and RETURN options (RFC 5258, RFC 5819, RFC 6154). */
export interface ListOptions {
  readonly selection?: ReadonlyArray<ListSelectOption> | undefined
  readonly returnOptions?:
    | {
        readonly subscribed?: boolean | undefined
        readonly children?: boolean | undefined
        readonly specialUse?: boolean | undefined
        readonly status?: ReadonlyArray<StatusItem> | undefined
      }
    | undefined
}
/** `list("", "*")`, or with several patterns `list("", ["INBOX", "Archive/%"])`. */
export const list = (
  reference: string,
  patterns: string | NonEmptyReadonlyArray<string>,
  options?: ListOptions
): List => {
  const ret = options?.returnOptions === undefined ? undefined : (compact(options.returnOptions) as ListReturn)
  return {
    _tag: "List",
    reference,
    patterns: typeof patterns === "string" ? [patterns] : patterns,
    ...compact({
      selection: options?.selection as NonEmptyReadonlyArray<ListSelectOption> | undefined,
      // RETURN () is meaningful (no extra data) in RFC 5258, so an empty return set is kept.
      returnOptions: ret
    })
  }
}
/** LSUB: subscribed mailboxes matching `pattern` under `reference`. */
export const lsub = (reference: string, pattern: string): Lsub => ({ _tag: "Lsub", reference, pattern })

/** STATUS of a mailbox: the counters named in `items`. */
export const status = (mailbox: string, items: NonEmptyReadonlyArray<StatusItem>): Status => ({
  _tag: "Status",
  mailbox,
  items
})

/** APPEND a message to a mailbox, with optional flags and internal date. */
export const append = (
  mailbox: string,
  message: Uint8Array,
  options?: { readonly flags?: ReadonlyArray<string> | undefined; readonly internalDate?: Date | undefined }
): Append => ({
  _tag: "Append",
  mailbox,
  ...compact({ flags: options?.flags, internalDate: options?.internalDate }),
  message
})

/** GETQUOTA of a quota root. */
export const getQuota = (root: string): GetQuota => ({ _tag: "GetQuota", root })
/** GETQUOTAROOT of a mailbox. */
export const getQuotaRoot = (mailbox: string): GetQuotaRoot => ({ _tag: "GetQuotaRoot", mailbox })

/** UID EXPUNGE: expunge only these UIDs (UIDPLUS). */
export const uidExpunge = (uids: SetOrSaved<"uid">): UidExpunge => ({ _tag: "UidExpunge", uids })

const searchOptions = (options: SearchOptions | undefined): SearchOptions =>
  options === undefined
    ? {}
    : {
        ...(options.charset === undefined ? {} : { charset: options.charset }),
        ...(options.returnOptions === undefined ? {} : { returnOptions: options.returnOptions })
      }
/** SEARCH by sequence numbers. */
export const search = (criteria: SearchKey, options?: SearchOptions): Search => ({
  _tag: "Search",
  ...searchOptions(options),
  criteria
})
/** UID SEARCH: the same criteria, answered with UIDs. */
export const uidSearch = (criteria: SearchKey, options?: SearchOptions): UidSearch => ({
  _tag: "UidSearch",
  ...searchOptions(options),
  criteria
})

/** FETCH by sequence numbers. */
export const fetch = (set: SetOrSaved<"seq">, items: FetchItems, options?: FetchOptions): Fetch => ({
  _tag: "Fetch",
  set,
  items,
  ...compact({ changedSince: options?.changedSince })
})
/** UID FETCH by UIDs, optionally with CHANGEDSINCE and VANISHED (QRESYNC). */
export const uidFetch = (
  set: SetOrSaved<"uid">,
  items: FetchItems,
  options?: FetchOptions & { readonly vanished?: boolean | undefined }
): UidFetch => ({
  _tag: "UidFetch",
  set,
  items,
  ...compact({ changedSince: options?.changedSince, vanished: options?.vanished === true ? true : undefined })
})

const storeOptions = (options: { readonly silent?: boolean; readonly unchangedSince?: bigint } | undefined) =>
  compact({ silent: options?.silent === true ? (true as const) : undefined, unchangedSince: options?.unchangedSince })
/** STORE flags on messages by sequence number: `add` (+FLAGS), `remove` (-FLAGS) or `replace` (FLAGS). */
export const store = (
  set: SetOrSaved<"seq">,
  mode: StoreMode,
  flags: ReadonlyArray<string>,
  options?: { readonly silent?: boolean; readonly unchangedSince?: bigint }
): Store => ({ _tag: "Store", set, mode, flags, ...storeOptions(options) })
/** UID STORE: `store` by UIDs. */
export const uidStore = (
  set: SetOrSaved<"uid">,
  mode: StoreMode,
  flags: ReadonlyArray<string>,
  options?: { readonly silent?: boolean; readonly unchangedSince?: bigint }
): UidStore => ({ _tag: "UidStore", set, mode, flags, ...storeOptions(options) })

/** COPY messages by sequence number to a mailbox. */
export const copy = (set: SetOrSaved<"seq">, mailbox: string): Copy => ({ _tag: "Copy", set, mailbox })
/** UID COPY messages to a mailbox. */
export const uidCopy = (set: SetOrSaved<"uid">, mailbox: string): UidCopy => ({ _tag: "UidCopy", set, mailbox })
/** MOVE messages by sequence number to a mailbox (RFC 6851). */
export const move = (set: SetOrSaved<"seq">, mailbox: string): Move => ({ _tag: "Move", set, mailbox })
/** UID MOVE messages to a mailbox (RFC 6851). */
export const uidMove = (set: SetOrSaved<"uid">, mailbox: string): UidMove => ({ _tag: "UidMove", set, mailbox })

// ---------------------------------------------------------------------------------------------
// Fetch attribute constructors

const simple = (_tag: SimpleAttributeTag): FetchAttribute => ({ _tag })
/** FETCH data item constructors: `Attr.uid`, `Attr.envelope`, `Attr.bodySection(section)`, ... */
export const Attr = {
  uid: simple("Uid"),
  flags: simple("Flags"),
  internalDate: simple("InternalDate"),
  rfc822Size: simple("Rfc822Size"),
  envelope: simple("Envelope"),
  bodyStructure: simple("BodyStructure"),
  body: simple("Body"),
  rfc822: simple("Rfc822"),
  rfc822Header: simple("Rfc822Header"),
  rfc822Text: simple("Rfc822Text"),
  modSeq: simple("ModSeq"),
  emailId: simple("EmailId"),
  threadId: simple("ThreadId"),
  gmailMessageId: simple("GmailMessageId"),
  gmailThreadId: simple("GmailThreadId"),
  gmailLabels: simple("GmailLabels"),
  /** `BODY[section]` (sets \Seen) or, with `peek`, `BODY.PEEK[section]`. */
  bodySection: (
    section: Section = { part: [] },
    options?: { readonly peek?: boolean; readonly partial?: PartialRange }
  ): FetchAttribute => ({
    _tag: "BodySection",
    peek: options?.peek === true,
    section: section.text === undefined ? { part: section.part } : section,
    ...(options?.partial === undefined ? {} : { partial: options.partial })
  }),
  binary: (
    part: ReadonlyArray<number>,
    options?: { readonly peek?: boolean; readonly partial?: PartialRange }
  ): FetchAttribute => ({
    _tag: "Binary",
    peek: options?.peek === true,
    part,
    ...(options?.partial === undefined ? {} : { partial: options.partial })
  }),
  binarySize: (part: ReadonlyArray<number>): FetchAttribute => ({ _tag: "BinarySize", part }),
  preview: (lazy = false): FetchAttribute => ({ _tag: "Preview", lazy })
} as const

/** Section helpers: `header()`, `headerFields(["Subject"])`, `text([1])`, `mime([2])`. */
export const SectionSpec = {
  whole: (part: ReadonlyArray<number> = []): Section => ({ part }),
  header: (part: ReadonlyArray<number> = []): Section => ({ part, text: { _tag: "Header" } }),
  headerFields: (
    fields: NonEmptyReadonlyArray<string>,
    options?: { readonly not?: boolean; readonly part?: ReadonlyArray<number> }
  ): Section => ({
    part: options?.part ?? [],
    text: { _tag: "HeaderFields", not: options?.not === true, fields }
  }),
  text: (part: ReadonlyArray<number> = []): Section => ({ part, text: { _tag: "Text" } }),
  mime: (part: NonEmptyReadonlyArray<number>): Section => ({ part, text: { _tag: "Mime" } })
} as const
