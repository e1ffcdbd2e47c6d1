/**
 * The MIME tree of a raw message as byte ranges: each entity's header block, its body, its content
 * type, and its children (the parts of a multipart, the one encapsulated message of a
 * message/rfc822). Everything the test server answers (BODYSTRUCTURE, `BODY[section]`, SEARCH) is
 * read off this tree, so sizes and sections agree by construction.
 *
 * Header blocks are read by `@zone-eu/mailsplit`'s `Headers` (byte-faithful: it works on latin1
 * strings); structured values by `MimeParams`. The split
 * into parts follows Dovecot's message-parser rather than mailsplit's streaming `Splitter`, which
 * is asynchronous (it yields with `setImmediate`) while `Message.parse` is a pure function:
 * - a delimiter is any line starting with `--boundary`, whatever follows (Dovecot matches a prefix);
 * - of the open boundaries a line starts with, the longest is the one (so a boundary that extends
 *   another is told apart from it), and of equal ones the innermost;
 * - a line of an outer boundary also ends every inner part (a multipart missing its close
 *   delimiter ends where its parent's next delimiter is);
 * - the CRLF before a delimiter line belongs to the delimiter (RFC 2046 5.1.1).
 * It never fails: a multipart without a boundary parameter, or whose delimiters never come, is
 * still a multipart, with no parts or with what it has.
 *
 * @module
 */
import mailsplit from "@zone-eu/mailsplit"
import * as MimeParams from "./MimeParams.ts"

/** `type/subtype; params` of an entity, lower-case type and subtype, params in header order. */
export interface ContentType {
  readonly type: string
  readonly subtype: string
  /** Parameters as written (see `MimeParams`). */
  readonly params: ReadonlyArray<readonly [string, string]>
  /** Whether the entity had a Content-Type field (else the RFC 2045 5.2 default was taken). */
  readonly explicit: boolean
}

/** One header field, its raw bytes (folds kept, final CRLF included) and name. */
export interface HeaderField {
  /** The name as written, trailing white space removed. */
  readonly name: string
  /** The whole field, folds included, as latin1 (one char per byte), ending in CRLF. */
  readonly raw: string
}

export interface Entity {
  /** Offset of the first header byte. */
  readonly start: number
  /** Offset of the first body byte (after the blank line; `start` + header size). */
  readonly bodyStart: number
  /** Offset after the last body byte. */
  readonly end: number
  readonly fields: ReadonlyArray<HeaderField>
  readonly contentType: ContentType
  /** Multipart: its parts. message/rfc822: the encapsulated message (one entity). */
  readonly children: ReadonlyArray<Entity>
  readonly isMultipart: boolean
  readonly isMessage: boolean
  /**
   * Whether its Content-* fields count (Dovecot's message-parser): a part of a multipart always,
   * another entity (the message, an encapsulated one) only with a MIME-Version or Content-Type
   * field. Without, BODYSTRUCTURE ignores its Content-Transfer-Encoding, Content-ID and the rest.
   */
  readonly isMime: boolean
}

const CR = 0x0d
const LF = 0x0a
const DASH = 0x2d

/**
 * The form a server answers with: line ends made CRLF (`normalizeLineEnds`) and NUL bytes made 0x80
 * (Dovecot's choice: IMAP literals may not carry NUL, RFC 9051 4.3), sizes unchanged by the second.
 */
export const storedForm = (raw: Uint8Array): Uint8Array => {
  const crlf = normalizeLineEnds(raw)
  if (!crlf.includes(0)) return crlf
  const out = crlf === raw ? Uint8Array.from(crlf) : crlf
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = 0x80
  return out
}

/**
 * RFC 9051 2.3.4 makes CRLF the line end of every message a server holds; Dovecot stores a bare LF
 * as CRLF and counts RFC822.SIZE, part sizes and sections on the CRLF form, so the model does too.
 */
export const normalizeLineEnds = (raw: Uint8Array): Uint8Array => {
  let bare = 0
  for (let i = 0; i < raw.length; i++) if (raw[i] === LF && (i === 0 || raw[i - 1] !== CR)) bare++
  if (bare === 0) return raw
  const out = new Uint8Array(raw.length + bare)
  let j = 0
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number
    if (b === LF && (i === 0 || raw[i - 1] !== CR)) out[j++] = CR
    out[j++] = b
  }
  return out
}

/** Offset after the LF ending the line at `pos` (or `end`). */
const lineEnd = (raw: Uint8Array, pos: number, end: number): number => {
  const i = raw.indexOf(LF, pos)
  return i < 0 || i >= end ? end : i + 1
}

/**
 * The open boundary (its index in `stack`) the line at `pos` is a delimiter of, and whether it is the
 * close delimiter. Dovecot's rule: the line must start with `--` and a boundary, whatever follows;
 * of several boundaries that match, the longest wins (`--b2--` is b2's close, not b's delimiter
 * followed by `2--`), and of equal ones the innermost (a boundary reused by a nested multipart).
 */
const matchBoundary = (
  raw: Uint8Array,
  pos: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>
): { readonly depth: number; readonly close: boolean } | undefined => {
  if (raw[pos] !== DASH || raw[pos + 1] !== DASH) return undefined
  let best = -1
  for (let depth = stack.length - 1; depth >= 0; depth--) {
    const b = stack[depth] as Uint8Array
    if (pos + 2 + b.length > end || (best >= 0 && b.length <= (stack[best] as Uint8Array).length)) continue
    let same = true
    for (let k = 0; k < b.length && same; k++) same = raw[pos + 2 + k] === b[k]
    if (same) best = depth
  }
  if (best < 0) return undefined
  const after = pos + 2 + (stack[best] as Uint8Array).length
  return { depth: best, close: after + 1 < end && raw[after] === DASH && raw[after + 1] === DASH }
}

/** Where a body that runs up to the delimiter line at `line` ends: before that line's CRLF. */
const beforeDelimiter = (raw: Uint8Array, from: number, line: number): number => {
  let e = line
  if (e > from && raw[e - 1] === LF) e--
  if (e > from && raw[e - 1] === CR) e--
  return e
}

/** How a scan stopped: at the end of the data, or at a delimiter line of `stack[depth]`. */
interface Stop {
  /** Offset of the delimiter line's first byte, or the end. */
  readonly at: number
  /** Offset after the delimiter line. */
  readonly next: number
  readonly depth: number
  readonly close: boolean
}

/** Scans lines from `pos` to the first delimiter of any open boundary. */
const scanToDelimiter = (raw: Uint8Array, pos: number, end: number, stack: ReadonlyArray<Uint8Array>): Stop => {
  let p = pos
  while (p < end) {
    const next = lineEnd(raw, p, end)
    const hit = matchBoundary(raw, p, next, stack)
    if (hit !== undefined) return { at: p, next, depth: hit.depth, close: hit.close }
    p = next
  }
  return { at: end, next: end, depth: -1, close: false }
}

const latin1 = (raw: Uint8Array, from: number, to: number): string =>
  Buffer.from(raw.buffer, raw.byteOffset + from, to - from).toString("latin1")

/** How a header block from `pos` ends: at its blank line, at a delimiter line, or at the end. */
type HeaderStop =
  | { readonly _tag: "Blank"; readonly at: number; readonly length: number }
  | { readonly _tag: "Delimiter"; readonly at: number }
  | { readonly _tag: "End" }

const headerStop = (raw: Uint8Array, pos: number, end: number, stack: ReadonlyArray<Uint8Array>): HeaderStop => {
  let p = pos
  while (p < end) {
    const blank = raw[p] === LF ? 1 : raw[p] === CR && raw[p + 1] === LF ? 2 : 0
    if (blank > 0) return { _tag: "Blank", at: p, length: blank }
    if (matchBoundary(raw, p, end, stack) !== undefined) return { _tag: "Delimiter", at: p }
    p = lineEnd(raw, p, end)
  }
  return { _tag: "End" }
}

/** Where a header ends (after its blank line, if any) and the delimiter that cut its entity short. */
interface HeaderEnd {
  readonly end: number
  /** The offset of a delimiter of an enclosing multipart that follows the header at once. */
  readonly cutAt: number | undefined
}

/**
 * A header followed at once by a delimiter of an enclosing multipart (directly, or through its
 * blank line) gives the CRLF before the delimiter to the delimiter: that header has no blank line
 * (or loses its last CRLF) and its entity no body (Dovecot counts the CRLF in the parent's body;
 * see `Parsed.outerEnd`). A multipart's own first delimiter right after its header takes nothing.
 * `full` is `stack` plus the boundary this header opens, so that the longest match decides.
 */
const headerEnd = (
  raw: Uint8Array,
  pos: number,
  end: number,
  stop: HeaderStop,
  stack: ReadonlyArray<Uint8Array>,
  full: ReadonlyArray<Uint8Array>
): HeaderEnd => {
  if (stop._tag === "End") return { end, cutAt: undefined }
  const next = stop._tag === "Blank" ? stop.at + stop.length : stop.at
  const hit = matchBoundary(raw, next, end, full)
  const enclosing = hit !== undefined && hit.depth < stack.length
  if (!enclosing) return { end: next, cutAt: undefined }
  return { end: stop._tag === "Blank" ? stop.at : beforeDelimiter(raw, pos, stop.at), cutAt: next }
}

/**
 * Splits a header block into fields with mailsplit's `Headers` (folds kept). A line without a
 * colon is a field named by the whole line, as Dovecot keeps it (HEADER.FIELDS.NOT returns it). The
 * last field ends in CRLF only if the block does (a message may end inside its header).
 */
const readFields = (block: string): ReadonlyArray<HeaderField> => {
  // `Headers` takes a first line starting "From " for an mbox separator and drops it, which is
  // right for an mbox file and also what Dovecot does with such a line (not a header field).
  const list = new mailsplit.Headers(block).getList()
  const closed = block.endsWith("\n")
  const out: Array<HeaderField> = []
  list.forEach(({ line }, i) => {
    const colon = line.indexOf(":")
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : line.trim()
    if (name === "") return
    out.push({ name, raw: i === list.length - 1 && !closed ? line : `${line}\r\n` })
  })
  return out
}

/** The first field called `name` (any case): its value unfolded (CRLFs removed), trimmed. */
export const fieldValue = (fields: ReadonlyArray<HeaderField>, name: string): string | undefined => {
  const lower = name.toLowerCase()
  const field = fields.find((f) => f.name.toLowerCase() === lower)
  return field === undefined ? undefined : unfoldedValue(field)
}

/** A field's value: after the colon, CRLFs removed (RFC 5322 2.2.3 unfolding), trimmed. */
export const unfoldedValue = (field: HeaderField): string =>
  field.raw
    .slice(field.raw.indexOf(":") + 1)
    .replace(/\r?\n/g, "")
    .trim()

const DEFAULT_TEXT: ContentType = {
  type: "text",
  subtype: "plain",
  params: [["charset", "us-ascii"]],
  explicit: false
}
const DEFAULT_MESSAGE: ContentType = { type: "message", subtype: "rfc822", params: [], explicit: false }

/**
 * A Content-Type value (`MimeParams.contentType`), type and subtype lower-cased for the decisions
 * here; without the field, `fallback` (RFC 2045 5.2's default, or message/rfc822 in a digest).
 */
export const parseContentType = (value: string | undefined, fallback: ContentType): ContentType => {
  if (value === undefined) return fallback
  const ct = MimeParams.contentType(value)
  return { type: ct.type.toLowerCase(), subtype: ct.subtype.toLowerCase(), params: ct.params, explicit: true }
}

const boundaryOf = (contentType: ContentType): Uint8Array | undefined => {
  const b = contentType.params.find(([k]) => k.toLowerCase() === "boundary")?.[1]
  return b === undefined || b.length === 0 ? undefined : Buffer.from(b, "latin1")
}

/** An entity as parsed, and where its parent's body may end because of it. */
interface Parsed {
  readonly entity: Entity
  /** Where the scan stopped: the delimiter line that ended the entity, or the end of the data. */
  readonly stop: Stop
  /**
   * Where a parent that ends with this entity ends: its end, except after a header cut short by a
   * delimiter, whose CRLF the parent's body keeps (Dovecot's message-parser moves it there).
   */
  readonly outerEnd: number
}

/** The stop at a delimiter line known to be one. */
const stopAt = (raw: Uint8Array, at: number, end: number, stack: ReadonlyArray<Uint8Array>): Stop => {
  const hit = matchBoundary(raw, at, end, stack)
  return { at, next: lineEnd(raw, at, end), depth: hit?.depth ?? -1, close: hit?.close ?? false }
}

/**
 * Parses the entity starting at `pos`, inside the open multiparts `stack` (innermost last).
 * `inMultipart`: it is a part of a multipart (so its Content-* fields count, `Entity.isMime`).
 */
const parseEntity = (
  raw: Uint8Array,
  pos: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>,
  fallback: ContentType,
  inMultipart: boolean
): Parsed => {
  const hstop = headerStop(raw, pos, end, stack)
  let fields = readFields(latin1(raw, pos, hstop._tag === "End" ? end : hstop.at))
  const contentType = parseContentType(fieldValue(fields, "content-type"), fallback)
  const isMime = inMultipart || fields.some((f) => /^(mime-version|content-type)$/i.test(f.name))
  const isMultipart = contentType.type === "multipart"
  const isMessage = contentType.type === "message" && contentType.subtype === "rfc822"
  const own = isMultipart ? boundaryOf(contentType) : undefined
  const header = headerEnd(raw, pos, end, hstop, stack, own === undefined ? stack : [...stack, own])
  const bodyStart = header.end
  // A header cut short by a delimiter lost its last CRLF: its fields are read again without it.
  if (header.cutAt !== undefined && hstop._tag === "Delimiter") fields = readFields(latin1(raw, pos, bodyStart))
  const make = (children: ReadonlyArray<Entity>, bodyEnd: number, stop: Stop, outerEnd?: number): Parsed => {
    const entityEnd = Math.max(bodyEnd, bodyStart)
    return {
      entity: { start: pos, bodyStart, end: entityEnd, fields, contentType, children, isMultipart, isMessage, isMime },
      stop,
      outerEnd: outerEnd ?? entityEnd
    }
  }
  if (header.cutAt !== undefined) return make([], bodyStart, stopAt(raw, header.cutAt, end, stack), header.cutAt)
  if (isMultipart) return parseMultipart(raw, bodyStart, end, stack, contentType, make)
  if (isMessage) {
    const inner = parseEntity(raw, bodyStart, end, stack, DEFAULT_TEXT, false)
    return make([inner.entity], inner.outerEnd, inner.stop)
  }
  const stop = scanToDelimiter(raw, bodyStart, end, stack)
  return make([], stop.depth < 0 ? end : beforeDelimiter(raw, bodyStart, stop.at), stop)
}

const parseMultipart = (
  raw: Uint8Array,
  bodyStart: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>,
  contentType: ContentType,
  make: (children: ReadonlyArray<Entity>, bodyEnd: number, stop: Stop) => Parsed
): Parsed => {
  const boundary = boundaryOf(contentType)
  if (boundary === undefined) {
    // No boundary: nothing delimits parts; the body runs to the parent's next delimiter.
    const stop = scanToDelimiter(raw, bodyStart, end, stack)
    return make([], stop.depth < 0 ? end : beforeDelimiter(raw, bodyStart, stop.at), stop)
  }
  const inner = [...stack, boundary]
  const own = inner.length - 1
  const childFallback = contentType.subtype === "digest" ? DEFAULT_MESSAGE : DEFAULT_TEXT
  const children: Array<Entity> = []
  let last: Parsed | undefined
  let stop = scanToDelimiter(raw, bodyStart, end, inner) // the preamble
  while (stop.depth === own && !stop.close) {
    last = parseEntity(raw, stop.next, end, inner, childFallback, true)
    children.push(last.entity)
    stop = last.stop
  }
  if (stop.depth === own) {
    // Closed: the epilogue runs to the parent's next delimiter (or the end). The close delimiter
    // line took its own CRLF, so an empty epilogue gives up none.
    const after = scanToDelimiter(raw, stop.next, end, stack)
    return make(children, after.depth < 0 ? end : beforeDelimiter(raw, stop.next, after.at), after)
  }
  // Never closed: the body ends where its last part (or, with none, its preamble) does.
  const bodyEnd = last !== undefined ? last.outerEnd : stop.depth < 0 ? end : beforeDelimiter(raw, bodyStart, stop.at)
  return make(children, bodyEnd, stop)
}

/** The MIME tree of a message whose line ends are CRLF (see `normalizeLineEnds`). */
export const parse = (raw: Uint8Array): Entity => parseEntity(raw, 0, raw.length, [], DEFAULT_TEXT, false).entity

/** Whether the entity's header block ends with its blank line (a header-only message has none). */
export const hasBlankLine = (raw: Uint8Array, entity: Entity): boolean => {
  const { start, bodyStart } = entity
  if (bodyStart - start < 2 || raw[bodyStart - 1] !== LF || raw[bodyStart - 2] !== CR) return false
  return bodyStart - start === 2 || (raw[bodyStart - 3] === LF && raw[bodyStart - 4] === CR)
}
