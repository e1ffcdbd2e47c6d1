/**
 * One frame (as cut by `Framer`) in, one typed `Response` out: tagged completions, untagged status
 * and data, continuation requests. Synchronous, byte-level, one small reader per ABNF element of
 * RFC 3501 / RFC 9051 and the extensions (see `internal/`).
 *
 * What fails and what does not:
 * - A frame that is not `tag SP OK|NO|BAD ...`, `* ...` or `+ ...` becomes `Unknown` with its raw
 *   bytes: e.g. Exchange's bare `Server Unavailable.` line (untagged garbage it sends before
 *   dropping the connection). The frame was cut cleanly, so the stream is still in sync, and the
 *   client decides (it will typically surface the line when the connection then closes).
 * - An untagged response with an unknown keyword (`* XFOO ...`, `* 3 XFOO ...`) is `Unknown` too,
 *   and an unknown FETCH item goes to `attributes.unknown`.
 * - Malformed syntax inside a known response (unbalanced parentheses, a number where none is,
 *   an unterminated string, garbage after the end) throws `ParseError` with offset and excerpt.
 *
 * Leniency, each because a real server needs it (details at each reader): lower-case keywords
 * (`* ok`, `* 5 fetch`), missing text after a response code (Gmail), extra and trailing spaces in
 * lists (Exchange's `(MESSAGES 1 )`), `\*` and `[`/`]` in flags, body-fld-lines of -1 (Exchange),
 * bare LF line ends (see Framer).
 */
import * as MailboxName from "./MailboxName.ts"
import type {
  Continuation,
  ESearchData,
  IdData,
  ListData,
  NamespaceData,
  NamespaceEntry,
  QuotaData,
  QuotaResource,
  QuotaRootData,
  Response,
  SearchData,
  StatusData,
  StatusItems,
  Tagged,
  UnknownData,
  UntaggedData,
  VanishedData
} from "./Response.ts"
import { isDigit } from "./internal/CharClass.ts"
import { fetchData } from "./internal/FetchParser.ts"
import {
  decodeUtf8,
  isAstringChar,
  isKeyword,
  keyword,
  LPAREN,
  PLUS,
  RPAREN,
  Reader,
  SP,
  STAR
} from "./internal/Reader.ts"
import { respText, sequenceSet } from "./internal/RespTextParser.ts"

/**
 * Parses one complete response. `frame` is normally one frame from `Framer` (line end included);
 * a frame without its final CRLF is accepted too. Throws `ParseError` on malformed syntax.
 * Byte data in the result (`BODY[...]`, `BINARY[...]`, `Unknown.raw`) are views into `frame`.
 */
const NO_FRAME = new Uint8Array(0)
const reader = new Reader(NO_FRAME)

export const parse = (frame: Uint8Array): Response => {
  const r = reader.reset(frame)
  try {
    const c = r.peek()
    if (c === STAR) return untagged(r)
    if (c === PLUS) return continuation(r)
    return tagged(r)
  } finally {
    // The shared reader must not keep the frame (maybe a large literal) alive until the next one.
    r.reset(NO_FRAME)
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Raw = { readonly name: string; readonly raw: string }

const unknown = (r: Reader): UnknownData => ({ _tag: "Unknown", raw: r.buf })

const OK = keyword("OK")
const NO = keyword("NO")
const BAD = keyword("BAD")
const EXISTS = keyword("EXISTS")
const RECENT = keyword("RECENT")
const EXPUNGE = keyword("EXPUNGE")
const FETCH = keyword("FETCH")
const MODSEQ = keyword("MODSEQ")
const EARLIER = keyword("EARLIER")
const TAG = keyword("TAG")
const UID = keyword("UID")
const MIN = keyword("MIN")
const MAX = keyword("MAX")
const COUNT = keyword("COUNT")
const ALL = keyword("ALL")

// ---------------------------------------------------------------------------------------------
// tag SP (OK / NO / BAD) SP resp-text

const tagged = (r: Reader): Tagged | UnknownData => {
  const buf = r.buf
  let p = 0
  while (p < r.end && isAstringChar(buf[p]!) && buf[p] !== PLUS) p++
  if (p === 0 || buf[p] !== SP) return unknown(r)
  const tag = decodeUtf8(buf, 0, p)
  r.pos = p + 1
  r.name()
  const status = r.tokenIs(OK) ? "OK" : r.tokenIs(NO) ? "NO" : r.tokenIs(BAD) ? "BAD" : undefined
  if (status === undefined || !(r.peek() === SP || r.atLineEnd())) return unknown(r)
  const { code, text } = respText(r)
  r.finish()
  return { _tag: "Tagged", tag, status, code, text }
}

// ---------------------------------------------------------------------------------------------
// "+" [SP (resp-text / base64)]

const continuation = (r: Reader): Continuation => {
  r.pos++
  // A bare `+` with no SP: Yandex sends it for XOAUTH2's empty challenge, Proton Mail Bridge for
  // AUTHENTICATE PLAIN without SASL-IR (both reported against other clients' parsers).
  if (r.peek() === SP) r.pos++
  const text = r.text()
  r.finish()
  return { _tag: "Continuation", text }
}

// ---------------------------------------------------------------------------------------------
// "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data / capability-data / ...)

const untagged = (r: Reader): UntaggedData => {
  r.pos++
  if (!r.tryByte(SP)) return unknown(r)
  if (isDigit(r.peek())) return messageData(r, r.number())
  if (r.name() === 0) return unknown(r)
  const s = r.tokenStart
  const e = r.tokenEnd
  // Keywords are case-insensitive (RFC 9051 9), and servers use it: `* 2 Recent` has been seen in
  // the wild, Exchange/Office 365 mixes case, Archiveopteryx sent lower-case ESEARCH. Outside FETCH
  // this runs once per response, so an upper-cased string switch costs nothing that matters.
  switch (decodeUtf8(r.buf, s, e).toUpperCase()) {
    case "OK":
      return status(r, "OK")
    case "NO":
      return status(r, "NO")
    case "BAD":
      return status(r, "BAD")
    case "PREAUTH":
      return status(r, "PREAUTH")
    case "BYE":
      return status(r, "BYE")
    case "CAPABILITY":
      return { _tag: "Capability", capabilities: atomsToEnd(r) }
    case "ENABLED":
      return { _tag: "Enabled", capabilities: atomsToEnd(r) }
    case "FLAGS": {
      r.sp()
      const flags = r.flagList()
      r.finish()
      return { _tag: "Flags", flags }
    }
    case "LIST":
      return list(r, "List")
    case "LSUB":
      return list(r, "Lsub")
    case "STATUS":
      return statusData(r)
    case "SEARCH":
      return search(r)
    case "ESEARCH":
      return esearch(r)
    case "VANISHED":
      return vanished(r)
    case "NAMESPACE":
      return namespace(r)
    case "ID":
      return id(r)
    case "QUOTA":
      return quota(r)
    case "QUOTAROOT":
      return quotaRoot(r)
  }
  return unknown(r)
}

/** A status keyword must be followed by SP or the line end (`* OKAY` is not `* OK`). */
const status = (r: Reader, condition: "OK" | "NO" | "BAD" | "PREAUTH" | "BYE"): UntaggedData => {
  if (!(r.peek() === SP || r.atLineEnd())) return unknown(r)
  const { code, text } = respText(r)
  r.finish()
  return { _tag: "UntaggedStatus", status: condition, code, text }
}

/** message-data = nz-number SP ("EXPUNGE" / "FETCH" msg-att), and EXISTS / RECENT. */
const messageData = (r: Reader, n: number): UntaggedData => {
  if (!r.tryByte(SP) || r.name() === 0) return unknown(r)
  if (r.tokenIs(FETCH)) {
    r.sp()
    return fetchData(r, n)
  }
  if (r.tokenIs(EXISTS)) {
    r.finish()
    return { _tag: "Exists", count: n }
  }
  if (r.tokenIs(EXPUNGE)) {
    r.finish()
    return { _tag: "Expunge", seq: n }
  }
  if (r.tokenIs(RECENT)) {
    r.finish()
    return { _tag: "Recent", count: n }
  }
  return unknown(r)
}

/** *(SP atom) to the end of the line (CAPABILITY, ENABLED); extra and trailing spaces tolerated. */
const atomsToEnd = (r: Reader): Array<string> => {
  const out: Array<string> = []
  for (;;) {
    const spaced = r.spaces()
    if (r.atLineEnd()) break
    if (!spaced) r.fail("expected SP")
    out.push(r.atom())
  }
  r.finish()
  return out
}

// ---------------------------------------------------------------------------------------------
// Mailbox data

/**
 * Modified UTF-7 decoding that cannot take the parser down: `MailboxName.decode` is lenient about
 * bad encodings but builds each shifted run with one spread call, which overflows the stack for a
 * hostile run of a few hundred thousand characters; such a name is returned as received.
 */
const decodeName = (raw: string): string => {
  try {
    return MailboxName.decode(raw)
  } catch {
    return raw
  }
}

/** A mailbox name: the Unicode form (modified UTF-7 decoded, leniently) and the wire form. */
const mailbox = (r: Reader): { readonly name: string; readonly raw: string } => {
  const raw = r.astring()
  return { name: decodeName(raw), raw }
}

/**
 * mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
 * [SP mbox-list-extended]. Names come unquoted (Cyrus, Dovecot) or quoted (Courier).
 */
const list = (r: Reader, tag: "List" | "Lsub"): ListData => {
  r.sp()
  const attributes = r.flagList()
  r.sp()
  const delimiter = r.nstring()
  r.sp()
  const name = mailbox(r)
  let childInfo: Array<string> | undefined
  let oldName: string | undefined
  const extended: Array<Raw> = []
  if (r.spaces() && r.peek() === LPAREN) {
    // mbox-list-extended = "(" [item *(SP item)] ")"; item = tag-string SP tagged-ext-val
    r.openList()
    r.spaces()
    if (r.peek() !== RPAREN) {
      do {
        const itemName = r.astring()
        const upper = itemName.toUpperCase()
        r.sp()
        if (upper === "CHILDINFO") {
          const info: Array<string> = []
          r.openList()
          r.spaces()
          if (r.peek() !== RPAREN) {
            do info.push(r.astring())
            while (r.more())
          }
          r.closeList()
          childInfo = info
        } else if (upper === "OLDNAME") {
          r.openList()
          r.spaces()
          oldName = decodeName(r.astring())
          r.closeList()
        } else {
          const start = r.skipValue()
          extended.push({ name: itemName, raw: r.rawFrom(start) })
        }
      } while (r.more())
    }
    r.closeList()
  }
  r.finish()
  return { _tag: tag, attributes, delimiter, mailbox: name.name, rawMailbox: name.raw, childInfo, oldName, extended }
}

/** One status-att-val into `items`; unknown items (and `APPENDLIMIT NIL`) go to `other`, raw. */
const statusItem = (r: Reader, items: Mutable<StatusItems>, other: Array<Raw>): void => {
  if (r.name() === 0) r.fail("expected a STATUS item")
  const itemName = r.tokenText()
  r.sp()
  switch (itemName.toUpperCase()) {
    case "MESSAGES":
      items.messages = r.number()
      return
    case "RECENT":
      items.recent = r.number()
      return
    case "UIDNEXT":
      items.uidNext = r.number()
      return
    case "UIDVALIDITY":
      items.uidValidity = r.number()
      return
    case "UNSEEN":
      items.unseen = r.number()
      return
    case "DELETED":
      items.deleted = r.number()
      return
    case "SIZE":
      items.size = r.safeNumber()
      return
    case "HIGHESTMODSEQ":
      items.highestModSeq = r.number64()
      return
    case "MAILBOXID":
      r.openList()
      r.spaces()
      items.mailboxId = r.atom()
      r.closeList()
      return
    case "APPENDLIMIT":
      // RFC 7889: `APPENDLIMIT NIL` means "no limit"; `appendLimit` has no NIL, so it goes to `other`.
      if (isDigit(r.peek())) {
        items.appendLimit = r.safeNumber()
        return
      }
  }
  const start = r.skipValue()
  other.push({ name: itemName, raw: r.rawFrom(start) })
}

/** "STATUS" SP mailbox SP "(" [status-att-val *(SP status-att-val)] ")" */
const statusData = (r: Reader): StatusData => {
  r.sp()
  const name = mailbox(r)
  r.sp()
  const items: Mutable<StatusItems> = {}
  const other: Array<Raw> = []
  r.openList()
  r.spaces()
  // Exchange sends a space before the `)`: `(MESSAGES 1 )`; `more` allows it.
  if (r.peek() !== RPAREN) {
    do statusItem(r, items, other)
    while (r.more())
  }
  r.closeList()
  r.finish()
  if (other.length > 0) items.other = other
  return { _tag: "Status", mailbox: name.name, rawMailbox: name.raw, items }
}

/** "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"] (RFC 7162 3.1.5). */
const search = (r: Reader): SearchData => {
  const ids: Array<number> = []
  let modSeq: bigint | undefined
  for (;;) {
    const spaced = r.spaces()
    if (r.atLineEnd()) break
    if (!spaced) r.fail("expected SP")
    if (r.peek() === LPAREN && modSeq === undefined) {
      r.openList()
      r.spaces()
      r.name()
      if (!r.tokenIs(MODSEQ)) r.fail("expected MODSEQ", r.tokenStart)
      r.sp()
      modSeq = r.number64()
      r.closeList()
      continue
    }
    if (modSeq !== undefined) r.fail("data after (MODSEQ n) in SEARCH")
    ids.push(r.number())
  }
  r.finish()
  return { _tag: "Search", ids, modSeq }
}

/** RFC 4731 / RFC 9051: "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data) */
const esearch = (r: Reader): ESearchData => {
  let tag: string | undefined
  let uid = false
  let min: number | undefined
  let max: number | undefined
  let count: number | undefined
  let all: ESearchData["all"]
  let modSeq: bigint | undefined
  const other: Array<Raw> = []
  let first = true
  for (;;) {
    const spaced = r.spaces()
    if (r.atLineEnd()) break
    if (!spaced) r.fail("expected SP")
    if (first && r.peek() === LPAREN) {
      // search-correlator = "(" "TAG" SP tag-string *(SP tagged-ext) ")"
      first = false
      r.openList()
      r.spaces()
      while (r.peek() !== RPAREN) {
        if (r.name() === 0) r.fail("expected a correlator item")
        const isTag = r.tokenIs(TAG)
        r.sp()
        if (isTag) tag = r.astring()
        else r.skipValue()
        r.spaces()
      }
      r.closeList()
      continue
    }
    first = false
    if (r.name() === 0) r.fail("expected ESEARCH return data")
    if (r.tokenIs(UID)) {
      uid = true
      continue
    }
    const s = r.tokenStart
    const e = r.tokenEnd
    r.sp()
    if (isKeyword(r.buf, s, e, MIN)) min = r.number()
    else if (isKeyword(r.buf, s, e, MAX)) max = r.number()
    else if (isKeyword(r.buf, s, e, COUNT)) count = r.number()
    else if (isKeyword(r.buf, s, e, ALL)) all = uid ? sequenceSet(r, "uid", true) : sequenceSet(r, "seq", true)
    else if (isKeyword(r.buf, s, e, MODSEQ)) modSeq = r.number64()
    else {
      const start = r.skipValue()
      other.push({ name: decodeUtf8(r.buf, s, e), raw: r.rawFrom(start) })
    }
  }
  r.finish()
  return { _tag: "ESearch", tag, uid, min, max, count, all, modSeq, other }
}

/** RFC 7162 3.2.10: "VANISHED" [SP "(EARLIER)"] SP known-uids */
const vanished = (r: Reader): VanishedData => {
  r.sp()
  let earlier = false
  if (r.peek() === LPAREN) {
    r.openList()
    r.name()
    if (!r.tokenIs(EARLIER)) r.fail("expected EARLIER", r.tokenStart)
    r.closeList()
    r.sp()
    earlier = true
  }
  const uids = sequenceSet(r, "uid", false)
  r.finish()
  return { _tag: "Vanished", earlier, uids }
}

/**
 * namespace = nil / "(" 1*namespace-descr ")"; namespace-descr = "(" string SP (DQUOTE
 * QUOTED-CHAR DQUOTE / nil) *(namespace-response-extension) ")". Courier sends the descriptors
 * without a space between them: `(("#shared." ".")("shared." "."))`.
 */
const namespaceList = (r: Reader): ReadonlyArray<NamespaceEntry> => {
  if (r.tryNil()) return []
  r.openList()
  const out: Array<NamespaceEntry> = []
  r.spaces()
  while (r.peek() !== RPAREN) {
    r.openList()
    const prefix = r.string()
    r.separator()
    const delimiter = r.nstring()
    // namespace-response-extension = SP string SP "(" string *(SP string) ")": skipped.
    while (r.spaces() && r.peek() !== RPAREN) r.skipValue()
    r.closeList()
    out.push({ prefix, delimiter })
    r.spaces()
  }
  r.closeList()
  return out
}

const namespace = (r: Reader): NamespaceData => {
  r.sp()
  const personal = namespaceList(r)
  r.separator()
  const otherUsers = namespaceList(r)
  r.separator()
  const shared = namespaceList(r)
  r.finish()
  return { _tag: "Namespace", personal, otherUsers, shared }
}

/** RFC 2971: "ID" SP ("(" *(string SP nstring) ")" / nil) */
const id = (r: Reader): IdData => {
  r.sp()
  if (r.tryNil()) {
    r.finish()
    return { _tag: "Id", params: undefined }
  }
  const params = new Map<string, string | undefined>()
  r.openList()
  r.spaces()
  if (r.peek() !== RPAREN) {
    do {
      const key = r.string()
      r.separator()
      params.set(key, r.nstring())
    } while (r.more())
  }
  r.closeList()
  r.finish()
  return { _tag: "Id", params }
}

/** RFC 9208: "QUOTA" SP quota-root-name SP "(" [resource SP usage SP limit ...] ")" */
const quota = (r: Reader): QuotaData => {
  r.sp()
  const root = r.astring()
  r.sp()
  const resources: Array<QuotaResource> = []
  r.openList()
  r.spaces()
  if (r.peek() !== RPAREN) {
    do {
      const name = r.atom()
      r.sp()
      const usage = r.safeNumber()
      r.sp()
      const limit = r.safeNumber()
      resources.push({ name, usage, limit })
    } while (r.more())
  }
  r.closeList()
  r.finish()
  return { _tag: "Quota", root, resources }
}

/** RFC 9208: "QUOTAROOT" SP mailbox *(SP quota-root-name) */
const quotaRoot = (r: Reader): QuotaRootData => {
  r.sp()
  const name = mailbox(r)
  const roots: Array<string> = []
  for (;;) {
    const spaced = r.spaces()
    if (r.atLineEnd()) break
    if (!spaced) r.fail("expected SP")
    roots.push(r.astring())
  }
  r.finish()
  return { _tag: "QuotaRoot", mailbox: name.name, rawMailbox: name.raw, roots }
}
