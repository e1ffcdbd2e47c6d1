/**
 * BODY / BODYSTRUCTURE (RFC 3501 / RFC 9051 7.5.2, body and its sub-rules): nested multiparts,
 * text, message/rfc822 (and message/global) parts with their envelope and inner body, basic parts,
 * and the extension data of either form (md5 or parameters, disposition, language, location, then
 * further extensions kept raw). The non-extensible BODY form is the same without extension data:
 * extension keys are present on the result exactly when the server sent that position.
 *
 * Normalisation: media type and subtype are lower-cased (MIME says they are case-insensitive and
 * servers upper-case them); every other string is kept as sent.
 */
import type { BodyExtension, BodyFields, BodyStructure } from "../Response.ts"
import { envelope } from "./EnvelopeParser.ts"
import { decodeUtf8, LPAREN, RPAREN, type Reader } from "./Reader.ts"

type Params = ReadonlyArray<readonly [string, string]>
type Disposition = { readonly type: string; readonly params: Params }
type MutableExtension = { -readonly [K in keyof BodyExtension]: BodyExtension[K] }

const NO_PARAMS: Params = Object.freeze([])

const more = (r: Reader): boolean => r.more()

/** body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
const params = (r: Reader): Params => {
  if (r.tryNil()) return NO_PARAMS
  r.openList()
  r.spaces()
  if (r.peek() === RPAREN) {
    r.closeList()
    return NO_PARAMS
  }
  const out: Array<readonly [string, string]> = []
  do {
    const name = r.string()
    r.separator()
    out.push([name, r.string()])
  } while (more(r))
  r.closeList()
  return out
}

/** body-fld-dsp = "(" string SP body-fld-param ")" / nil */
const disposition = (r: Reader): Disposition | undefined => {
  if (r.tryNil()) return undefined
  r.openList()
  const type = r.string()
  r.separator()
  const p = params(r)
  r.closeList()
  return { type, params: p }
}

/** body-fld-lang = nstring / "(" string *(SP string) ")" */
const language = (r: Reader): ReadonlyArray<string> | undefined => {
  if (r.tryNil()) return undefined
  if (r.peek() !== LPAREN) return [r.string()]
  r.openList()
  const out: Array<string> = []
  r.spaces()
  if (r.peek() !== RPAREN) {
    do out.push(r.string())
    while (r.more())
  }
  r.closeList()
  return out
}

/** *(SP body-extension) after the location: kept raw, from the first to the end of the last. */
const extra = (r: Reader): string => {
  const start = r.pos
  let end = start
  do {
    r.skipValue()
    end = r.pos
  } while (more(r))
  return decodeUtf8(r.buf, start, end)
}

/** body-ext-1part / body-ext-mpart after the first element (md5 or params), which `first` reads. */
const extensionTail = (r: Reader, ext: MutableExtension): void => {
  if (!more(r)) return
  ext.disposition = disposition(r)
  if (!more(r)) return
  ext.language = language(r)
  if (!more(r)) return
  ext.location = r.nstring()
  if (!more(r)) return
  ext.extra = extra(r)
}

/** body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets */
const fields = (r: Reader): BodyFields => {
  const p = params(r)
  r.separator()
  const id = r.nstring()
  r.separator()
  const description = r.nstring()
  r.separator()
  const encoding = r.string()
  r.separator()
  const size = r.number()
  return { params: p, id, description, encoding, size }
}

/** body-type-1part, the cursor after its `(`. */
const onePart = (r: Reader): BodyStructure => {
  const type = r.string().toLowerCase()
  r.separator()
  const subtype = r.string().toLowerCase()
  r.separator()
  const f = fields(r)
  const ext: MutableExtension = {}
  if (type === "text") {
    r.separator()
    // body-fld-lines: Exchange sends -1 when it did not count them; kept as sent.
    const lines = r.signedNumber()
    if (more(r)) {
      ext.md5 = r.nstring()
      extensionTail(r, ext)
    }
    return { _tag: "TextPart", type: "text", subtype, fields: f, lines, ...ext }
  }
  if (type === "message" && (subtype === "rfc822" || subtype === "global")) {
    r.separator()
    const env = envelope(r)
    r.separator()
    const body = bodyStructure(r)
    r.separator()
    const lines = r.signedNumber()
    if (more(r)) {
      ext.md5 = r.nstring()
      extensionTail(r, ext)
    }
    return { _tag: "MessagePart", type: "message", subtype, fields: f, envelope: env, body, lines, ...ext }
  }
  if (more(r)) {
    ext.md5 = r.nstring()
    extensionTail(r, ext)
  }
  return { _tag: "BasicPart", type, subtype, fields: f, ...ext }
}

/** body-type-mpart, the cursor on the first part's `(`. */
const multipart = (r: Reader): BodyStructure => {
  const parts: Array<BodyStructure> = []
  let spaced = true
  while (r.peek() === LPAREN) {
    parts.push(bodyStructure(r))
    // The grammar has no SP between parts, but Exchange and Stalwart send one; the parentheses
    // delimit the parts anyway.
    spaced = r.spaces()
  }
  if (!spaced) r.fail("expected SP before the multipart subtype")
  const subtype = r.string().toLowerCase()
  if (!more(r)) return { _tag: "Multipart", parts, subtype }
  const p = params(r)
  const ext: MutableExtension = {}
  extensionTail(r, ext)
  return { _tag: "Multipart", parts, subtype, params: p, ...ext }
}

/** body = "(" (body-type-1part / body-type-mpart) ")" */
export const bodyStructure = (r: Reader): BodyStructure => {
  r.openList()
  const body = r.peek() === LPAREN ? multipart(r) : onePart(r)
  r.closeList()
  return body
}
