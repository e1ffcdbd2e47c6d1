/**
 * `* n FETCH (msg-att)` (RFC 3501 / RFC 9051 7.5.2 and extensions): the items in whatever order the
 * server sends them (Cyrus puts FLAGS first, Courier and Dovecot follow the request), each matched
 * case-insensitively on its bytes. Items:
 * UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY / BODYSTRUCTURE, BODY[section]<origin>,
 * RFC822 / RFC822.HEADER / RFC822.TEXT (as body sections "", "HEADER", "TEXT"), BINARY[section],
 * BINARY.SIZE[section], MODSEQ (RFC 7162), EMAILID / THREADID (RFC 8474), PREVIEW (RFC 8970),
 * X-GM-MSGID / X-GM-THRID / X-GM-LABELS (Gmail). Any other item is kept in `unknown` with its raw
 * value (a list, string, literal or atom), as text and as bytes, since a literal in it may hold bytes
 * that are not UTF-8. Section data and those bytes stay views into the frame.
 */
import type { BodySection, FetchAttributes, FetchData, FetchUnknownItem } from "../Response.ts"
import type { Uid } from "../SequenceSet.ts"
import { bodyStructure } from "./BodyStructureParser.ts"
import { isDigit } from "./CharClass.ts"
import { envelope } from "./EnvelopeParser.ts"
import { DOT, decodeUtf8, GT, isKeyword, keyword, LBRACKET, LT, RBRACKET, RPAREN, type Reader } from "./Reader.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Attributes = Mutable<FetchAttributes>

const UID = keyword("UID")
const FLAGS = keyword("FLAGS")
const INTERNALDATE = keyword("INTERNALDATE")
const RFC822 = keyword("RFC822")
const RFC822_SIZE = keyword("RFC822.SIZE")
const RFC822_HEADER = keyword("RFC822.HEADER")
const RFC822_TEXT = keyword("RFC822.TEXT")
const ENVELOPE = keyword("ENVELOPE")
const EMAILID = keyword("EMAILID")
const BODY = keyword("BODY")
const BODYSTRUCTURE = keyword("BODYSTRUCTURE")
const BINARY = keyword("BINARY")
const BINARY_SIZE = keyword("BINARY.SIZE")
const MODSEQ = keyword("MODSEQ")
const THREADID = keyword("THREADID")
const PREVIEW = keyword("PREVIEW")
const X_GM_MSGID = keyword("X-GM-MSGID")
const X_GM_THRID = keyword("X-GM-THRID")
const X_GM_LABELS = keyword("X-GM-LABELS")
const HEADER = keyword("HEADER")
const HEADER_FIELDS = keyword("HEADER.FIELDS")
const HEADER_FIELDS_NOT = keyword("HEADER.FIELDS.NOT")
const TEXT = keyword("TEXT")
const MIME = keyword("MIME")

/**
 * section-msgtext / section-text after a part number: HEADER, HEADER.FIELDS[.NOT] SP header-list,
 * TEXT, or (after a part number only) MIME.
 */
const sectionText = (r: Reader, afterPart: boolean): void => {
  if (r.name() === 0) r.fail("expected a section name")
  const buf = r.buf
  const s = r.tokenStart
  const e = r.tokenEnd
  if (isKeyword(buf, s, e, HEADER_FIELDS) || isKeyword(buf, s, e, HEADER_FIELDS_NOT)) {
    r.sp()
    r.openList()
    r.spaces()
    if (r.peek() !== RPAREN) {
      do r.astring()
      while (r.more())
    }
    r.closeList()
    return
  }
  if (isKeyword(buf, s, e, HEADER) || isKeyword(buf, s, e, TEXT)) return
  if (afterPart && isKeyword(buf, s, e, MIME)) return
  r.fail("unknown section", s)
}

/**
 * section = "[" [section-spec] "]", the cursor on `[`; returns the text between the brackets as
 * sent (e.g. `1.2.MIME`, `HEADER.FIELDS (From Subject)`), validated against the grammar.
 */
const section = (r: Reader): string => {
  r.pos++ // [
  const start = r.pos
  if (isDigit(r.peek())) {
    for (;;) {
      r.number()
      if (!r.tryByte(DOT)) break
      if (!isDigit(r.peek())) {
        sectionText(r, true)
        break
      }
    }
  } else if (r.peek() !== RBRACKET) {
    sectionText(r, false)
  }
  if (r.peek() !== RBRACKET) r.fail("expected ] after section")
  const text = decodeUtf8(r.buf, start, r.pos)
  r.pos++
  return text
}

/** `<` number `>` after a section, if present. */
const origin = (r: Reader): number | undefined => {
  if (r.peek() !== LT) return undefined
  r.pos++
  const n = r.number()
  r.expect(GT, ">")
  return n
}

/** `(` single value `)`: MODSEQ, EMAILID, THREADID. */
const parenthesised = <A>(r: Reader, read: (r: Reader) => A): A => {
  r.openList()
  r.spaces()
  const v = read(r)
  r.closeList()
  return v
}
const readNumber64 = (r: Reader): bigint => r.number64()
const readAtom = (r: Reader): string => r.atom()

/**
 * Builds one FETCH response's attributes; arrays are created on first use. One Collector serves
 * every response (`reset`), as parsing is synchronous and never re-entered.
 */
class Collector {
  a: Attributes = {}
  body: Array<BodySection> | undefined
  binary: Array<BodySection> | undefined
  binarySize: Array<{ readonly section: string; readonly size: number }> | undefined
  unknown: Array<FetchUnknownItem> | undefined

  /** Starts a response; `release()` ends it, so that nothing of the last frame stays reachable. */
  reset(): this {
    this.a = {}
    return this
  }
  release(): void {
    this.a = RELEASED
    this.body = undefined
    this.binary = undefined
    this.binarySize = undefined
    this.unknown = undefined
  }

  // The first element makes an exact-size array: `push` onto [] would reserve 17 slots per message.
  addBody(s: BodySection): void {
    if (this.body === undefined) this.a.body = this.body = [s]
    else this.body.push(s)
  }
  addBinary(s: BodySection): void {
    if (this.binary === undefined) this.a.binary = this.binary = [s]
    else this.binary.push(s)
  }
  addBinarySize(section: string, size: number): void {
    if (this.binarySize === undefined) this.a.binarySize = this.binarySize = [{ section, size }]
    else this.binarySize.push({ section, size })
  }
  addUnknown(u: FetchUnknownItem): void {
    if (this.unknown === undefined) this.a.unknown = this.unknown = [u]
    else this.unknown.push(u)
  }
}

const RELEASED: Attributes = {}
const collector = new Collector()

/** `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`: body sections "", "HEADER", "TEXT" (RFC 3501 6.4.5). */
const rfc822Section = (r: Reader, c: Collector, name: string): void => {
  r.sp()
  c.addBody({ section: name, origin: undefined, data: r.nstringBytes() })
}

/** An item this parser does not know: `name[...]<...>` SP value, kept raw. */
const unknownItem = (r: Reader, c: Collector, start: number): void => {
  if (r.peek() === LBRACKET) r.skipValue()
  if (r.peek() === LT) {
    while (r.peek() !== GT) {
      if (r.atLineEnd()) r.fail("unterminated <")
      r.pos++
    }
    r.pos++
  }
  const name = decodeUtf8(r.buf, start, r.pos)
  r.sp()
  const valueStart = r.skipValue()
  c.addUnknown({ name, raw: r.rawFrom(valueStart), bytes: r.bytesFrom(valueStart) })
}

/** One msg-att item; the cursor is on its name. */
const item = (r: Reader, c: Collector): void => {
  const buf = r.buf
  const start = r.pos
  if (r.name() === 0) r.fail("expected a FETCH item")
  const s = r.tokenStart
  const e = r.tokenEnd
  const a = c.a
  // Dispatch on the first letter (lower-cased), then compare the whole name.
  switch (buf[s]! | 0x20) {
    case 0x75: // u
      if (isKeyword(buf, s, e, UID)) {
        r.sp()
        a.uid = r.number() as Uid
        return
      }
      break
    case 0x66: // f
      if (isKeyword(buf, s, e, FLAGS)) {
        r.sp()
        a.flags = r.flagList()
        return
      }
      break
    case 0x69: // i
      if (isKeyword(buf, s, e, INTERNALDATE)) {
        r.sp()
        a.internalDate = r.string()
        return
      }
      break
    case 0x72: // r
      if (isKeyword(buf, s, e, RFC822_SIZE)) {
        r.sp()
        a.size = r.number()
        return
      }
      if (isKeyword(buf, s, e, RFC822)) {
        rfc822Section(r, c, "")
        return
      }
      if (isKeyword(buf, s, e, RFC822_HEADER)) {
        rfc822Section(r, c, "HEADER")
        return
      }
      if (isKeyword(buf, s, e, RFC822_TEXT)) {
        rfc822Section(r, c, "TEXT")
        return
      }
      break
    case 0x65: // e
      if (isKeyword(buf, s, e, ENVELOPE)) {
        r.sp()
        a.envelope = envelope(r)
        return
      }
      if (isKeyword(buf, s, e, EMAILID)) {
        r.sp()
        a.emailId = parenthesised(r, readAtom)
        return
      }
      break
    case 0x62: // b
      if (isKeyword(buf, s, e, BODY)) {
        if (r.peek() === LBRACKET) {
          const sec = section(r)
          const o = origin(r)
          r.sp()
          c.addBody({ section: sec, origin: o, data: r.nstringBytes() })
        } else {
          r.sp()
          a.bodyStructure = bodyStructure(r)
        }
        return
      }
      if (isKeyword(buf, s, e, BODYSTRUCTURE)) {
        r.sp()
        a.bodyStructure = bodyStructure(r)
        return
      }
      if (isKeyword(buf, s, e, BINARY) && r.peek() === LBRACKET) {
        const sec = section(r)
        const o = origin(r)
        r.sp()
        c.addBinary({ section: sec, origin: o, data: r.nstringBytes(true) })
        return
      }
      if (isKeyword(buf, s, e, BINARY_SIZE) && r.peek() === LBRACKET) {
        const sec = section(r)
        r.sp()
        c.addBinarySize(sec, r.number())
        return
      }
      break
    case 0x6d: // m
      if (isKeyword(buf, s, e, MODSEQ)) {
        r.sp()
        a.modSeq = parenthesised(r, readNumber64)
        return
      }
      break
    case 0x74: // t
      if (isKeyword(buf, s, e, THREADID)) {
        r.sp()
        a.threadId = r.tryNil() ? undefined : parenthesised(r, readAtom)
        return
      }
      break
    case 0x70: // p
      if (isKeyword(buf, s, e, PREVIEW)) {
        r.sp()
        a.preview = r.nstring()
        return
      }
      break
    case 0x78: // x
      if (isKeyword(buf, s, e, X_GM_MSGID)) {
        r.sp()
        a.gmailMessageId = r.number64()
        return
      }
      if (isKeyword(buf, s, e, X_GM_THRID)) {
        r.sp()
        a.gmailThreadId = r.number64()
        return
      }
      if (isKeyword(buf, s, e, X_GM_LABELS)) {
        r.sp()
        a.gmailLabels = labels(r)
        return
      }
      break
  }
  unknownItem(r, c, start)
}

/** X-GM-LABELS list: atoms (`\Inbox`, `\Important`) and strings mixed, kept as sent. */
const labels = (r: Reader): Array<string> => {
  r.openList()
  const out: Array<string> = []
  r.spaces()
  if (r.peek() !== RPAREN) {
    do out.push(r.flagOrString())
    while (r.more())
  }
  r.closeList()
  return out
}

/** `(` msg-att `)` after `* n FETCH SP`; items may repeat (the last scalar wins, sections add up). */
export const fetchData = (r: Reader, seq: number): FetchData => {
  r.openList()
  const c = collector.reset()
  try {
    r.spaces()
    // Items are separated by one SP; extra (or trailing, Exchange) spaces are tolerated.
    if (r.peek() !== RPAREN) {
      do item(r, c)
      while (r.more())
    }
    r.closeList()
    r.finish()
    return { _tag: "Fetch", seq, attributes: c.a }
  } finally {
    c.release()
  }
}
