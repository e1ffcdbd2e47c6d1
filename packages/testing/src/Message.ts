/**
 * A stored message as the test server answers about it: its ENVELOPE, its BODYSTRUCTURE and the
 * bytes of any `BODY[section]`, computed from the raw RFC 5322 bytes; and what SEARCH reads from
 * it (header fields, the sent date, the decoded text).
 *
 * The MIME reading is `internal/MimeEntity.ts` (header blocks by `@zone-eu/mailsplit`, structured
 * values and RFC 2231 parameters by `libmime`); the answers are held to Dovecot's by
 * `test/message-dovecot.test.ts`. Line ends are stored as CRLF, as Dovecot stores them: a message
 * appended with bare LFs is fetched back with CRLFs, and its RFC822.SIZE counts them.
 *
 * @module
 */
import type { BodyStructure, Command, Envelope } from "@pkg/protocol"
import libmime from "libmime"
import * as libqp from "libqp"
import * as AddressList from "./internal/AddressList.ts"
import * as MimeEntity from "./internal/MimeEntity.ts"
import * as MimeParams from "./internal/MimeParams.ts"

/** One message's raw bytes and what the server derives from them. */
export interface Message {
  /**
   * The bytes as stored: as appended, with any bare LF made CRLF (RFC 9051 2.3.4) and any NUL made
   * 0x80 (as Dovecot answers: literals may not carry NUL).
   */
  readonly raw: Uint8Array
  /** RFC822.SIZE: octets of `raw`. */
  readonly size: number
  readonly envelope: Envelope
  readonly bodyStructure: BodyStructure
}

const trees = new WeakMap<Message, MimeEntity.Entity>()

const treeOf = (message: Message): MimeEntity.Entity => {
  let tree = trees.get(message)
  if (tree === undefined) {
    tree = MimeEntity.parse(message.raw)
    trees.set(message, tree)
  }
  return tree
}

/**
 * Parses raw message bytes. Never fails: a message whose MIME is broken still gets the structure a
 * server gives it (a single text/plain part, as Dovecot does).
 */
export const parse = (raw: Uint8Array): Message => {
  const stored = MimeEntity.storedForm(raw)
  const tree = MimeEntity.parse(stored)
  const message: Message = {
    raw: stored,
    size: stored.length,
    envelope: envelopeOf(tree),
    bodyStructure: structureOf(stored, tree)
  }
  trees.set(message, tree)
  return message
}

// --- ENVELOPE ----------------------------------------------------------------------------------

/** Header text as the client reads it: UTF-8 where the bytes are UTF-8, else one char per byte. */
const text = (latin1: string): string => {
  const bytes = Buffer.from(latin1, "latin1")
  const utf8 = bytes.toString("utf8")
  return utf8.includes("\uFFFD") ? latin1 : utf8
}

const value = (entity: MimeEntity.Entity, name: string): string | undefined => {
  const v = MimeEntity.fieldValue(entity.fields, name)
  return v === undefined ? undefined : text(v)
}

const addresses = (entity: MimeEntity.Entity, name: string) => {
  const v = value(entity, name)
  return v === undefined ? [] : AddressList.parse(v)
}

/** RFC 9051 7.5.2: Sender and Reply-To default to From when absent. */
const envelopeOf = (entity: MimeEntity.Entity): Envelope => {
  const from = addresses(entity, "from")
  const sender = addresses(entity, "sender")
  const replyTo = addresses(entity, "reply-to")
  return {
    date: value(entity, "date"),
    subject: value(entity, "subject"),
    from,
    sender: sender.length > 0 ? sender : from,
    replyTo: replyTo.length > 0 ? replyTo : from,
    to: addresses(entity, "to"),
    cc: addresses(entity, "cc"),
    bcc: addresses(entity, "bcc"),
    inReplyTo: value(entity, "in-reply-to"),
    messageId: value(entity, "message-id")
  }
}

// --- BODYSTRUCTURE -----------------------------------------------------------------------------

const countLines = (raw: Uint8Array, from: number, to: number): number => {
  let n = 0
  for (let i = from; i < to; i++) if (raw[i] === 0x0a) n++
  return n
}

/** A Content-* field's value, where the entity's Content-* fields count (`Entity.isMime`). */
const content = (entity: MimeEntity.Entity, name: string): string | undefined =>
  entity.isMime ? value(entity, name) : undefined

const disposition = (entity: MimeEntity.Entity) => {
  const v = content(entity, "content-disposition")
  return v === undefined ? undefined : MimeParams.disposition(v)
}

const language = (entity: MimeEntity.Entity): ReadonlyArray<string> | undefined => {
  const v = content(entity, "content-language")
  const list = v === undefined ? [] : MimeParams.languages(v)
  return list.length === 0 ? undefined : list
}

const extension = (entity: MimeEntity.Entity) => ({
  md5: content(entity, "content-md5"),
  disposition: disposition(entity),
  language: language(entity),
  location: content(entity, "content-location")
})

const EMPTY_ENVELOPE: Envelope = {
  date: undefined,
  subject: undefined,
  from: [],
  sender: [],
  replyTo: [],
  to: [],
  cc: [],
  bcc: [],
  inReplyTo: undefined,
  messageId: undefined
}

const EMPTY_PART: BodyStructure = {
  _tag: "TextPart",
  type: "text",
  subtype: "plain",
  fields: { params: [["charset", "us-ascii"]], id: undefined, description: undefined, encoding: "7bit", size: 0 },
  lines: 0
}

/** RFC 2045 6.1: a single token; anything else (`base64 x`) is ignored for the default, as Dovecot does. */
const encodingOf = (entity: MimeEntity.Entity): string => {
  const v = content(entity, "content-transfer-encoding")
  return (v === undefined ? undefined : MimeParams.encoding(v)) ?? "7bit"
}

/** Dovecot names the charset of a text part that has none (RFC 2045 5.2's default) explicitly. */
const paramsOf = (ct: MimeEntity.ContentType): ReadonlyArray<readonly [string, string]> =>
  ct.type === "text" && !ct.params.some(([k]) => k.toLowerCase() === "charset")
    ? [...ct.params, ["charset", "us-ascii"]]
    : ct.params

/** The BODYSTRUCTURE of one entity (RFC 9051 7.5.2), extension data included. */
const structureOf = (raw: Uint8Array, entity: MimeEntity.Entity): BodyStructure => {
  const ct = entity.contentType
  if (entity.isMultipart) {
    const { md5: _md5, ...ext } = extension(entity)
    return {
      _tag: "Multipart",
      // RFC 9051's grammar wants one part at least: a multipart with none (no boundary, or its
      // delimiters never came) gets an empty text/plain one, as Dovecot answers.
      parts: entity.children.length > 0 ? entity.children.map((child) => structureOf(raw, child)) : [EMPTY_PART],
      subtype: ct.subtype,
      params: ct.params,
      ...ext
    }
  }
  const fields = {
    params: paramsOf(ct),
    id: content(entity, "content-id"),
    description: content(entity, "content-description"),
    encoding: encodingOf(entity),
    size: entity.end - entity.bodyStart
  }
  const lines = countLines(raw, entity.bodyStart, entity.end)
  const inner = entity.children[0]
  if (entity.isMessage) {
    // One whose header ran into a delimiter has no message inside: an empty one, as Dovecot says.
    return {
      _tag: "MessagePart",
      type: "message",
      subtype: ct.subtype,
      fields,
      envelope: inner === undefined ? EMPTY_ENVELOPE : envelopeOf(inner),
      body: inner === undefined ? EMPTY_PART : structureOf(raw, inner),
      lines,
      ...extension(entity)
    }
  }
  if (ct.type === "text")
    return { _tag: "TextPart", type: "text", subtype: ct.subtype, fields, lines, ...extension(entity) }
  return { _tag: "BasicPart", type: ct.type, subtype: ct.subtype, fields, ...extension(entity) }
}

// --- BODY[section] -----------------------------------------------------------------------------

/**
 * The entity a part path names (RFC 9051 6.4.5), as Dovecot's imap_msgpart_find walks it: a number
 * picks a part of a multipart; of any other part only `1` is valid, names the part itself, and must
 * end the path unless the part is message/rfc822, whose encapsulated message the rest of the path
 * walks. So `[1.1]` of a leaf inside a multipart is that leaf, but of a single-part message nothing.
 * Undefined when there is no such part.
 */
const find = (root: MimeEntity.Entity, path: ReadonlyArray<number>): MimeEntity.Entity | undefined => {
  let entity: MimeEntity.Entity | undefined = root
  for (let i = 0; i < path.length && entity !== undefined; i++) {
    const n = path[i] as number
    const more = i + 1 < path.length
    if (entity.isMultipart) entity = entity.children[n - 1]
    else if (n !== 1 || (more && !entity.isMessage)) entity = undefined
    if (entity?.isMessage && more) entity = entity.children[0]
  }
  return entity
}

const slice = (raw: Uint8Array, from: number, to: number): Uint8Array => raw.subarray(from, Math.max(from, to))

const CRLF = Buffer.from("\r\n")

/**
 * HEADER.FIELDS ends with the blank line whether or not the header had one; HEADER.FIELDS.NOT only
 * when it had (Dovecot adds a missing end of header only when it includes fields).
 */
const headerFields = (
  raw: Uint8Array,
  entity: MimeEntity.Entity,
  names: ReadonlyArray<string>,
  not: boolean
): Uint8Array => {
  const wanted = new Set(names.map((n) => n.toLowerCase()))
  const chosen = entity.fields.filter((f) => wanted.has(f.name.toLowerCase()) !== not)
  const end = !not || MimeEntity.hasBlankLine(raw, entity) ? [CRLF] : []
  return Buffer.concat([...chosen.map((f) => Buffer.from(f.raw, "latin1")), ...end])
}

/**
 * The bytes `BODY[section]` answers with, before any `<origin.length>` partial is applied;
 * undefined when the section does not exist (the server answers NIL or an empty string as RFC 9051
 * 6.4.5 says).
 */
export const section = (message: Message, section: Command.Section): Uint8Array | undefined => {
  const root = treeOf(message)
  const raw = message.raw
  const part = find(root, section.part)
  if (part === undefined) return undefined
  const text = section.text
  if (text === undefined) return section.part.length === 0 ? raw : slice(raw, part.bodyStart, part.end)
  if (text._tag === "Mime") return slice(raw, part.start, part.bodyStart)
  // HEADER, TEXT and HEADER.FIELDS of a part number are those of its encapsulated message; a part
  // that is no message/rfc822 has none (Dovecot answers an empty string).
  const target = section.part.length === 0 ? root : part.isMessage ? part.children[0] : undefined
  if (target === undefined) return undefined
  switch (text._tag) {
    case "Header":
      return slice(raw, target.start, target.bodyStart)
    case "Text":
      return slice(raw, target.bodyStart, target.end)
    case "HeaderFields":
      return headerFields(raw, target, text.fields, text.not)
  }
}

// --- What SEARCH reads -------------------------------------------------------------------------

/**
 * The values of every top-level header field called `name` (any case), unfolded and with RFC 2047
 * encoded words decoded (libmime): what SEARCH HEADER, SUBJECT, FROM, TO, CC and BCC match against
 * (RFC 9051 6.4.4: "contains", case-insensitive; the server lower-cases both sides).
 */
export const headerValues = (message: Message, name: string): ReadonlyArray<string> => {
  const lower = name.toLowerCase()
  return treeOf(message)
    .fields.filter((f) => f.name.toLowerCase() === lower)
    .map((f) => decodeWords(text(MimeEntity.unfoldedValue(f))))
}

const decodeWords = (s: string): string => {
  try {
    return libmime.decodeWords(s)
  } catch {
    return s
  }
}

/**
 * The Date: header as a Date, for SENTBEFORE / SENTON / SENTSINCE (RFC 9051 6.4.4 compares the
 * date only, in the header's own zone: take `getUTCFullYear/Month/Date` of `sentDate` after adding
 * the offset, or compare the `yyyy-mm-dd` of `sentDay`). Undefined when absent or unreadable (those
 * messages match no SENT* key, as in Dovecot).
 */
export const sentDate = (message: Message): Date | undefined => {
  const v = message.envelope.date
  if (v === undefined) return undefined
  const d = new Date(v.replace(/\s*\([^)]*\)\s*$/, ""))
  return Number.isNaN(d.getTime()) ? undefined : d
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

/**
 * The calendar day of the Date: header in its own zone, as `yyyy-mm-dd` (what SENT* keys compare:
 * the sender's date, not the UTC one); undefined when absent or unreadable.
 */
export const sentDay = (message: Message): string | undefined => {
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(message.envelope.date ?? "")
  if (m === null) return undefined
  const month = MONTHS.indexOf((m[2] as string).toLowerCase())
  if (month < 0) return undefined
  let year = Number(m[3])
  if (year < 50) year += 2000
  else if (year < 1000) year += 1900
  return `${String(year).padStart(4, "0")}-${String(month + 1).padStart(2, "0")}-${(m[1] as string).padStart(2, "0")}`
}

/**
 * The message's text for SEARCH BODY (`body: true`: the text after the top-level header) and TEXT
 * (`body: false`: header and text), as a string: each leaf part's body transfer-decoded (base64,
 * quoted-printable) and read as UTF-8, headers with encoded words decoded. Dovecot also decodes
 * charsets; this model reads non-UTF-8 text as latin1, which finds ASCII words in any charset.
 */
export const searchText = (message: Message, options: { readonly body: boolean }): string => {
  const root = treeOf(message)
  const out: Array<string> = []
  if (!options.body) out.push(...root.fields.map((f) => decodeWords(text(MimeEntity.unfoldedValue(f)))))
  const visit = (entity: MimeEntity.Entity, isRoot: boolean) => {
    if (!isRoot) out.push(...entity.fields.map((f) => decodeWords(text(MimeEntity.unfoldedValue(f)))))
    if (entity.children.length > 0) {
      for (const child of entity.children) visit(child, false)
      return
    }
    out.push(decodeBody(message.raw, entity))
  }
  visit(root, true)
  return out.join("\n")
}

const decodeBody = (raw: Uint8Array, entity: MimeEntity.Entity): string => {
  const body = Buffer.from(slice(raw, entity.bodyStart, entity.end))
  const encoding = (MimeEntity.fieldValue(entity.fields, "content-transfer-encoding") ?? "").toLowerCase()
  const bytes =
    encoding === "base64"
      ? Buffer.from(body.toString("latin1"), "base64")
      : encoding === "quoted-printable"
        ? libqp.decode(body)
        : body
  return text(bytes.toString("latin1"))
}
