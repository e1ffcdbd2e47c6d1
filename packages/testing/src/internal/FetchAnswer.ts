/**
 * The attributes of one FETCH response (RFC 9051 6.4.5, 7.5.2) for a stored message: the macros
 * expanded, each asked-for item computed, `BODY[section]<partial>` cut, and whether the fetch sets
 * `\Seen` (a non-PEEK body section). ENVELOPE, BODYSTRUCTURE and sections come from `Message`.
 */
import type { BodySection, Command, FetchAttributes } from "@pkg/protocol"
import { DateTime, SequenceSet } from "@pkg/protocol"
import * as Message from "../Message.ts"
import { parsed, type StoredMessage } from "./Store.ts"

/** The attributes a macro stands for (RFC 9051 6.4.5). */
export const expand = (items: Command.FetchItems): ReadonlyArray<Command.FetchAttribute> => {
  const simple = (...tags: Array<Command.SimpleAttributeTag>) => tags.map((_tag) => ({ _tag }))
  switch (items) {
    case "ALL":
      return simple("Flags", "InternalDate", "Rfc822Size", "Envelope")
    case "FAST":
      return simple("Flags", "InternalDate", "Rfc822Size")
    case "FULL":
      return simple("Flags", "InternalDate", "Rfc822Size", "Envelope", "BodyStructure")
    default:
      return items
  }
}

const supported: ReadonlySet<string> = new Set([
  "Uid",
  "Flags",
  "InternalDate",
  "Rfc822Size",
  "Envelope",
  "BodyStructure",
  "BodySection",
  "ModSeq"
])

/** The first attribute the server cannot answer (BINARY, RFC822.*, X-GM-*, ...), for a BAD. */
export const unsupported = (items: ReadonlyArray<Command.FetchAttribute>): string | undefined =>
  items.find((a) => !supported.has(a._tag))?._tag

/** The text between the brackets of a section, as the response names it (`1.HEADER.FIELDS (FROM)`). */
export const sectionName = (section: Command.Section): string => {
  const part = section.part.join(".")
  const t = section.text
  if (t === undefined) return part
  const text =
    t._tag === "HeaderFields"
      ? `HEADER.FIELDS${t.not ? ".NOT" : ""} (${t.fields.map((f) => f.toUpperCase()).join(" ")})`
      : t._tag.toUpperCase()
  return part === "" ? text : `${part}.${text}`
}

/** `<offset.length>` of `bytes` (RFC 9051 6.4.5): empty past the end, shortened at the end. */
export const cut = (bytes: Uint8Array, partial: Command.PartialRange | undefined): Uint8Array =>
  partial === undefined
    ? bytes
    : bytes.subarray(Math.min(partial.offset, bytes.length), partial.offset + partial.length)

const bodySection = (m: StoredMessage, a: Extract<Command.FetchAttribute, { _tag: "BodySection" }>): BodySection => {
  const bytes = Message.section(parsed(m), a.section)
  return {
    section: sectionName(a.section),
    origin: a.partial?.offset,
    data: bytes === undefined ? (a.partial === undefined ? undefined : new Uint8Array()) : cut(bytes, a.partial)
  }
}

/** What one message's FETCH response holds, and whether answering it sets `\Seen`. */
export interface Answer {
  readonly attributes: FetchAttributes
  readonly setsSeen: boolean
}

/**
 * The attributes for `items` of message `m`. `withUid` adds UID (UID FETCH always answers it, RFC
 * 9051 6.4.9); `withModSeq` adds MODSEQ (CONDSTORE enabled and CHANGEDSINCE given, RFC 7162 3.1.4.1).
 */
export const answer = (
  m: StoredMessage,
  items: ReadonlyArray<Command.FetchAttribute>,
  options: { readonly withUid: boolean; readonly withModSeq: boolean; readonly flags: ReadonlyArray<string> }
): Answer => {
  const out: {
    -readonly [K in keyof FetchAttributes]: FetchAttributes[K]
  } = {}
  let setsSeen = false
  const body: Array<BodySection> = []
  if (options.withUid) out.uid = SequenceSet.Uid(m.uid)
  for (const a of items) {
    switch (a._tag) {
      case "Uid":
        out.uid = SequenceSet.Uid(m.uid)
        break
      case "Flags":
        out.flags = options.flags
        break
      case "InternalDate":
        out.internalDate = DateTime.formatInternalDate(m.internalDate)
        break
      case "Rfc822Size":
        out.size = m.raw.length
        break
      case "Envelope":
        out.envelope = parsed(m).envelope
        break
      case "BodyStructure":
        out.bodyStructure = parsed(m).bodyStructure
        break
      case "ModSeq":
        out.modSeq = m.modSeq
        break
      case "BodySection":
        body.push(bodySection(m, a))
        if (!a.peek) setsSeen = true
        break
    }
  }
  if (body.length > 0) out.body = body
  if (options.withModSeq) out.modSeq = m.modSeq
  return { attributes: out, setsSeen }
}

/** The request's order of the items present in `attributes`, for `Behaviour.fetchItemOrder: "request"`. */
export const requestOrder = (items: ReadonlyArray<Command.FetchAttribute>): Array<keyof FetchAttributes> => {
  const names: Record<string, keyof FetchAttributes> = {
    Uid: "uid",
    Flags: "flags",
    InternalDate: "internalDate",
    Rfc822Size: "size",
    Envelope: "envelope",
    BodyStructure: "bodyStructure",
    BodySection: "body",
    ModSeq: "modSeq"
  }
  const out: Array<keyof FetchAttributes> = ["uid"]
  for (const a of items) {
    const n = names[a._tag]
    if (n !== undefined && !out.includes(n)) out.push(n)
  }
  return out
}
