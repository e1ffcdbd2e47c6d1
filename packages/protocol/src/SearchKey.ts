/**
 * SEARCH criteria as a typed tree (RFC 9051 6.4.4, RFC 3501 6.4.4, CONDSTORE RFC 7162, OBJECTID
 * RFC 8474, WITHIN RFC 5032, Gmail's X-GM-RAW), plus the command-level RETURN options (ESEARCH
 * RFC 4731, SEARCHRES RFC 5182). The wire form is produced by `CommandEncoder` and read back by
 * `CommandParser`; this module owns the shapes and the `1-Feb-1994` date format.
 *
 * Dates are calendar days: a `Date` is read in UTC (build it with `day(1994, 2, 1)`), because a
 * search date has no time zone and a local-time reading would shift the day for half the world.
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import type { SetOrSaved } from "./SequenceSet.ts"

/** Keys without arguments. */
export interface FlagKey {
  readonly _tag:
    | "All"
    | "Answered"
    | "Deleted"
    | "Draft"
    | "Flagged"
    | "Seen"
    | "New"
    | "Old"
    | "Recent"
    | "Unanswered"
    | "Undeleted"
    | "Undraft"
    | "Unflagged"
    | "Unseen"
}
/** The `_tag` of a flag key. */
export type FlagKeyTag = FlagKey["_tag"]

/** KEYWORD / UNKEYWORD: messages with, or without, a keyword flag. */
export interface KeywordKey {
  readonly _tag: "Keyword" | "Unkeyword"
  readonly flag: string
}

/** Internal date (BEFORE/ON/SINCE) or Date: header (SENT*), by calendar day in UTC. */
export interface DateKey {
  readonly _tag: "Before" | "On" | "Since" | "SentBefore" | "SentOn" | "SentSince"
  readonly date: Date
}
/** The `_tag` of a date key. */
export type DateKeyTag = DateKey["_tag"]

/** Substring searches; `value` may be any Unicode (the encoder sends 8-bit as a literal or UTF-8). */
export interface TextKey {
  readonly _tag: "From" | "To" | "Cc" | "Bcc" | "Subject" | "Body" | "Text"
  readonly value: string
}
/** The `_tag` of a text key. */
export type TextKeyTag = TextKey["_tag"]

/**
 * HEADER: messages whose header field `name` contains `value` (an empty value matches any message
 * with the field).
 */
export interface HeaderKey {
  readonly _tag: "Header"
  readonly name: string
  readonly value: string
}

/** RFC822.SIZE comparisons, in octets. */
export interface SizeKey {
  readonly _tag: "Larger" | "Smaller"
  readonly size: number
}

/** WITHIN (RFC 5032): internal date older / younger than `seconds`. */
export interface IntervalKey {
  readonly _tag: "Older" | "Younger"
  readonly seconds: number
}

/** UID: messages whose UID is in the set. */
export interface UidKey {
  readonly _tag: "Uid"
  readonly set: SetOrSaved<"uid">
}

/** A bare sequence set: messages whose sequence number is in the set. */
export interface SequenceSetKey {
  readonly _tag: "SequenceSet"
  readonly set: SetOrSaved<"seq">
}

/** OR: messages matching either key. */
export interface OrKey {
  readonly _tag: "Or"
  readonly left: SearchKey
  readonly right: SearchKey
}

/** NOT: messages not matching the key. */
export interface NotKey {
  readonly _tag: "Not"
  readonly key: SearchKey
}

/** A parenthesised group: all keys must match. At the top of SEARCH the group is sent unparenthesised. */
export interface AndKey {
  readonly _tag: "And"
  readonly keys: NonEmptyReadonlyArray<SearchKey>
}

/** CONDSTORE `MODSEQ [entry-name entry-type] n` (RFC 7162 3.1.5). */
export interface ModSeqKey {
  readonly _tag: "ModSeq"
  readonly modSeq: bigint
  readonly entry?: { readonly name: string; readonly type: "priv" | "shared" | "all" } | undefined
}

/** OBJECTID (RFC 8474): EMAILID / THREADID, 1-255 of ALPHA / DIGIT / "_" / "-". */
export interface ObjectIdKey {
  readonly _tag: "EmailId" | "ThreadId"
  readonly id: string
}

/** Gmail's `X-GM-RAW` with a Gmail search query. */
export interface GmailRawKey {
  readonly _tag: "GmailRaw"
  readonly query: string
}

/**
 * A SEARCH criterion (RFC 9051 6.4.4), built with the constructors below and combined with `and`,
 * `or` and `not`.
 */
export type SearchKey =
  | FlagKey
  | KeywordKey
  | DateKey
  | TextKey
  | HeaderKey
  | SizeKey
  | IntervalKey
  | UidKey
  | SequenceSetKey
  | OrKey
  | NotKey
  | AndKey
  | ModSeqKey
  | ObjectIdKey
  | GmailRawKey

/** ESEARCH result options (RFC 4731; SAVE from RFC 5182). An empty list (`RETURN ()`) means ALL. */
export type ReturnOption = "MIN" | "MAX" | "ALL" | "COUNT" | "SAVE"
/** Every ESEARCH RETURN option (RFC 4731, RFC 5182 SAVE). */
export const returnOptions: ReadonlyArray<ReturnOption> = ["MIN", "MAX", "ALL", "COUNT", "SAVE"]

// ---------------------------------------------------------------------------------------------
// Wire keywords, shared by the encoder and the parser so they cannot drift apart.

/** Every flag key `_tag`. */
export const flagKeyTags: ReadonlyArray<FlagKeyTag> = [
  "All",
  "Answered",
  "Deleted",
  "Draft",
  "Flagged",
  "Seen",
  "New",
  "Old",
  "Recent",
  "Unanswered",
  "Undeleted",
  "Undraft",
  "Unflagged",
  "Unseen"
]
/** Every date key `_tag`. */
export const dateKeyTags: ReadonlyArray<DateKeyTag> = ["Before", "On", "Since", "SentBefore", "SentOn", "SentSince"]
/** Every text key `_tag`. */
export const textKeyTags: ReadonlyArray<TextKeyTag> = ["From", "To", "Cc", "Bcc", "Subject", "Body", "Text"]

const specialWords: Partial<Record<SearchKey["_tag"], string>> = {
  EmailId: "EMAILID",
  ThreadId: "THREADID",
  GmailRaw: "X-GM-RAW",
  ModSeq: "MODSEQ"
}

/** The wire keyword of a tag (`SentBefore` is `SENTBEFORE`); `And` and `SequenceSet` have none. */
export const wordOf = (tag: SearchKey["_tag"]): string => specialWords[tag] ?? tag.toUpperCase()

// ---------------------------------------------------------------------------------------------
// Constructors

const flagKey = (_tag: FlagKeyTag): FlagKey => ({ _tag })
/** ALL: every message. */
export const all: FlagKey = flagKey("All")
/** ANSWERED: messages with `\Answered`. */
export const answered: FlagKey = flagKey("Answered")
/** DELETED: messages with `\Deleted`. */
export const deleted: FlagKey = flagKey("Deleted")
/** DRAFT: messages with `\Draft`. */
export const draft: FlagKey = flagKey("Draft")
/** FLAGGED: messages with `\Flagged`. */
export const flagged: FlagKey = flagKey("Flagged")
/** SEEN: messages with `\Seen`. */
export const seen: FlagKey = flagKey("Seen")
/** NEW: recent and not seen (IMAP4rev1; `new` is reserved). */
export const new_: FlagKey = flagKey("New")
/** OLD: messages without `\Recent` (IMAP4rev1). */
export const old: FlagKey = flagKey("Old")
/** RECENT: messages with `\Recent` (IMAP4rev1). */
export const recent: FlagKey = flagKey("Recent")
/** UNANSWERED: messages without `\Answered`. */
export const unanswered: FlagKey = flagKey("Unanswered")
/** UNDELETED: messages without `\Deleted`. */
export const undeleted: FlagKey = flagKey("Undeleted")
/** UNDRAFT: messages without `\Draft`. */
export const undraft: FlagKey = flagKey("Undraft")
/** UNFLAGGED: messages without `\Flagged`. */
export const unflagged: FlagKey = flagKey("Unflagged")
/** UNSEEN: messages without `\Seen`. */
export const unseen: FlagKey = flagKey("Unseen")

/** KEYWORD: messages with this keyword flag. */
export const keyword = (flag: string): KeywordKey => ({ _tag: "Keyword", flag })
/** UNKEYWORD: messages without this keyword flag. */
export const unkeyword = (flag: string): KeywordKey => ({ _tag: "Unkeyword", flag })

/** BEFORE: internal date earlier than this day. */
export const before = (date: Date): DateKey => ({ _tag: "Before", date })
/** ON: internal date on this day. */
export const on = (date: Date): DateKey => ({ _tag: "On", date })
/** SINCE: internal date on or after this day. */
export const since = (date: Date): DateKey => ({ _tag: "Since", date })
/** SENTBEFORE: `Date:` header earlier than this day. */
export const sentBefore = (date: Date): DateKey => ({ _tag: "SentBefore", date })
/** SENTON: `Date:` header on this day. */
export const sentOn = (date: Date): DateKey => ({ _tag: "SentOn", date })
/** SENTSINCE: `Date:` header on or after this day. */
export const sentSince = (date: Date): DateKey => ({ _tag: "SentSince", date })

/** FROM: the From header contains `value`. */
export const from = (value: string): TextKey => ({ _tag: "From", value })
/** TO: the To header contains `value`. */
export const to = (value: string): TextKey => ({ _tag: "To", value })
/** CC: the Cc header contains `value`. */
export const cc = (value: string): TextKey => ({ _tag: "Cc", value })
/** BCC: the Bcc header contains `value`. */
export const bcc = (value: string): TextKey => ({ _tag: "Bcc", value })
/** SUBJECT: the Subject header contains `value`. */
export const subject = (value: string): TextKey => ({ _tag: "Subject", value })
/** BODY: the message body contains `value`. */
export const body = (value: string): TextKey => ({ _tag: "Body", value })
/** TEXT: the header or body contains `value`. */
export const text = (value: string): TextKey => ({ _tag: "Text", value })
/** HEADER: header field `name` contains `value`. */
export const header = (name: string, value: string): HeaderKey => ({ _tag: "Header", name, value })

/** LARGER: RFC822.SIZE above `size` octets. */
export const larger = (size: number): SizeKey => ({ _tag: "Larger", size })
/** SMALLER: RFC822.SIZE below `size` octets. */
export const smaller = (size: number): SizeKey => ({ _tag: "Smaller", size })
/** OLDER (RFC 5032): internal date more than `seconds` ago. */
export const older = (seconds: number): IntervalKey => ({ _tag: "Older", seconds })
/** YOUNGER (RFC 5032): internal date at most `seconds` ago. */
export const younger = (seconds: number): IntervalKey => ({ _tag: "Younger", seconds })

/** UID: messages whose UID is in the set. */
export const uid = (set: SetOrSaved<"uid">): UidKey => ({ _tag: "Uid", set })
/** Messages whose sequence number is in the set. */
export const sequenceSet = (set: SetOrSaved<"seq">): SequenceSetKey => ({ _tag: "SequenceSet", set })

/** OR: messages matching `left` or `right`. */
export const or = (left: SearchKey, right: SearchKey): OrKey => ({ _tag: "Or", left, right })
/** NOT: messages not matching `key`. */
export const not = (key: SearchKey): NotKey => ({ _tag: "Not", key })
/** All keys must match (a parenthesised list). */
export const and = (...keys: NonEmptyReadonlyArray<SearchKey>): AndKey => ({ _tag: "And", keys })

/** MODSEQ (RFC 7162 3.1.5): messages changed at or after mod-sequence `n`. */
export const modSeq = (n: bigint, entry?: ModSeqKey["entry"]): ModSeqKey =>
  entry === undefined ? { _tag: "ModSeq", modSeq: n } : { _tag: "ModSeq", modSeq: n, entry }
/** EMAILID (RFC 8474): the message with this email id. */
export const emailId = (id: string): ObjectIdKey => ({ _tag: "EmailId", id })
/** THREADID (RFC 8474): messages of this thread. */
export const threadId = (id: string): ObjectIdKey => ({ _tag: "ThreadId", id })
/** X-GM-RAW: a Gmail search query, for Gmail only. */
export const gmailRaw = (query: string): GmailRawKey => ({ _tag: "GmailRaw", query })

// ---------------------------------------------------------------------------------------------
// Charset

const nonAscii = /[^\x00-\x7f]/

/**
 * True if some string the key compares holds a non-ASCII character. Without UTF8=ACCEPT such a
 * search must name its charset (`CHARSET UTF-8`): a server assumes US-ASCII otherwise and Cyrus then
 * matches nothing (RFC 9051 6.4.4, RFC 6855 3).
 */
export const hasNonAscii = (key: SearchKey): boolean => {
  switch (key._tag) {
    case "From":
    case "To":
    case "Cc":
    case "Bcc":
    case "Subject":
    case "Body":
    case "Text":
      return nonAscii.test(key.value)
    case "Header":
      return nonAscii.test(key.name) || nonAscii.test(key.value)
    case "GmailRaw":
      return nonAscii.test(key.query)
    case "Keyword":
    case "Unkeyword":
      return nonAscii.test(key.flag)
    case "Or":
      return hasNonAscii(key.left) || hasNonAscii(key.right)
    case "Not":
      return hasNonAscii(key.key)
    case "And":
      return key.keys.some(hasNonAscii)
    default:
      return false
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

/** Month names as IMAP dates write them (RFC 9051 9, date-month). */
export const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const

/** A calendar day as a `Date` at 00:00 UTC; `month` is 1-12. */
export const day = (year: number, month: number, dayOfMonth: number): Date => {
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, dayOfMonth)
  return date
}

/** `date` (RFC 9051 9): `1-Feb-1994`, from the UTC calendar day of `date`. */
export const formatDate = (date: Date): string =>
  `${date.getUTCDate()}-${months[date.getUTCMonth()]}-${String(date.getUTCFullYear()).padStart(4, "0")}`

/** Parses `1-Feb-1994` (also `01-feb-1994`; RFC 9051 allows 1 or 2 day digits), or undefined. */
export const parseDate = (s: string): Date | undefined => {
  const m = /^([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})$/.exec(s)
  if (m === null) return undefined
  const month = months.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase())
  if (month < 0) return undefined
  const d = Number(m[1])
  const year = Number(m[3])
  const date = day(year, month + 1, d)
  // Reject 31-Feb and friends instead of letting Date roll them into March.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== month) return undefined
  return date
}

/** True for an OBJECTID (RFC 8474 7): 1-255 of ALPHA / DIGIT / "_" / "-". */
export const isObjectId = (id: string): boolean => /^[A-Za-z0-9_-]{1,255}$/.test(id)
