/**
 * Whether a message matches a SEARCH key (RFC 9051 6.4.4), as a pure function of the message and
 * its place in the session. Text keys compare case-insensitively as substrings of what `Message`
 * reads for SEARCH (decoded header values, transfer-decoded text). Dates: BEFORE/ON/SINCE the
 * internal date's UTC day, SENT* the `Date:` field's day in its own zone.
 */
import type { SearchKey } from "@pkg/protocol"
import { SequenceSet } from "@pkg/protocol"
import * as Message from "../Message.ts"
import * as Flags from "./Flags.ts"

/** A message as a search sees it. */
export interface Candidate {
  readonly seq: number
  readonly uid: number
  readonly flags: ReadonlySet<string>
  readonly internalDate: Date
  readonly size: number
  readonly modSeq: bigint
  /** The MIME view, asked for only by keys that read headers or text. */
  readonly message: () => Message.Message
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

const compare = <A>(tag: "Before" | "On" | "Since", a: A, b: A): boolean =>
  tag === "Before" ? a < b : tag === "On" ? a === b : a >= b

/** `yyyy-mm-dd` of a search day (its UTC day, as SearchKey builds them), to compare with `Message.sentDay`. */
const isoDay = (d: Date): string => d.toISOString().slice(0, 10)

const header = (m: Candidate, name: string): string | undefined => {
  const values = Message.headerValues(m.message(), name)
  return values.length === 0 ? undefined : values.join("\n")
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
      return compare(key._tag, dayOf(m.internalDate), dayOf(key.date))
    case "SentBefore":
    case "SentOn":
    case "SentSince": {
      const sent = Message.sentDay(m.message())
      const tag = key._tag === "SentBefore" ? "Before" : key._tag === "SentOn" ? "On" : "Since"
      return sent !== undefined && compare(tag, sent, isoDay(key.date))
    }
    case "From":
    case "To":
    case "Cc":
    case "Bcc":
    case "Subject":
      return contains(header(m, key._tag), key.value)
    case "Header":
      return contains(header(m, key.name), key.value)
    case "Body":
    case "Text":
      return contains(Message.searchText(m.message(), { body: key._tag === "Body" }), key.value)
    case "Larger":
      return m.size > key.size
    case "Smaller":
      return m.size < key.size
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
