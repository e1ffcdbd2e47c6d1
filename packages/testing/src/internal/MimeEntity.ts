/**
 * The MIME tree of a raw message as byte ranges: each entity's header block, its body, its content
 * type, and its children (the parts of a multipart, the one encapsulated message of a
 * message/rfc822). Everything the test server answers (BODYSTRUCTURE, `BODY[section]`, SEARCH) is
 * read off this tree, so sizes and sections agree by construction.
 *
 * Header blocks are read by `@zone-eu/mailsplit`'s `Headers` (byte-faithful: it works on latin1
 * strings); parameters as a server reports them (`parseParams`). The split
 * into parts follows Dovecot's message-parser rather than mailsplit's streaming `Splitter`, which
 * is asynchronous (it yields with `setImmediate`) while `Message.parse` is a pure function:
 * - a delimiter is any line starting with `--boundary`, whatever follows (Dovecot matches a prefix);
 * - the innermost open boundary is tried first, so a child boundary that extends its parent's is
 *   still the child's;
 * - a line of an outer boundary also ends every inner part (a multipart missing its close
 *   delimiter ends where its parent's next delimiter is);
 * - the CRLF before a delimiter line belongs to the delimiter (RFC 2046 5.1.1).
 * It never fails: a multipart without a boundary parameter, or whose delimiters never come, is
 * still a multipart, with no parts or with what it has.
 *
 * @module
 */
import mailsplit from "@zone-eu/mailsplit"

/** `type/subtype; params` of an entity, lower-case type and subtype, params in header order. */
export interface ContentType {
  readonly type: string
  readonly subtype: string
  /** Parameters as written (see `parseParams`). */
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
}

const CR = 0x0d
const LF = 0x0a
const DASH = 0x2d

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

/** The boundary (index into `stack`, innermost first) a line starting `--` opens, and if it closes. */
const matchBoundary = (
  raw: Uint8Array,
  pos: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>
): { readonly depth: number; readonly close: boolean } | undefined => {
  if (raw[pos] !== DASH || raw[pos + 1] !== DASH) return undefined
  for (let depth = stack.length - 1; depth >= 0; depth--) {
    const b = stack[depth] as Uint8Array
    if (pos + 2 + b.length > end) continue
    let same = true
    for (let k = 0; k < b.length && same; k++) same = raw[pos + 2 + k] === b[k]
    if (!same) continue
    const after = pos + 2 + b.length
    return { depth, close: after + 1 < end && raw[after] === DASH && raw[after + 1] === DASH }
  }
  return undefined
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

/** The header block from `pos`: up to and including the blank line, or up to a delimiter, or `end`. */
const headerEnd = (raw: Uint8Array, pos: number, end: number, stack: ReadonlyArray<Uint8Array>): number => {
  let p = pos
  while (p < end) {
    if (raw[p] === LF) return p + 1
    if (raw[p] === CR && raw[p + 1] === LF) return p + 2
    if (matchBoundary(raw, p, end, stack) !== undefined) return p
    p = lineEnd(raw, p, end)
  }
  return end
}

/** Splits a header block into fields with mailsplit's `Headers` (folds kept, keyless lines dropped). */
const readFields = (block: string): ReadonlyArray<HeaderField> => {
  // `Headers` takes a first line starting "From " for an mbox separator and drops it, which is
  // right for an mbox file and also what Dovecot does with such a line (not a header field).
  const list = new mailsplit.Headers(block).getList()
  const out: Array<HeaderField> = []
  for (const { line } of list) {
    const colon = line.indexOf(":")
    if (colon <= 0) continue
    out.push({ name: line.slice(0, colon).trimEnd(), raw: `${line}\r\n` })
  }
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

/** Parses a Content-Type value; one without a `/` falls back to the default (RFC 2045 5.2). */
export const parseContentType = (value: string | undefined, fallback: ContentType): ContentType => {
  if (value === undefined) return fallback
  const parsed = parseParams(value)
  const slash = parsed.value.indexOf("/")
  if (slash <= 0 || slash === parsed.value.length - 1) return fallback
  return {
    type: parsed.value.slice(0, slash).trim().toLowerCase(),
    subtype: parsed.value
      .slice(slash + 1)
      .trim()
      .toLowerCase(),
    params: parsed.params,
    explicit: true
  }
}

/** Splits at `;` outside quoted strings and comments; comments dropped. */
const splitParams = (value: string): Array<string> => {
  const out: Array<string> = []
  let current = ""
  let quoted = false
  let depth = 0
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string
    if (quoted) {
      current += c
      if (c === "\\" && i + 1 < value.length) current += value[++i]
      else if (c === '"') quoted = false
    } else if (depth > 0) {
      if (c === "\\") i++
      else if (c === "(") depth++
      else if (c === ")") depth--
    } else if (c === '"') {
      quoted = true
      current += c
    } else if (c === "(") depth++
    else if (c === ";") {
      out.push(current)
      current = ""
    } else current += c
  }
  out.push(current)
  return out
}

const unquote = (v: string): string =>
  v.startsWith('"') ? v.slice(1, v.endsWith('"') && v.length > 1 ? -1 : undefined).replace(/\\(.)/g, "$1") : v

/**
 * A structured header value (`value; a=1; b="2"`) with its parameters as a server reports them in
 * BODYSTRUCTURE: names in the case written, quoted values unquoted, and RFC 2231 continuations
 * joined the way Dovecot joins them (`title*0`, `title*1` become `title`; an extended value, `name*`
 * or `name*0*`, stays `name*` with its `charset'lang'%xx` text, which the client decodes). Joined
 * parameters come after the plain ones. libmime's `parseHeaderValue` decodes the extended values
 * and lower-cases the names, which is right for reading a message and wrong for answering as a
 * server does, so this one is written out; libmime decodes words for SEARCH (`Message.ts`).
 */
export const parseParams = (
  value: string
): { readonly value: string; readonly params: ReadonlyArray<readonly [string, string]> } => {
  const [head = "", ...rest] = splitParams(value)
  const plain: Array<readonly [string, string]> = []
  const continued = new Map<string, Array<{ index: number; extended: boolean; value: string }>>()
  for (const segment of rest) {
    const eq = segment.indexOf("=")
    if (eq <= 0) continue
    const name = segment.slice(0, eq).trim()
    const v = unquote(segment.slice(eq + 1).trim())
    if (name === "") continue
    const m = /^(.+?)\*(\d+)(\*?)$/.exec(name)
    if (m === null) {
      plain.push([name, v])
      continue
    }
    const base = m[1] as string
    const list = continued.get(base) ?? []
    list.push({ index: Number(m[2]), extended: m[3] === "*", value: v })
    continued.set(base, list)
  }
  for (const [base, list] of continued) {
    list.sort((x, y) => x.index - y.index)
    const extended = list.some((x) => x.extended)
    plain.push([extended ? `${base}*` : base, list.map((x) => x.value).join("")])
  }
  return { value: head.trim(), params: plain }
}

const boundaryOf = (contentType: ContentType): Uint8Array | undefined => {
  const b = contentType.params.find(([k]) => k.toLowerCase() === "boundary")?.[1]
  return b === undefined || b.length === 0 ? undefined : Buffer.from(b, "latin1")
}

/**
 * Parses the entity starting at `pos`, inside the open multiparts `stack` (innermost last); returns
 * it and where the scan stopped (the delimiter line that ended it, or the end of the data).
 */
const parseEntity = (
  raw: Uint8Array,
  pos: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>,
  fallback: ContentType
): { readonly entity: Entity; readonly stop: Stop } => {
  const bodyStart = headerEnd(raw, pos, end, stack)
  const fields = readFields(latin1(raw, pos, bodyStart))
  const contentType = parseContentType(fieldValue(fields, "content-type"), fallback)
  const isMultipart = contentType.type === "multipart"
  const isMessage = contentType.type === "message" && contentType.subtype === "rfc822"
  const make = (children: ReadonlyArray<Entity>, bodyEnd: number, stop: Stop) => ({
    entity: {
      start: pos,
      bodyStart,
      end: Math.max(bodyEnd, bodyStart),
      fields,
      contentType,
      children,
      isMultipart,
      isMessage
    },
    stop
  })
  if (isMultipart) return parseMultipart(raw, bodyStart, end, stack, contentType, make)
  if (isMessage) {
    const inner = parseEntity(raw, bodyStart, end, stack, DEFAULT_TEXT)
    return make([inner.entity], inner.entity.end, inner.stop)
  }
  const stop = scanToDelimiter(raw, bodyStart, end, stack)
  return make([], stop.depth < 0 ? end : beforeDelimiter(raw, bodyStart, stop.at), stop)
}

const parseMultipart = <R>(
  raw: Uint8Array,
  bodyStart: number,
  end: number,
  stack: ReadonlyArray<Uint8Array>,
  contentType: ContentType,
  make: (children: ReadonlyArray<Entity>, bodyEnd: number, stop: Stop) => R
): R => {
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
  let stop = scanToDelimiter(raw, bodyStart, end, inner) // the preamble
  while (stop.depth === own && !stop.close) {
    const child = parseEntity(raw, stop.next, end, inner, childFallback)
    children.push(child.entity)
    stop = child.stop
  }
  if (stop.depth === own) {
    // Closed: the epilogue runs to the parent's next delimiter (or the end).
    const after = scanToDelimiter(raw, stop.next, end, stack)
    return make(children, after.depth < 0 ? end : beforeDelimiter(raw, bodyStart, after.at), after)
  }
  return make(children, stop.depth < 0 ? end : beforeDelimiter(raw, bodyStart, stop.at), stop)
}

/** The MIME tree of a message whose line ends are CRLF (see `normalizeLineEnds`). */
export const parse = (raw: Uint8Array): Entity => parseEntity(raw, 0, raw.length, [], DEFAULT_TEXT).entity

/** Whether the entity's header block ends with its blank line (a header-only message has none). */
export const hasBlankLine = (raw: Uint8Array, entity: Entity): boolean => {
  const { start, bodyStart } = entity
  if (bodyStart - start < 2 || raw[bodyStart - 1] !== LF || raw[bodyStart - 2] !== CR) return false
  return bodyStart - start === 2 || (raw[bodyStart - 3] === LF && raw[bodyStart - 4] === CR)
}
