/**
 * Whether a message matches a SEARCH key (RFC 9051 6.4.4), as a pure function of the message and
 * its place in the session. Text keys compare case-insensitively as substrings of the decoded
 * header field (RFC 9051 6.4.4); BODY and TEXT look at the raw body, transfer encoding not undone.
 * Dates: BEFORE/ON/SINCE the internal date's UTC day, SENT* the `Date:` field's.
 */
import type { SearchKey } from "@pkg/protocol"
import { SequenceSet } from "@pkg/protocol"
import * as Flags from "./Flags.ts"
import * as Headers from "./Headers.ts"

/** A message as a search sees it. */
export interface Candidate {
  readonly seq: number
  readonly uid: number
  readonly flags: ReadonlySet<string>
  readonly internalDate: Date
  readonly raw: Uint8Array
  readonly modSeq: bigint
}

/** What a search knows beside the message: the highest sequence number and UID, now, `$`. */
export interface SearchContext {
  readonly maxSeq: number
  readonly maxUid: number
  readonly now: Date
  /** UIDs of the result saved by `SEARCH RETURN (SAVE)` (RFC 5182), for `$`. */
  readonly saved: ReadonlySet<number>
}

const dayOf = (d: Date): number => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())

const contains = (haystack: string | undefined, needle: string): boolean =>
  haystack?.toLowerCase().includes(needle.toLowerCase()) === true

const sentDate = (m: Candidate): Date | undefined => {
  const value = Headers.field(m.raw, "Date")
  if (value === undefined) return undefined
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? undefined : d
}

const compareDay = (tag: "Before" | "On" | "Since", date: Date | undefined, day: Date): boolean => {
  if (date === undefined) return false
  const a = dayOf(date)
  const b = dayOf(day)
  return tag === "Before" ? a < b : tag === "On" ? a === b : a >= b
}

const flagOf: Readonly<Record<string, readonly [string, boolean]>> = {
  Answered: ["\\Answered", true],
  Deleted: ["\\Deleted", true],
  Draft: ["\\Draft", true],
  Flagged: ["\\Flagged", true],
  Seen: ["\\Seen", true],
  Recent: ["\\Recent", true],
  Old: ["\\Recent", false],
  Unanswered: ["\\Answered", false],
  Undeleted: ["\\Deleted", false],
  Undraft: ["\\Draft", false],
  Unflagged: ["\\Flagged", false],
  Unseen: ["\\Seen", false]
}

/** True when `m` matches `key`. */
export const matches = (key: SearchKey.SearchKey, m: Candidate, ctx: SearchContext): boolean => {
  switch (key._tag) {
    case "All":
      return true
    case "New":
      return Flags.includes(m.flags, "\\Recent") && !Flags.includes(m.flags, "\\Seen")
    case "Answered":
    case "Deleted":
    case "Draft":
    case "Flagged":
    case "Seen":
    case "Recent":
    case "Old":
    case "Unanswered":
    case "Undeleted":
    case "Undraft":
    case "Unflagged":
    case "Unseen": {
      const [flag, present] = flagOf[key._tag]!
      return Flags.includes(m.flags, flag) === present
    }
    case "Keyword":
      return Flags.includes(m.flags, key.flag)
    case "Unkeyword":
      return !Flags.includes(m.flags, key.flag)
    case "Before":
    case "On":
    case "Since":
      return compareDay(key._tag, m.internalDate, key.date)
    case "SentBefore":
    case "SentOn":
    case "SentSince":
      return compareDay(
        key._tag === "SentBefore" ? "Before" : key._tag === "SentOn" ? "On" : "Since",
        sentDate(m),
        key.date
      )
    case "From":
    case "To":
    case "Cc":
    case "Bcc":
    case "Subject":
      return contains(Headers.field(m.raw, key._tag), key.value)
    case "Header": {
      const value = Headers.field(m.raw, key.name)
      return value !== undefined && contains(value, key.value)
    }
    case "Body":
      return contains(Headers.bodyText(m.raw), key.value)
    case "Text":
      return contains(new TextDecoder("latin1").decode(m.raw), key.value)
    case "Larger":
      return m.raw.length > key.size
    case "Smaller":
      return m.raw.length < key.size
    case "Older":
      return ctx.now.getTime() - m.internalDate.getTime() > key.seconds * 1000
    case "Younger":
      return ctx.now.getTime() - m.internalDate.getTime() <= key.seconds * 1000
    case "Uid":
      return SequenceSet.isSaved(key.set) ? ctx.saved.has(m.uid) : SequenceSet.contains(key.set, m.uid, ctx.maxUid)
    case "SequenceSet":
      return SequenceSet.isSaved(key.set) ? ctx.saved.has(m.uid) : SequenceSet.contains(key.set, m.seq, ctx.maxSeq)
    case "Or":
      return matches(key.left, m, ctx) || matches(key.right, m, ctx)
    case "Not":
      return !matches(key.key, m, ctx)
    case "And":
      return key.keys.every((k) => matches(k, m, ctx))
    case "ModSeq":
      return m.modSeq >= key.modSeq
    case "EmailId":
    case "ThreadId":
    case "GmailRaw":
      return false
  }
}
