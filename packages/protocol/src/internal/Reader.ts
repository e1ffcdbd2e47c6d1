/**
 * The cursor of the response parser and the ABNF primitives of RFC 3501 / RFC 9051 section 9 that
 * everything else is built from: SP, atom, number, number64, quoted, literal, literal8, string,
 * nstring, astring, flag, flag-list, text, and a generic value skipper for data this parser does not
 * know. Each element comes as a `try*` (returns undefined / false and consumes nothing on a miss)
 * or an `expect`-style reader (throws `ParseError` with the offset and an excerpt).
 *
 * Hot path rules: compare bytes, never build strings to compare; decode a string only for a final
 * value; no regexes; no per-token allocation beyond the results.
 */
import { excerptAt, ParseError } from "../ParseError.ts"
import { isDigit } from "./CharClass.ts"

export const SP = 0x20
export const CR = 0x0d
export const LF = 0x0a
export const DQUOTE = 0x22
export const BACKSLASH = 0x5c
export const LPAREN = 0x28
export const RPAREN = 0x29
export const LBRACKET = 0x5b
export const RBRACKET = 0x5d
export const LBRACE = 0x7b
export const RBRACE = 0x7d
export const LT = 0x3c
export const GT = 0x3e
export const TILDE = 0x7e
export const STAR = 0x2a
export const PLUS = 0x2b
export const DOT = 0x2e

/** Deepest nesting of parenthesised lists accepted: deeper is hostile (and would blow the stack). */
export const MAX_DEPTH = 100

// Character classes, one bit each, in a 256-entry table.
/**
 * ATOM-CHAR: any CHAR except atom-specials. Bytes >= 0x80 are accepted too, harmlessly, so that a
 * server putting raw UTF-8 into an atom (a mailbox name, say) does not fail the whole line.
 */
const C_ATOM = 1
/** ASTRING-CHAR: ATOM-CHAR or `]`. */
const C_ASTRING = 2
/** What a flag / keyword / label may contain: anything but SP, parentheses, `"`, `{` and CTL. */
const C_FLAG = 4
/** Characters of a FETCH item name or response keyword (stops at `[`, `<`, SP, parentheses). */
const C_NAME = 16
/** Bytes that end or interrupt the fast scan of a quoted string: `"`, `\`, CR, LF. */
const C_QUOTED_SPECIAL = 32

const CLASS = new Uint8Array(256)
for (let c = 0; c < 256; c++) {
  const ctl = c < 0x20 || c === 0x7f
  const atomSpecial =
    ctl ||
    c === LPAREN ||
    c === RPAREN ||
    c === LBRACE ||
    c === SP ||
    c === 0x25 /* % */ ||
    c === STAR ||
    c === DQUOTE ||
    c === BACKSLASH ||
    c === RBRACKET
  let k = 0
  if (!atomSpecial) k |= C_ATOM | C_ASTRING
  if (c === RBRACKET) k |= C_ASTRING
  if (!ctl && c !== SP && c !== LPAREN && c !== RPAREN && c !== DQUOTE && c !== LBRACE) k |= C_FLAG
  if (!ctl && c !== SP && c !== LPAREN && c !== RPAREN && c !== LBRACKET && c !== RBRACKET && c !== LT && c !== DQUOTE)
    k |= C_NAME
  if (c === DQUOTE || c === BACKSLASH || c === CR || c === LF) k |= C_QUOTED_SPECIAL
  CLASS[c] = k
}

export const isAtomChar = (c: number): boolean => (CLASS[c]! & C_ATOM) !== 0
export const isAstringChar = (c: number): boolean => (CLASS[c]! & C_ASTRING) !== 0

// ---------------------------------------------------------------------------------------------
// UTF-8 decoding of final values

const textDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/**
 * Node's `Buffer.prototype.utf8Slice` is the native routine behind `buffer.toString("utf8")`; it
 * accepts any Uint8Array and, measured here on Node 24, takes ~85 ns for a 20-40 byte string where
 * `TextDecoder.decode(subarray)` takes ~140 ns (a subarray allocation plus a heavier call). Both
 * replace invalid sequences with U+FFFD. Outside Node the TextDecoder is used.
 */
const utf8Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined = (() => {
  const ctor: unknown = Reflect.get(globalThis, "Buffer")
  if (typeof ctor !== "function") return undefined
  const f: unknown = Reflect.get(ctor.prototype as object, "utf8Slice")
  return typeof f === "function" ? (f as (this: Uint8Array, start: number, end: number) => string) : undefined
})()

/** `buf[start, end)` as UTF-8 (invalid sequences become U+FFFD). */
export const decodeUtf8 = (buf: Uint8Array, start: number, end: number): string => {
  const n = end - start
  if (n === 0) return ""
  // Short ASCII runs (flags, numbers as text, short atoms): a char loop beats any native call.
  if (n <= 6) {
    let s = ""
    for (let i = start; i < end; i++) {
      const c = buf[i]!
      if (c >= 0x80)
        return utf8Slice !== undefined ? utf8Slice.call(buf, start, end) : textDecoder.decode(buf.subarray(start, end))
      s += String.fromCharCode(c)
    }
    return s
  }
  return utf8Slice !== undefined ? utf8Slice.call(buf, start, end) : textDecoder.decode(buf.subarray(start, end))
}

/**
 * A small direct-mapped cache of decoded short strings, for values that repeat across a FETCH
 * stream (flags, address display names, local parts and hosts). A hit costs one FNV-1a pass and
 * one compare over the bytes instead of a native decode and a new string; a miss costs that pass
 * on top. Bounded (4096 slots of at most 24 bytes), module-wide, and semantically invisible.
 */
const CACHE_SLOTS = 4096
const CACHE_MAX = 24
const cacheBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX)
const cacheLength = new Uint8Array(CACHE_SLOTS)
const cacheString: Array<string> = new Array<string>(CACHE_SLOTS).fill("")

/** `decodeUtf8` through the cache (see above); for values likely to repeat. */
export const decodeCached = (buf: Uint8Array, start: number, end: number): string => {
  const n = end - start
  if (n === 0 || n > CACHE_MAX) return decodeUtf8(buf, start, end)
  let h = 0x811c9dc5 ^ n
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1)
  const base = slot * CACHE_MAX
  if (cacheLength[slot] === n) {
    let i = 0
    while (i < n && cacheBytes[base + i] === buf[start + i]) i++
    if (i === n) return cacheString[slot]!
  }
  const s = decodeUtf8(buf, start, end)
  for (let i = 0; i < n; i++) cacheBytes[base + i] = buf[start + i]!
  cacheLength[slot] = n
  cacheString[slot] = s
  return s
}

// ---------------------------------------------------------------------------------------------
// Keywords: upper-case ASCII byte strings compared case-insensitively against the frame.

export type Keyword = Uint8Array
export const keyword = (s: string): Keyword => {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** `buf[start, end)` equals the upper-case keyword `kw`, ignoring ASCII case. */
export const isKeyword = (buf: Uint8Array, start: number, end: number, kw: Keyword): boolean => {
  if (end - start !== kw.length) return false
  for (let i = 0; i < kw.length; i++) {
    let c = buf[start + i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    if (c !== kw[i]) return false
  }
  return true
}

const UINT32_MAX = 0xffffffff

// ---------------------------------------------------------------------------------------------

/** A cursor over one frame. `pos` only moves forward except when a `try*` reader backs out. */
export class Reader {
  buf: Uint8Array
  end: number
  pos = 0
  /** Nesting depth of parenthesised lists being read, bounded by `MAX_DEPTH`. */
  depth = 0
  /** Span of the last token read by `name()`, `atom()`, `flag()` or `astring()` (atom form). */
  tokenStart = 0
  tokenEnd = 0

  constructor(buf: Uint8Array) {
    this.buf = buf
    this.end = buf.length
  }

  /**
   * Points this cursor at a new frame, as if freshly made: the response parser keeps one Reader
   * rather than allocating one per response (parsing is synchronous and never re-entered).
   */
  reset(buf: Uint8Array): this {
    this.buf = buf
    this.end = buf.length
    this.pos = 0
    this.depth = 0
    this.tokenStart = 0
    this.tokenEnd = 0
    this.spanStart = 0
    this.spanEnd = 0
    this.unescaped = undefined
    return this
  }

  fail(message: string, at: number = this.pos): never {
    throw new ParseError({
      message: `${message} at offset ${at}`,
      offset: at,
      excerpt: excerptAt(this.buf, at),
      bytes: this.buf
    })
  }

  /** The byte at the cursor, or -1 at the end of the frame. */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1
  }

  /** True at the end of a line: CR LF, a bare LF (see Framer), or the end of the frame. */
  atLineEnd(): boolean {
    const c = this.peek()
    return c === -1 || c === LF || (c === CR && this.buf[this.pos + 1] === LF)
  }

  expect(c: number, what: string): void {
    if (this.peek() !== c) this.fail(`expected ${what}`)
    this.pos++
  }

  tryByte(c: number): boolean {
    if (this.peek() !== c) return false
    this.pos++
    return true
  }

  /** One SP, as the grammar requires between elements. */
  sp(): void {
    if (this.peek() !== SP) this.fail("expected SP")
    this.pos++
  }

  /**
   * Skips any number of SP; returns whether there was at least one. Used wherever real servers put
   * more (or fewer) spaces than the grammar: Exchange's `(MESSAGES 1 )`, Courier's `(...)(...)`
   * namespace descriptors without a separator, doubled spaces inside lists.
   */
  spaces(): boolean {
    const start = this.pos
    while (this.pos < this.end && this.buf[this.pos] === SP) this.pos++
    return this.pos > start
  }

  /** Between two list elements: at least one SP (extra ones tolerated, see `spaces`). */
  separator(): void {
    if (!this.spaces()) this.fail("expected SP")
  }

  /**
   * After a list element: true if another one follows (at least one SP, extra tolerated), false at
   * the `)` (trailing SP tolerated, Exchange). Anything else is a ParseError.
   */
  more(): boolean {
    const had = this.spaces()
    if (this.peek() === RPAREN) return false
    if (!had) this.fail("expected SP or )")
    return true
  }

  /** After the last element of a list: tolerates trailing SP (Exchange), then `)`. */
  closeList(): void {
    this.spaces()
    if (this.peek() !== RPAREN) this.fail("expected )")
    this.pos++
    this.depth--
  }

  openList(): void {
    if (this.peek() !== LPAREN) this.fail("expected (")
    if (++this.depth > MAX_DEPTH) this.fail(`lists nested deeper than ${MAX_DEPTH}`)
    this.pos++
  }

  /** True (and consumed) if the next element is NIL: the three letters, any case, then a delimiter. */
  tryNil(): boolean {
    const buf = this.buf
    const p = this.pos
    // Cheap first-byte test: this runs before every nstring, and most are strings.
    if ((buf[p]! | 0x20) !== 0x6e || p + 3 > this.end) return false
    if ((buf[p + 1]! | 0x20) !== 0x69 || (buf[p + 2]! | 0x20) !== 0x6c) return false
    const next = p + 3 < this.end ? buf[p + 3]! : -1
    if (next !== -1 && (CLASS[next]! & C_ASTRING) !== 0) return false
    this.pos = p + 3
    return true
  }

  /** End of the response: trailing SP tolerated (Exchange), then the line end, then nothing. */
  finish(): void {
    this.spaces()
    const c = this.peek()
    if (c === CR && this.buf[this.pos + 1] === LF) this.pos += 2
    else if (c === LF) this.pos++
    else if (c !== -1) this.fail("unexpected data before the end of the line")
    if (this.pos !== this.end) this.fail("unexpected data after the end of the response")
  }

  // -------------------------------------------------------------------------------------------
  // Tokens

  /** Reads a run of characters of `cls` into `tokenStart/tokenEnd`; returns its length. */
  private run(cls: number): number {
    const buf = this.buf
    const start = this.pos
    let p = start
    while (p < this.end && (CLASS[buf[p]!]! & cls) !== 0) p++
    this.tokenStart = start
    this.tokenEnd = p
    this.pos = p
    return p - start
  }

  /** A keyword or FETCH item name (letters, digits, `.`, `-`, ...): stops at `[`, `<`, SP, parentheses. */
  name(): number {
    return this.run(C_NAME)
  }

  /** The last token equals `kw` (case-insensitive). */
  tokenIs(kw: Keyword): boolean {
    return isKeyword(this.buf, this.tokenStart, this.tokenEnd, kw)
  }

  tokenText(): string {
    return decodeUtf8(this.buf, this.tokenStart, this.tokenEnd)
  }

  atom(): string {
    if (this.run(C_ATOM) === 0) this.fail("expected an atom")
    return decodeUtf8(this.buf, this.tokenStart, this.tokenEnd)
  }

  /**
   * A flag, keyword, LIST attribute or Gmail label in atom form. Wider than RFC flag-keyword:
   * `\*` (PERMANENTFLAGS, sent by Courier and Cyrus) and `[`/`]` inside keywords (servers that
   * store keywords unvalidated return whatever a client once set, e.g. `[Gmail]x`) are kept, since
   * the list's `)` still delimits them unambiguously.
   */
  flag(): string {
    if (this.run(C_FLAG) === 0) this.fail("expected a flag")
    return decodeCached(this.buf, this.tokenStart, this.tokenEnd)
  }

  /** `(` [flag *(SP flag)] `)`; empty lists and extra spaces tolerated. */
  flagList(): Array<string> {
    this.openList()
    this.spaces()
    if (this.peek() === RPAREN) {
      this.closeList()
      return []
    }
    // Exact size for the usual one or two flags: `push` onto [] reserves 17 slots.
    const first = this.flag()
    if (!this.more()) {
      this.closeList()
      return [first]
    }
    const second = this.flag()
    if (!this.more()) {
      this.closeList()
      return [first, second]
    }
    const flags = [first, second]
    do flags.push(this.flag())
    while (this.more())
    this.closeList()
    return flags
  }

  /** number: uint32. */
  number(): number {
    const buf = this.buf
    const start = this.pos
    let p = start
    let n = 0
    while (p < this.end) {
      const c = buf[p]!
      if (c < 0x30 || c > 0x39) break
      n = n * 10 + (c - 0x30)
      p++
    }
    if (p === start) this.fail("expected a number")
    if (n > UINT32_MAX || p - start > 10) this.fail("number out of range (uint32)", start)
    this.pos = p
    return n
  }

  /** A non-negative integer up to 2^53-1 (QUOTA usage, SIZE): number64 where a JS number suffices. */
  safeNumber(): number {
    const start = this.pos
    let n = 0
    while (this.pos < this.end && isDigit(this.buf[this.pos]!)) n = n * 10 + (this.buf[this.pos++]! - 0x30)
    if (this.pos === start) this.fail("expected a number")
    if (!Number.isSafeInteger(n) || this.pos - start > 16) this.fail("number out of range", start)
    return n
  }

  /** number64 / mod-sequence-value as bigint (up to 2^63-1). */
  number64(): bigint {
    const start = this.pos
    while (this.pos < this.end && isDigit(this.buf[this.pos]!)) this.pos++
    const n = this.pos - start
    if (n === 0) this.fail("expected a number")
    if (n <= 15) {
      let v = 0
      for (let i = start; i < this.pos; i++) v = v * 10 + (this.buf[i]! - 0x30)
      return BigInt(v)
    }
    if (n > 19) this.fail("number out of range (number64)", start)
    const v = BigInt(decodeUtf8(this.buf, start, this.pos))
    if (v > 0x7fffffffffffffffn) this.fail("number out of range (number64)", start)
    return v
  }

  /** An optionally negative number: body-fld-lines, where Exchange sends -1. */
  signedNumber(): number {
    const negative = this.tryByte(0x2d)
    const n = this.safeNumber()
    return negative ? -n : n
  }

  // -------------------------------------------------------------------------------------------
  // Strings. The `*Span` readers leave the content in `spanStart/spanEnd` (a literal's or an
  // unescaped quoted string's bytes in the frame) or in `unescaped` (a quoted string with escapes).

  spanStart = 0
  spanEnd = 0
  unescaped: Uint8Array | undefined = undefined

  /** `"..."` with `\"` and `\\` escapes. */
  private quotedSpan(): void {
    const buf = this.buf
    const start = this.pos + 1
    let p = start
    let escapes = 0
    for (;;) {
      if (p >= this.end) this.fail("unterminated quoted string", this.pos)
      const c = buf[p]!
      // One table test per byte; the four special bytes are sorted out only when hit.
      if ((CLASS[c]! & C_QUOTED_SPECIAL) !== 0) {
        if (c === DQUOTE) break
        if (c === BACKSLASH) {
          escapes++
          p++
          if (p >= this.end) this.fail("unterminated quoted string", this.pos)
        } else this.fail("line end inside a quoted string", p)
      }
      p++
    }
    this.pos = p + 1
    if (escapes === 0) {
      this.spanStart = start
      this.spanEnd = p
      this.unescaped = undefined
      return
    }
    const out = new Uint8Array(p - start - escapes)
    let o = 0
    for (let i = start; i < p; i++) {
      let c = buf[i]!
      // RFC 3501 only defines `\"` and `\\`; any other escaped byte is kept without the backslash.
      if (c === BACKSLASH) c = buf[++i]!
      out[o++] = c
    }
    this.unescaped = out
    this.spanStart = 0
    this.spanEnd = o
  }

  /** `{n}` / `{n+}` CRLF and n bytes (or `~{n}` when `binary`). The cursor is on `{` (or `~`). */
  private literalSpan(): void {
    const buf = this.buf
    const open = this.pos
    let p = open + 1
    let n = 0
    const digits = p
    while (p < this.end && isDigit(buf[p]!)) {
      n = n * 10 + (buf[p]! - 0x30)
      p++
    }
    if (p === digits || p - digits > 15) this.fail("bad literal size", open)
    if (buf[p] === PLUS) p++
    if (buf[p] !== RBRACE) this.fail("bad literal marker", open)
    p++
    if (buf[p] === CR) p++
    if (buf[p] !== LF) this.fail("expected CRLF after literal marker", p)
    p++
    if (n > this.end - p) this.fail(`literal of ${n} bytes runs past the end of the frame`, open)
    this.spanStart = p
    this.spanEnd = p + n
    this.unescaped = undefined
    this.pos = p + n
  }

  /** string = quoted / literal (literal8 too when `binary`). Leaves the content in the span. */
  stringSpan(binary = false): void {
    const c = this.peek()
    if (c === DQUOTE) this.quotedSpan()
    else if (c === LBRACE) this.literalSpan()
    else if (binary && c === TILDE && this.buf[this.pos + 1] === LBRACE) {
      this.pos++
      this.literalSpan()
    } else this.fail("expected a string")
  }

  /** The content of the last span as UTF-8. */
  spanText(): string {
    const u = this.unescaped
    return u !== undefined
      ? decodeUtf8(u, this.spanStart, this.spanEnd)
      : decodeUtf8(this.buf, this.spanStart, this.spanEnd)
  }

  /** The content of the last span as bytes: a view into the frame unless unescaping made a copy. */
  spanBytes(): Uint8Array {
    const u = this.unescaped
    return u !== undefined ? u : this.buf.subarray(this.spanStart, this.spanEnd)
  }

  string(): string {
    this.stringSpan()
    return this.spanText()
  }

  nstring(): string | undefined {
    if (this.tryNil()) return undefined
    this.stringSpan()
    return this.spanText()
  }

  /** nstring for values that tend to repeat (address fields): decoded through the string cache. */
  nstringCached(): string | undefined {
    if (this.tryNil()) return undefined
    this.stringSpan()
    const u = this.unescaped
    return u !== undefined
      ? decodeUtf8(u, this.spanStart, this.spanEnd)
      : decodeCached(this.buf, this.spanStart, this.spanEnd)
  }

  /** nstring as bytes (BODY[...] data), literal8 accepted when `binary` (BINARY[...] data). */
  nstringBytes(binary = false): Uint8Array | undefined {
    if (this.tryNil()) return undefined
    this.stringSpan(binary)
    return this.spanBytes()
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astring(): string {
    const c = this.peek()
    if (c === DQUOTE || c === LBRACE) return this.string()
    if (this.run(C_ASTRING) === 0) this.fail("expected an atom or string")
    return decodeUtf8(this.buf, this.tokenStart, this.tokenEnd)
  }

  /** A label or flag that may also come as a string (Gmail's X-GM-LABELS mixes both forms). */
  flagOrString(): string {
    const c = this.peek()
    return c === DQUOTE || c === LBRACE ? this.string() : this.flag()
  }

  /** resp-text's text: the rest of the line, as UTF-8 (no CR/LF). */
  text(): string {
    const buf = this.buf
    const start = this.pos
    let p = start
    while (p < this.end) {
      const c = buf[p]!
      if (c === LF || (c === CR && buf[p + 1] === LF)) break
      p++
    }
    this.pos = p
    return decodeUtf8(buf, start, p)
  }

  // -------------------------------------------------------------------------------------------
  // Data this parser does not know

  /**
   * Skips one value of unknown meaning: a parenthesised list (nested, with strings and literals
   * inside), a quoted string, a literal (or literal8), or an atom-like run (numbers, NIL, atoms,
   * flags, sequence sets). Returns its start; the caller slices `[start, pos)` as the raw form.
   */
  skipValue(): number {
    const start = this.pos
    const c = this.peek()
    if (c === LPAREN) {
      this.openList()
      this.spaces()
      while (this.peek() !== RPAREN) {
        if (this.atLineEnd()) this.fail("unbalanced parentheses")
        this.skipValue()
        this.spaces()
      }
      this.closeList()
    } else if (c === DQUOTE || c === LBRACE || (c === TILDE && this.buf[this.pos + 1] === LBRACE)) {
      this.stringSpan(true)
    } else if (c === LBRACKET) {
      // A bracketed run, as in an unknown `NAME[...]` item: up to the matching `]`, strings skipped.
      this.pos++
      while (this.peek() !== RBRACKET) {
        if (this.atLineEnd()) this.fail("unterminated [")
        if (this.peek() === DQUOTE || this.peek() === LBRACE) this.stringSpan()
        else this.pos++
      }
      this.pos++
    } else {
      if (this.run(C_FLAG) === 0) this.fail("expected a value")
    }
    return start
  }

  /** The raw text of `[start, pos)`, literals included as sent. */
  rawFrom(start: number): string {
    return decodeUtf8(this.buf, start, this.pos)
  }

  /** The bytes of `[start, pos)` as sent (a view into the frame): `rawFrom` without the decoding loss. */
  bytesFrom(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos)
  }
}
