/**
 * resp-text = ["[" resp-text-code "]" SP] text (RFC 3501 / RFC 9051 7.1, plus the codes of
 * UIDPLUS (RFC 4315), CONDSTORE/QRESYNC (RFC 7162), OBJECTID (RFC 8474) and RFC 5530). Known codes
 * are typed; their arguments are parsed strictly (a malformed `[UIDNEXT x]` is a ParseError, like
 * any malformed known syntax); any other code is kept as `Other` with its raw argument text.
 */
import type { ResponseCode } from "../Response.ts"
import { ParseError } from "../ParseError.ts"
import * as SequenceSet from "../SequenceSet.ts"
import type { Uid } from "../SequenceSet.ts"
import { isSetChar } from "./CharClass.ts"
import { decodeUtf8, isKeyword, keyword, LBRACKET, RBRACKET, type Reader, SP } from "./Reader.ts"

/** Most UIDs one APPENDUID/COPYUID set may expand to: a bound against a hostile `1:4294967295`. */
export const MAX_UID_SET_SIZE = 1_000_000

/** RFC 5530 response codes (and later argument-less status codes), all without arguments. */
const STATUS_CODES: ReadonlySet<string> = new Set([
  "UNAVAILABLE",
  "AUTHENTICATIONFAILED",
  "AUTHORIZATIONFAILED",
  "EXPIRED",
  "PRIVACYREQUIRED",
  "CONTACTADMIN",
  "NOPERM",
  "INUSE",
  "EXPUNGEISSUED",
  "CORRUPTION",
  "SERVERBUG",
  "CLIENTBUG",
  "CANNOT",
  "LIMIT",
  "OVERQUOTA",
  "ALREADYEXISTS",
  "NONEXISTENT",
  "HASCHILDREN",
  "UNKNOWN-CTE",
  "NOTSAVED",
  "USEATTR",
  "COMPRESSIONACTIVE"
])
export const isStatusCode = (name: string): boolean => STATUS_CODES.has(name)

const ALERT: ResponseCode = { _tag: "Alert" }
const PARSE: ResponseCode = { _tag: "Parse" }
const READ_ONLY: ResponseCode = { _tag: "ReadOnly" }
const READ_WRITE: ResponseCode = { _tag: "ReadWrite" }
const TRY_CREATE: ResponseCode = { _tag: "TryCreate" }
const NO_MODSEQ: ResponseCode = { _tag: "NoModSeq" }
const CLOSED: ResponseCode = { _tag: "Closed" }
const UID_NOT_STICKY: ResponseCode = { _tag: "UidNotSticky" }

const SIMPLE: ReadonlyMap<string, ResponseCode> = new Map<string, ResponseCode>([
  ["ALERT", ALERT],
  ["PARSE", PARSE],
  ["READ-ONLY", READ_ONLY],
  ["READ-WRITE", READ_WRITE],
  ["TRYCREATE", TRY_CREATE],
  ["NOMODSEQ", NO_MODSEQ],
  ["CLOSED", CLOSED],
  ["UIDNOTSTICKY", UID_NOT_STICKY]
])

/**
 * Expands a uid-set (`1:3,7`, RFC 4315: no `*`) into its UIDs in the order written, a range from
 * its smaller to its larger end (COPYUID pairs source and destination UIDs by position). Read by
 * `sequenceSet`, so the same nz-number rule holds; more than `MAX_UID_SET_SIZE` UIDs is a ParseError.
 */
export const uidSet = (r: Reader): Array<Uid> => {
  const at = r.pos
  const out: Array<Uid> = []
  for (const range of sequenceSet(r, "uid", false).ranges) {
    const lo = Math.min(Number(range.start), Number(range.end))
    const hi = Math.max(Number(range.start), Number(range.end))
    if (out.length + (hi - lo + 1) > MAX_UID_SET_SIZE) r.fail(`uid-set larger than ${MAX_UID_SET_SIZE} UIDs`, at)
    for (let u = lo; u <= hi; u++) out.push(u as Uid)
  }
  return out
}

/**
 * A sequence-set (MODIFIED, VANISHED, ESEARCH ALL, APPENDUID / COPYUID) as a typed set. `SequenceSet.parse` owns the
 * grammar (RFC 9051 9: nz-number = digit-nz *DIGIT, so `0` and a leading zero such as `007` are
 * refused like any malformed known syntax), and its ParseError is raised again here with the
 * offset in the frame and the frame's bytes. `star: false` where the grammar forbids `*` (RFC 7162
 * 3.2.10: VANISHED's known-uids; RFC 4315: uid-set).
 */
export const sequenceSet = <K extends SequenceSet.Kind>(
  r: Reader,
  kind: K,
  star: boolean
): SequenceSet.SequenceSet<K> => {
  const start = r.pos
  let end = start
  while (end < r.end && isSetChar(r.buf[end]!)) end++
  // ASCII by construction, so the parser's char offsets are byte offsets.
  const text = decodeUtf8(r.buf, start, end)
  let set: SequenceSet.SequenceSet<K>
  try {
    set = SequenceSet.parse(text, kind)
  } catch (e) {
    if (e instanceof ParseError) r.fail(e.message, start + e.offset)
    throw e
  }
  if (!star) {
    const at = text.indexOf("*")
    if (at >= 0) r.fail("* is not allowed in this set", start + at)
  }
  r.pos = end
  return set
}

/** After `[` and the code's name: `]` for a code without arguments. */
const close = (r: Reader): void => {
  if (r.peek() !== RBRACKET) r.fail("expected ] after response code")
  r.pos++
}

/** Space-separated atoms up to `]` (CAPABILITY); extra spaces tolerated. */
const atomsUntilBracket = (r: Reader): Array<string> => {
  const out: Array<string> = []
  for (;;) {
    r.spaces()
    if (r.peek() === RBRACKET || r.atLineEnd()) return out
    out.push(r.atom())
  }
}

const CAPABILITY = keyword("CAPABILITY")
const PERMANENTFLAGS = keyword("PERMANENTFLAGS")
const UIDNEXT = keyword("UIDNEXT")
const UIDVALIDITY = keyword("UIDVALIDITY")
const UNSEEN = keyword("UNSEEN")
const HIGHESTMODSEQ = keyword("HIGHESTMODSEQ")
const MODIFIED = keyword("MODIFIED")
const APPENDUID = keyword("APPENDUID")
const COPYUID = keyword("COPYUID")
const BADCHARSET = keyword("BADCHARSET")
const MAILBOXID = keyword("MAILBOXID")

/** Reads `[code]`; the cursor is on `[`. Codes are matched case-insensitively. */
export const responseCode = (r: Reader): ResponseCode => {
  r.pos++ // [
  const buf = r.buf
  if (r.name() === 0) r.fail("expected a response code")
  const s = r.tokenStart
  const e = r.tokenEnd
  if (isKeyword(buf, s, e, CAPABILITY)) {
    const capabilities = atomsUntilBracket(r)
    close(r)
    return { _tag: "Capability", capabilities }
  }
  if (isKeyword(buf, s, e, PERMANENTFLAGS)) {
    r.sp()
    const flags = r.flagList()
    close(r)
    return { _tag: "PermanentFlags", flags }
  }
  if (isKeyword(buf, s, e, UIDNEXT)) {
    r.sp()
    const uid = r.number()
    close(r)
    return { _tag: "UidNext", uid }
  }
  if (isKeyword(buf, s, e, UIDVALIDITY)) {
    r.sp()
    const uidValidity = r.number()
    close(r)
    return { _tag: "UidValidity", uidValidity }
  }
  if (isKeyword(buf, s, e, UNSEEN)) {
    r.sp()
    const seq = r.number()
    close(r)
    return { _tag: "Unseen", seq }
  }
  if (isKeyword(buf, s, e, HIGHESTMODSEQ)) {
    r.sp()
    const modSeq = r.number64()
    close(r)
    return { _tag: "HighestModSeq", modSeq }
  }
  if (isKeyword(buf, s, e, MODIFIED)) {
    r.sp()
    const set = sequenceSet(r, "uid", true)
    close(r)
    return { _tag: "Modified", set }
  }
  if (isKeyword(buf, s, e, APPENDUID)) {
    r.sp()
    const uidValidity = r.number()
    r.sp()
    const uids = uidSet(r)
    close(r)
    return { _tag: "AppendUid", uidValidity, uids }
  }
  if (isKeyword(buf, s, e, COPYUID)) {
    r.sp()
    const uidValidity = r.number()
    r.sp()
    const sourceUids = uidSet(r)
    r.sp()
    const destUids = uidSet(r)
    close(r)
    return { _tag: "CopyUid", uidValidity, sourceUids, destUids }
  }
  if (isKeyword(buf, s, e, BADCHARSET)) {
    const charsets: Array<string> = []
    if (r.tryByte(SP)) {
      r.openList()
      r.spaces()
      if (r.peek() !== 0x29) {
        do charsets.push(r.astring())
        while (r.more())
      }
      r.closeList()
    }
    close(r)
    return { _tag: "BadCharset", charsets }
  }
  if (isKeyword(buf, s, e, MAILBOXID)) {
    r.sp()
    r.openList()
    const id = r.atom()
    r.closeList()
    close(r)
    return { _tag: "MailboxId", id }
  }
  const upper = decodeUtf8(buf, s, e).toUpperCase()
  if (r.peek() === RBRACKET) {
    const simple = SIMPLE.get(upper)
    if (simple !== undefined) {
      r.pos++
      return simple
    }
    if (STATUS_CODES.has(upper)) {
      r.pos++
      return { _tag: "Status", code: upper }
    }
  }
  // Any other code: `atom [SP 1*<any TEXT-CHAR except "]">]`, kept raw (e.g. Cyrus's
  // `[URLMECH INTERNAL]`, `[ANNOTATIONS 65536]`, Courier's `[MYRIGHTS "acdilrsw"]`).
  const name = decodeUtf8(buf, s, e)
  let text: string | undefined
  if (r.tryByte(SP)) {
    const start = r.pos
    while (r.peek() !== RBRACKET) {
      if (r.atLineEnd()) r.fail("unterminated response code")
      r.pos++
    }
    text = decodeUtf8(buf, start, r.pos)
  }
  close(r)
  return { _tag: "Other", name, text }
}

/**
 * resp-text after the status word (the cursor is just after OK/NO/BAD/PREAUTH/BYE or `+`): an
 * optional `[code]`, then the text. Lenient where servers are: no text at all (Gmail's
 * `* OK [UIDVALIDITY 1]`, `a OK [READ-WRITE]`), no SP before the text, free text such as Cyrus's
 * `Completed (0.000 secs 2 calls)` or Courier's doubled spaces, kept exactly as sent.
 */
export const respText = (r: Reader): { readonly code: ResponseCode | undefined; readonly text: string } => {
  if (r.atLineEnd()) return { code: undefined, text: "" }
  if (r.peek() === SP) r.pos++
  let code: ResponseCode | undefined
  if (r.peek() === LBRACKET && hasClosingBracket(r)) {
    code = responseCode(r)
    if (r.peek() === SP) r.pos++
  }
  return { code, text: r.text() }
}

/**
 * Whether the `[` at the cursor is closed on this line. A `[` without `]` is not a response code
 * but text (`* OK [incomplete`), which a server may legitimately send.
 */
const hasClosingBracket = (r: Reader): boolean => {
  const buf = r.buf
  for (let p = r.pos + 1; p < r.end; p++) {
    const c = buf[p]!
    if (c === RBRACKET) return true
    if (c === 0x0a) return false
  }
  return false
}
