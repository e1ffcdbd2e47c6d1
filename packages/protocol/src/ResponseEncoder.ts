/**
 * The server's side of the codec: a `Response` value to wire bytes, such that
 * `ResponseParser.parse(encode(r))` deep-equals `r` for every response the parser can produce.
 * Meant for test servers and scripted peers, not for the client's hot path.
 *
 * String forms are chosen per value: an atom where the grammar allows one (astring) and the value
 * is a plain atom other than NIL; a quoted string for printable ASCII; a literal for anything with
 * CR, LF, NUL or 8-bit characters (IMAP4rev1 quoted strings are 7-bit, so every client reads it). Byte data
 * (`BODY[...]`, `BINARY[...]`) is always sent as a literal, `~{n}` for binary data containing NUL.
 *
 * Values are written as given: free text (`Tagged.text`, raw extension data, flags, sections) is
 * the caller's responsibility and must not contain CR or LF; a text ending in `{n}` would be read
 * back as a literal, as by any IMAP peer.
 */
import * as Bytes from "effect/Bytes"
import * as MailboxName from "./MailboxName.ts"
import * as SequenceSet from "./SequenceSet.ts"
import type {
  Address,
  BodyExtension,
  BodySection,
  BodyStructure,
  Envelope,
  FetchAttributes,
  NamespaceEntry,
  Response,
  ResponseCode
} from "./Response.ts"
import { every, isAstringChar, isAtomChar, isQuotableChar, quote } from "./internal/CharClass.ts"

const textEncoder = new TextEncoder()
const CRLF = "\r\n"

/** Collects text and byte parts; text is UTF-8 encoded once at the end. */
class Writer {
  private readonly parts: Array<Uint8Array> = []
  private text = ""

  write(s: string): this {
    this.text += s
    return this
  }

  bytes(b: Uint8Array): this {
    if (this.text !== "") {
      this.parts.push(textEncoder.encode(this.text))
      this.text = ""
    }
    this.parts.push(b)
    return this
  }

  done(): Uint8Array {
    if (this.text !== "") this.parts.push(textEncoder.encode(this.text))
    return this.parts.length === 1 ? this.parts[0]! : Bytes.concat(this.parts)
  }

  // Strings ------------------------------------------------------------------------------------

  /** A literal: `{n}` CRLF and the UTF-8 bytes (`~{n}` for binary data holding NUL). */
  literal(data: Uint8Array, binary = false): this {
    return this.write(`${binary && data.includes(0) ? "~" : ""}{${data.length}}${CRLF}`).bytes(data)
  }

  string(s: string): this {
    if (isQuotable(s)) return this.write(quote(s))
    return this.literal(textEncoder.encode(s))
  }

  nstring(s: string | undefined): this {
    return s === undefined ? this.write("NIL") : this.string(s)
  }

  astring(s: string): this {
    return isAtom(s, true) ? this.write(s) : this.string(s)
  }

  list<A>(items: ReadonlyArray<A>, each: (w: Writer, a: A) => void, separator = " "): this {
    this.write("(")
    items.forEach((a, i) => {
      if (i > 0) this.write(separator)
      each(this, a)
    })
    return this.write(")")
  }
}

/** Printable ASCII (and TAB-free), short enough to quote. */
const isQuotable = (s: string): boolean => {
  if (s.length > 1000) return false
  for (let i = 0; i < s.length; i++) if (!isQuotableChar(s.charCodeAt(i))) return false
  return true
}

/** A plain atom (ASCII ATOM-CHARs, plus `]` for astring), never NIL (which would read as nil). */
const isAtom = (s: string, astring: boolean): boolean =>
  s.toUpperCase() !== "NIL" && every(s, astring ? isAstringChar : isAtomChar)

/** A UID list as a uid-set, ascending consecutive runs compressed to `a:b`. */
const uidSet = (uids: ReadonlyArray<number>): string => {
  const out: Array<string> = []
  let i = 0
  while (i < uids.length) {
    const start = uids[i]!
    let j = i
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++
    out.push(j > i ? `${start}:${uids[j]}` : `${start}`)
    i = j + 1
  }
  return out.join(",")
}

// Response codes and resp-text ----------------------------------------------------------------

const code = (c: ResponseCode): string => {
  switch (c._tag) {
    case "Alert":
      return "ALERT"
    case "Parse":
      return "PARSE"
    case "Capability":
      return ["CAPABILITY", ...c.capabilities].join(" ")
    case "PermanentFlags":
      return `PERMANENTFLAGS (${c.flags.join(" ")})`
    case "ReadOnly":
      return "READ-ONLY"
    case "ReadWrite":
      return "READ-WRITE"
    case "TryCreate":
      return "TRYCREATE"
    case "UidNext":
      return `UIDNEXT ${c.uid}`
    case "UidValidity":
      return `UIDVALIDITY ${c.uidValidity}`
    case "Unseen":
      return `UNSEEN ${c.seq}`
    case "HighestModSeq":
      return `HIGHESTMODSEQ ${c.modSeq}`
    case "NoModSeq":
      return "NOMODSEQ"
    case "Modified":
      return `MODIFIED ${SequenceSet.encode(c.set)}`
    case "AppendUid":
      return `APPENDUID ${c.uidValidity} ${uidSet(c.uids)}`
    case "CopyUid":
      return `COPYUID ${c.uidValidity} ${uidSet(c.sourceUids)} ${uidSet(c.destUids)}`
    case "Closed":
      return "CLOSED"
    case "BadCharset":
      return c.charsets.length === 0 ? "BADCHARSET" : `BADCHARSET (${c.charsets.map(charset).join(" ")})`
    case "UidNotSticky":
      return "UIDNOTSTICKY"
    case "MailboxId":
      return `MAILBOXID (${c.id})`
    case "Status":
      return c.code
    case "Other":
      return c.text === undefined ? c.name : `${c.name} ${c.text}`
  }
}

/** A charset name: an atom, else a quoted string (response codes cannot carry literals). */
const charset = (s: string): string => (isAtom(s, false) ? s : quote(s))

const respText = (w: Writer, c: ResponseCode | undefined, text: string): void => {
  if (c !== undefined) w.write(` [${code(c)}]`)
  if (text !== "") w.write(` ${text}`)
}

// FETCH -------------------------------------------------------------------------------------

const address = (w: Writer, a: Address): void => {
  w.write("(").nstring(a.name).write(" ").nstring(a.adl).write(" ").nstring(a.mailbox).write(" ")
  w.nstring(a.host).write(")")
}

const addresses = (w: Writer, list: ReadonlyArray<Address>): void => {
  if (list.length === 0) w.write("NIL")
  else w.list(list, address, "")
}

const envelope = (w: Writer, e: Envelope): void => {
  w.write("(").nstring(e.date).write(" ").nstring(e.subject)
  for (const l of [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc]) {
    w.write(" ")
    addresses(w, l)
  }
  w.write(" ").nstring(e.inReplyTo).write(" ").nstring(e.messageId).write(")")
}

type Params = ReadonlyArray<readonly [string, string]>

const params = (w: Writer, p: Params): void => {
  if (p.length === 0) w.write("NIL")
  else w.list(p, (w, [k, v]) => w.string(k).write(" ").string(v))
}

/** Extension data positions, in order; emitted up to the last one present on the part. */
const extension = (w: Writer, part: BodyExtension & { readonly params?: Params | undefined }, multi: boolean): void => {
  const keys = multi
    ? (["params", "disposition", "language", "location", "extra"] as const)
    : (["md5", "disposition", "language", "location", "extra"] as const)
  let last = -1
  keys.forEach((k, i) => {
    if (k in part) last = i
  })
  for (let i = 0; i <= last; i++) {
    w.write(" ")
    switch (keys[i]) {
      case "params":
        params(w, part.params ?? [])
        break
      case "md5":
        w.nstring(part.md5)
        break
      case "disposition": {
        const d = part.disposition
        if (d === undefined) w.write("NIL")
        else {
          w.write("(").string(d.type).write(" ")
          params(w, d.params)
          w.write(")")
        }
        break
      }
      case "language":
        if (part.language === undefined) w.write("NIL")
        else w.list(part.language, (w, l) => w.string(l))
        break
      case "location":
        w.nstring(part.location)
        break
      case "extra":
        w.write(part.extra ?? "NIL")
        break
    }
  }
}

const bodyStructure = (w: Writer, b: BodyStructure): void => {
  w.write("(")
  if (b._tag === "Multipart") {
    for (const p of b.parts) bodyStructure(w, p)
    w.write(" ").string(b.subtype)
    extension(w, b, true)
    w.write(")")
    return
  }
  const f = b.fields
  w.string(b.type).write(" ").string(b.subtype).write(" ")
  params(w, f.params)
  w.write(" ").nstring(f.id).write(" ").nstring(f.description).write(" ").string(f.encoding).write(` ${f.size}`)
  if (b._tag === "TextPart") w.write(` ${b.lines}`)
  else if (b._tag === "MessagePart") {
    w.write(" ")
    envelope(w, b.envelope)
    w.write(" ")
    bodyStructure(w, b.body)
    w.write(` ${b.lines}`)
  }
  extension(w, b, false)
  w.write(")")
}

const sectionData = (w: Writer, name: string, s: BodySection, binary: boolean): void => {
  w.write(`${name}[${s.section}]${s.origin === undefined ? "" : `<${s.origin}>`} `)
  if (s.data === undefined) w.write("NIL")
  else w.literal(s.data, binary)
}

/** A Gmail label: as a flag-like atom when it reads back as one (`\\Inbox`), else a string. */
const labelOrString = (w: Writer, label: string): void => {
  let atom = label.length > 0 && label.toUpperCase() !== "NIL"
  for (let i = 0; atom && i < label.length; i++) {
    const c = label.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f || c === 0x28 || c === 0x29 || c === 0x22 || c === 0x7b) atom = false
  }
  if (atom) w.write(label)
  else w.string(label)
}

/** One FETCH item's writer, keyed by its `FetchAttributes` name. */
type FetchItemWriter = readonly [keyof FetchAttributes, (item: (head: string) => Writer) => void]

/** The items present in `a`, in the encoder's own order (the order `order` falls back on). */
const fetchItems = (a: FetchAttributes): Array<FetchItemWriter> => {
  const items: Array<FetchItemWriter> = []
  const add = (key: keyof FetchAttributes, f: (item: (head: string) => Writer) => void) => items.push([key, f])
  if (a.uid !== undefined) add("uid", (item) => item(`UID ${a.uid}`))
  if (a.flags !== undefined) add("flags", (item) => item(`FLAGS (${a.flags?.join(" ")})`))
  if (a.internalDate !== undefined) add("internalDate", (item) => item("INTERNALDATE ").string(a.internalDate ?? ""))
  if (a.size !== undefined) add("size", (item) => item(`RFC822.SIZE ${a.size}`))
  if (a.envelope !== undefined) {
    const e = a.envelope
    add("envelope", (item) => envelope(item("ENVELOPE "), e))
  }
  if (a.bodyStructure !== undefined) {
    const b = a.bodyStructure
    add("bodyStructure", (item) => bodyStructure(item("BODYSTRUCTURE "), b))
  }
  const { body, binary, binarySize, unknown } = a
  if (body !== undefined)
    add("body", (item) => {
      for (const s of body) sectionData(item(""), "BODY", s, false)
    })
  if (binary !== undefined)
    add("binary", (item) => {
      for (const s of binary) sectionData(item(""), "BINARY", s, true)
    })
  if (binarySize !== undefined)
    add("binarySize", (item) => {
      for (const s of binarySize) item(`BINARY.SIZE[${s.section}] ${s.size}`)
    })
  if (a.modSeq !== undefined) add("modSeq", (item) => item(`MODSEQ (${a.modSeq})`))
  if (a.emailId !== undefined) add("emailId", (item) => item(`EMAILID (${a.emailId})`))
  if ("threadId" in a)
    add("threadId", (item) => item(a.threadId === undefined ? "THREADID NIL" : `THREADID (${a.threadId})`))
  if ("preview" in a) add("preview", (item) => item("PREVIEW ").nstring(a.preview))
  if (a.gmailMessageId !== undefined) add("gmailMessageId", (item) => item(`X-GM-MSGID ${a.gmailMessageId}`))
  if (a.gmailThreadId !== undefined) add("gmailThreadId", (item) => item(`X-GM-THRID ${a.gmailThreadId}`))
  if (a.gmailLabels !== undefined) {
    const labels = a.gmailLabels
    add("gmailLabels", (item) => item("X-GM-LABELS ").list(labels, labelOrString))
  }
  // The value's exact bytes: `raw` is their UTF-8 reading, which loses anything that is not UTF-8.
  if (unknown !== undefined)
    add("unknown", (item) => {
      for (const u of unknown) item(`${u.name} `).bytes(u.bytes)
    })
  return items
}

const fetch = (w: Writer, a: FetchAttributes, order: ReadonlyArray<keyof FetchAttributes> | undefined): void => {
  let first = true
  /** Starts the next item (SP-separated) and returns the writer for its value. */
  const item = (head: string): Writer => {
    w.write(first ? head : ` ${head}`)
    first = false
    return w
  }
  const items = fetchItems(a)
  const rank = (key: keyof FetchAttributes): number => {
    const i = order?.indexOf(key) ?? -1
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  // A stable sort: the items `order` names first, in its order, then the rest in the encoder's.
  if (order !== undefined) items.sort((x, y) => rank(x[0]) - rank(y[0]))
  w.write("(")
  for (const [, write] of items) write(item)
  w.write(")")
}

// Other untagged data ------------------------------------------------------------------------

const namespaceList = (w: Writer, entries: ReadonlyArray<NamespaceEntry>): void => {
  if (entries.length === 0) w.write("NIL")
  else w.list(entries, (w, e) => w.write("(").string(e.prefix).write(" ").nstring(e.delimiter).write(")"), "")
}

/** How `encode` writes what the grammar leaves to the server. */
export interface EncodeOptions {
  /**
   * The order of a FETCH response's items (RFC 9051 7.4.2 leaves it to the server: Cyrus answers
   * FLAGS before UID, Courier and Dovecot in the request's order). Items not named follow in the
   * encoder's order: UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY[], ...
   */
  readonly fetchOrder?: ReadonlyArray<keyof FetchAttributes> | undefined
}

/** Encodes one response, line end included. */
export const encode = (response: Response): Uint8Array => encodeResponse(response, undefined)

/** `encode` with the server's choices in `options` (the order of FETCH items). */
export const encodeWith =
  (options: EncodeOptions) =>
  (response: Response): Uint8Array =>
    encodeResponse(response, options)

const encodeResponse = (response: Response, options: EncodeOptions | undefined): Uint8Array => {
  const w = new Writer()
  switch (response._tag) {
    case "Tagged":
      w.write(`${response.tag} ${response.status}`)
      respText(w, response.code, response.text)
      break
    case "UntaggedStatus":
      w.write(`* ${response.status}`)
      respText(w, response.code, response.text)
      break
    case "Continuation":
      w.write(`+ ${response.text}`)
      break
    case "Capability":
    case "Enabled":
      w.write(["*", response._tag === "Capability" ? "CAPABILITY" : "ENABLED", ...response.capabilities].join(" "))
      break
    case "Flags":
      w.write(`* FLAGS (${response.flags.join(" ")})`)
      break
    case "List":
    case "Lsub": {
      w.write(`* ${response._tag === "List" ? "LIST" : "LSUB"} (${response.attributes.join(" ")}) `)
      w.nstring(response.delimiter).write(" ").astring(response.rawMailbox)
      const ext: Array<(w: Writer) => void> = []
      if (response.childInfo !== undefined) {
        const info = response.childInfo
        ext.push((w) => w.write("CHILDINFO ").list(info, (w, s) => w.string(s)))
      }
      if (response.oldName !== undefined) {
        const old = MailboxName.encode(response.oldName)
        ext.push((w) => w.write("OLDNAME (").astring(old).write(")"))
      }
      for (const x of response.extended) ext.push((w) => w.astring(x.name).write(` ${x.raw}`))
      if (ext.length > 0) w.write(" ").list(ext, (w, f) => f(w))
      break
    }
    case "Status": {
      w.write("* STATUS ").astring(response.rawMailbox).write(" ")
      const i = response.items
      const parts: Array<string> = []
      if (i.messages !== undefined) parts.push(`MESSAGES ${i.messages}`)
      if (i.recent !== undefined) parts.push(`RECENT ${i.recent}`)
      if (i.uidNext !== undefined) parts.push(`UIDNEXT ${i.uidNext}`)
      if (i.uidValidity !== undefined) parts.push(`UIDVALIDITY ${i.uidValidity}`)
      if (i.unseen !== undefined) parts.push(`UNSEEN ${i.unseen}`)
      if (i.deleted !== undefined) parts.push(`DELETED ${i.deleted}`)
      if (i.size !== undefined) parts.push(`SIZE ${i.size}`)
      if (i.highestModSeq !== undefined) parts.push(`HIGHESTMODSEQ ${i.highestModSeq}`)
      if (i.appendLimit !== undefined) parts.push(`APPENDLIMIT ${i.appendLimit}`)
      if (i.mailboxId !== undefined) parts.push(`MAILBOXID (${i.mailboxId})`)
      for (const o of i.other ?? []) parts.push(`${o.name} ${o.raw}`)
      w.write(`(${parts.join(" ")})`)
      break
    }
    case "Search":
      w.write(["* SEARCH", ...response.ids].join(" "))
      if (response.modSeq !== undefined) w.write(` (MODSEQ ${response.modSeq})`)
      break
    case "ESearch": {
      w.write("* ESEARCH")
      if (response.tag !== undefined) w.write(" (TAG ").string(response.tag).write(")")
      if (response.uid) w.write(" UID")
      if (response.min !== undefined) w.write(` MIN ${response.min}`)
      if (response.max !== undefined) w.write(` MAX ${response.max}`)
      if (response.count !== undefined) w.write(` COUNT ${response.count}`)
      if (response.all !== undefined) w.write(` ALL ${SequenceSet.encode(response.all)}`)
      if (response.modSeq !== undefined) w.write(` MODSEQ ${response.modSeq}`)
      for (const o of response.other) w.write(` ${o.name} ${o.raw}`)
      break
    }
    case "Exists":
      w.write(`* ${response.count} EXISTS`)
      break
    case "Recent":
      w.write(`* ${response.count} RECENT`)
      break
    case "Expunge":
      w.write(`* ${response.seq} EXPUNGE`)
      break
    case "Vanished":
      w.write(`* VANISHED ${response.earlier ? "(EARLIER) " : ""}${SequenceSet.encode(response.uids)}`)
      break
    case "Namespace":
      w.write("* NAMESPACE ")
      namespaceList(w, response.personal)
      w.write(" ")
      namespaceList(w, response.otherUsers)
      w.write(" ")
      namespaceList(w, response.shared)
      break
    case "Id": {
      w.write("* ID ")
      const p = response.params
      if (p === undefined) w.write("NIL")
      else w.list([...p], (w, [k, v]) => w.string(k).write(" ").nstring(v))
      break
    }
    case "Quota":
      w.write("* QUOTA ").astring(response.root).write(" ")
      w.list(response.resources, (w, r) => w.write(`${r.name} ${r.usage} ${r.limit}`))
      break
    case "QuotaRoot":
      w.write("* QUOTAROOT ").astring(response.rawMailbox)
      for (const root of response.roots) w.write(" ").astring(root)
      break
    case "Fetch":
      w.write(`* ${response.seq} FETCH `)
      fetch(w, response.attributes, options?.fetchOrder)
      break
    case "Unknown":
      return response.raw
  }
  return w.write(CRLF).done()
}
