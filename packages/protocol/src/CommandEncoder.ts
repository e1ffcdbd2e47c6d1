/**
 * Commands to bytes. Pure: the output is a list of segments, and the client sends `segments[0]` at
 * once and each following segment only after the server's `+` continuation (a synchronising literal
 * ends each segment but the last). Waiting is the connection's job, which keeps this testable.
 *
 * Per value the encoder picks the cheapest safe form (RFC 9051 4.3 / 9: astring): an atom if every
 * char is ATOM-CHAR, a quoted string if the value is printable ASCII (or UTF-8 under UTF8=ACCEPT)
 * and at most 1024 bytes, else a literal. Choice: control characters other than CR/LF are legal in
 * quoted strings but go as literals here, because servers disagree about them.
 *
 * Safety: a CR, LF or NUL is never emitted outside a literal body. A value that would need one in a
 * place where no literal is allowed (keyword, atom, AUTHENTICATE response, tag) is refused, and so is
 * NUL anywhere but a BINARY APPEND (`~{n}`), invalid numbers and ill-formed UTF-16. So are search keys
 * nested deeper than `MAX_DEPTH` and, for values that defeat the types, an unknown `_tag`.
 *
 * Errors: `encode` returns `Result<EncodedCommand, EncodeError>` and never throws (internally it
 * throws `EncodeError` and catches it at the boundary). `Result` is yieldable in `Effect.gen`.
 */
import * as Bytes from "effect/Bytes"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Command from "./Command.ts"
import { EncodeError } from "./EncodeError.ts"
import * as Flag from "./Flag.ts"
import { every, isAstringChar, isListChar, isQuotableChar, quote } from "./internal/CharClass.ts"
import { MAX_DEPTH } from "./internal/Reader.ts"
import * as MailboxName from "./MailboxName.ts"
import * as SearchKey from "./SearchKey.ts"
import * as SequenceSet from "./SequenceSet.ts"

export interface EncodeOptions {
  /** LITERAL+ (RFC 7888): every literal may be non-synchronising `{n+}`. */
  readonly literalPlus: boolean
  /** LITERAL- (RFC 7888): non-synchronising only for literals of at most 4096 bytes. */
  readonly literalMinus: boolean
  /** UTF8=ACCEPT enabled (RFC 6855) or IMAP4rev2: UTF-8 in quoted strings and mailbox names. */
  readonly utf8Accept?: boolean | undefined
  /** BINARY (RFC 3516): an APPEND message with NUL bytes may be sent as `~{n}`. */
  readonly binary?: boolean | undefined
}

export interface EncodedCommand {
  readonly tag: string
  /** `segments[0]` is sent at once; before each following segment the client waits for `+`. */
  readonly segments: ReadonlyArray<Uint8Array>
  /** Printable one-line rendering: secrets are `<redacted>`, literal bodies `<n bytes>`. */
  readonly trace: string
}

/** No LITERAL+/LITERAL-, no UTF8=ACCEPT, no BINARY: what any IMAP4rev1 server accepts. */
export const defaultOptions: EncodeOptions = { literalPlus: false, literalMinus: false }

/** RFC 7888 4: LITERAL- allows non-synchronising literals up to this size. */
export const LITERAL_MINUS_MAX = 4096
/** Longer strings go as literals: long quoted strings trip line-length limits in servers. */
export const QUOTED_MAX = 1024

const utf8 = new TextEncoder()
const CRLF = utf8.encode("\r\n")
const MAX_MODSEQ = 9223372036854775807n

// ---------------------------------------------------------------------------------------------
// The writer: accumulates segments and the trace together so they cannot disagree.

const refuse = (field: string, message: string): never => {
  throw new EncodeError({ field, message: `${field}: ${message}` })
}

class Writer {
  private readonly segments: Array<Uint8Array> = []
  private current: Array<Uint8Array> = []
  private trace = ""

  readonly options: EncodeOptions
  constructor(options: EncodeOptions) {
    this.options = options
  }

  /** Protocol text. The final guard: whatever the caller did, no CR/LF/NUL leaves here. */
  text(s: string, traceText: string = s): void {
    if (/[\r\n\0]/.test(s)) refuse("(internal)", "CR, LF or NUL outside a literal")
    this.current.push(utf8.encode(s))
    this.trace += traceText
  }

  literal(bytes: Uint8Array, field: string, secret: boolean, binary = false): void {
    if (!binary && bytes.includes(0)) refuse(field, "NUL is not allowed in a literal")
    const { literalPlus, literalMinus } = this.options
    const nonSync = literalPlus || (literalMinus && bytes.length <= LITERAL_MINUS_MAX)
    const marker = `${binary ? "~" : ""}{${bytes.length}${nonSync ? "+" : ""}}`
    this.current.push(utf8.encode(marker), CRLF)
    this.trace += secret ? "<redacted>" : `${marker} <${bytes.length} bytes>`
    if (!nonSync) this.endSegment()
    this.current.push(bytes)
  }

  private endSegment(): void {
    this.segments.push(Bytes.concat(this.current))
    this.current = []
  }

  finish(): { segments: ReadonlyArray<Uint8Array>; trace: string } {
    this.current.push(CRLF)
    this.endSegment()
    return { segments: this.segments, trace: this.trace }
  }

  // ---- values ---------------------------------------------------------------------------

  private checkWellFormed(s: string, field: string): void {
    // A lone surrogate would be silently replaced by U+FFFD on the way to UTF-8.
    if (!s.isWellFormed()) refuse(field, "ill-formed UTF-16 (lone surrogate)")
  }

  /** Quoted if possible, else a literal: `string` in the grammar (never an atom). */
  string(s: string, field: string, secret = false): void {
    this.checkWellFormed(s, field)
    if (s.includes("\0")) refuse(field, "NUL cannot be sent in a string")
    const bytes = utf8.encode(s)
    const quotable =
      bytes.length <= QUOTED_MAX &&
      [...s].every((ch) => {
        const code = ch.codePointAt(0)!
        return isQuotableChar(code) || (this.options.utf8Accept === true && code >= 0xa0)
      })
    if (quotable) {
      const quoted = quote(s)
      this.text(quoted, secret ? "<redacted>" : quoted)
    } else {
      this.literal(bytes, field, secret)
    }
  }

  astring(s: string, field: string, secret = false): void {
    this.checkWellFormed(s, field)
    if (every(s, isAstringChar)) this.text(s, secret ? "<redacted>" : s)
    else this.string(s, field, secret)
  }

  nstring(s: string | undefined, field: string): void {
    if (s === undefined) this.text("NIL")
    else this.string(s, field)
  }

  mailbox(name: string, field: string): void {
    this.checkWellFormed(name, field)
    this.astring(MailboxName.toWire(name, this.options), field)
  }

  /** list-mailbox: like a mailbox, but the atom form may also hold the wildcards `%` and `*`. */
  pattern(name: string, field: string): void {
    this.checkWellFormed(name, field)
    const wire = MailboxName.toWire(name, this.options)
    if (every(wire, isListChar)) this.text(wire)
    else this.string(wire, field)
  }

  atom(s: string, field: string): void {
    if (!Flag.isAtom(s)) refuse(field, `not an atom: ${JSON.stringify(s)}`)
    this.text(s)
  }

  flag(s: string, field: string): void {
    if (!Flag.isValid(s)) refuse(field, `not a flag or keyword: ${JSON.stringify(s)}`)
    this.text(s)
  }

  flagList(flags: ReadonlyArray<string>, field: string): void {
    this.text("(")
    flags.forEach((f, i) => {
      if (i > 0) this.text(" ")
      this.flag(f, `${field}[${i}]`)
    })
    this.text(")")
  }

  /** number / number64: a non-negative integer. */
  number(n: number, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): void {
    if (!Number.isSafeInteger(n) || n < min || n > max) refuse(field, `number out of range: ${n}`)
    this.text(String(n))
  }

  modSeq(n: bigint, field: string): void {
    if (n < 0n || n > MAX_MODSEQ) refuse(field, `mod-sequence out of range: ${n}`)
    this.text(n.toString())
  }

  set<K extends SequenceSet.Kind>(set: SequenceSet.SetOrSaved<K>, field: string): void {
    if (!SequenceSet.isSaved(set) && !SequenceSet.isValid(set))
      refuse(field, "sequence set has a number outside 1..2^32-1")
    this.text(SequenceSet.encode(set))
  }

  list<A>(items: ReadonlyArray<A>, each: (a: A, i: number) => void): void {
    this.text("(")
    items.forEach((a, i) => {
      if (i > 0) this.text(" ")
      each(a, i)
    })
    this.text(")")
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const checkYear = (date: Date, field: string): void => {
  if (Number.isNaN(date.getTime())) refuse(field, "invalid Date")
  const y = date.getUTCFullYear()
  if (y < 0 || y > 9999) refuse(field, `year ${y} does not have 4 digits`)
}

/** date-time for APPEND: `"01-Feb-1994 21:52:25 +0000"`, in UTC, to the second. */
export const formatDateTime = (date: Date): string =>
  `${pad(date.getUTCDate(), 2)}-${SearchKey.months[date.getUTCMonth()]}-${pad(date.getUTCFullYear(), 4)} ` +
  `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)} +0000`

// ---------------------------------------------------------------------------------------------
// Search keys

/** The `_tag` of a value whose type was defeated (a cast, untyped JSON), for the refusal message. */
const tagOf = (value: unknown): string => JSON.stringify((value as { readonly _tag?: unknown })._tag) ?? "undefined"

/**
 * One key, `depth` levels inside `(`, `NOT` and `OR`. The depth is bounded (each level is a stack
 * frame) by the limit `CommandParser` applies too, so that what one refuses the other never makes.
 */
const searchKey = (w: Writer, key: SearchKey.SearchKey, field: string, depth: number): void => {
  if (depth > MAX_DEPTH) refuse(field, `search keys nested deeper than ${MAX_DEPTH}`)
  switch (key._tag) {
    case "All":
    case "Answered":
    case "Deleted":
    case "Draft":
    case "Flagged":
    case "Seen":
    case "New":
    case "Old":
    case "Recent":
    case "Unanswered":
    case "Undeleted":
    case "Undraft":
    case "Unflagged":
    case "Unseen":
      w.text(SearchKey.wordOf(key._tag))
      return
    case "Keyword":
    case "Unkeyword":
      if (!Flag.isKeyword(key.flag)) refuse(`${field}.flag`, `not a keyword: ${JSON.stringify(key.flag)}`)
      w.text(`${SearchKey.wordOf(key._tag)} ${key.flag}`)
      return
    case "Before":
    case "On":
    case "Since":
    case "SentBefore":
    case "SentOn":
    case "SentSince":
      checkYear(key.date, `${field}.date`)
      w.text(`${SearchKey.wordOf(key._tag)} ${SearchKey.formatDate(key.date)}`)
      return
    case "From":
    case "To":
    case "Cc":
    case "Bcc":
    case "Subject":
    case "Body":
    case "Text":
      w.text(`${SearchKey.wordOf(key._tag)} `)
      w.astring(key.value, `${field}.value`)
      return
    case "Header":
      w.text("HEADER ")
      w.astring(key.name, `${field}.name`)
      w.text(" ")
      w.astring(key.value, `${field}.value`)
      return
    case "Larger":
    case "Smaller":
      w.text(`${SearchKey.wordOf(key._tag)} `)
      w.number(key.size, `${field}.size`)
      return
    case "Older":
    case "Younger":
      w.text(`${SearchKey.wordOf(key._tag)} `)
      w.number(key.seconds, `${field}.seconds`, 1)
      return
    case "Uid":
      w.text("UID ")
      w.set(key.set, `${field}.set`)
      return
    case "SequenceSet":
      w.set(key.set, `${field}.set`)
      return
    case "Or":
      w.text("OR ")
      searchKey(w, key.left, `${field}.left`, depth + 1)
      w.text(" ")
      searchKey(w, key.right, `${field}.right`, depth + 1)
      return
    case "Not":
      w.text("NOT ")
      searchKey(w, key.key, `${field}.key`, depth + 1)
      return
    case "And":
      if (key.keys.length === 0) refuse(field, "empty AND group")
      w.list(key.keys, (k, i) => searchKey(w, k, `${field}.keys[${i}]`, depth + 1))
      return
    case "ModSeq":
      w.text("MODSEQ ")
      if (key.entry !== undefined) {
        w.string(key.entry.name, `${field}.entry.name`)
        if (!["priv", "shared", "all"].includes(key.entry.type)) refuse(`${field}.entry.type`, "not priv/shared/all")
        w.text(` ${key.entry.type} `)
      }
      w.modSeq(key.modSeq, `${field}.modSeq`)
      return
    case "EmailId":
    case "ThreadId":
      if (!SearchKey.isObjectId(key.id)) refuse(`${field}.id`, `not an OBJECTID: ${JSON.stringify(key.id)}`)
      w.text(`${SearchKey.wordOf(key._tag)} ${key.id}`)
      return
    case "GmailRaw":
      w.text("X-GM-RAW ")
      w.astring(key.query, `${field}.query`)
      return
    default:
      refuse(field, `unknown search key ${tagOf(key)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Fetch attributes

const simpleAttributeWords: Record<Command.SimpleAttributeTag, string> = {
  Uid: "UID",
  Flags: "FLAGS",
  InternalDate: "INTERNALDATE",
  Rfc822Size: "RFC822.SIZE",
  Envelope: "ENVELOPE",
  BodyStructure: "BODYSTRUCTURE",
  Body: "BODY",
  Rfc822: "RFC822",
  Rfc822Header: "RFC822.HEADER",
  Rfc822Text: "RFC822.TEXT",
  ModSeq: "MODSEQ",
  EmailId: "EMAILID",
  ThreadId: "THREADID",
  GmailMessageId: "X-GM-MSGID",
  GmailThreadId: "X-GM-THRID",
  GmailLabels: "X-GM-LABELS"
}
/** Shared with the parser so the two tables cannot drift. */
export const fetchAttributeWords: Readonly<Record<Command.SimpleAttributeTag, string>> = simpleAttributeWords

const partNumbers = (part: ReadonlyArray<number>, field: string): string => {
  part.forEach((p, i) => {
    if (!SequenceSet.isValidNumber(p)) refuse(`${field}[${i}]`, `part number out of range: ${p}`)
  })
  return part.join(".")
}

const partial = (w: Writer, p: Command.PartialRange | undefined, field: string): void => {
  if (p === undefined) return
  w.text("<")
  w.number(p.offset, `${field}.offset`, 0, SequenceSet.MAX)
  w.text(".")
  w.number(p.length, `${field}.length`, 1, SequenceSet.MAX)
  w.text(">")
}

const fetchAttribute = (w: Writer, a: Command.FetchAttribute, field: string): void => {
  switch (a._tag) {
    case "BodySection": {
      const parts = partNumbers(a.section.part, `${field}.section.part`)
      w.text(`${a.peek ? "BODY.PEEK" : "BODY"}[${parts}`)
      const t = a.section.text
      if (t !== undefined) {
        if (parts !== "") w.text(".")
        switch (t._tag) {
          case "Header":
            w.text("HEADER")
            break
          case "Text":
            w.text("TEXT")
            break
          case "Mime":
            if (parts === "") refuse(`${field}.section`, "MIME needs a part number")
            w.text("MIME")
            break
          case "HeaderFields":
            if (t.fields.length === 0) refuse(`${field}.section.fields`, "empty header list")
            w.text(t.not ? "HEADER.FIELDS.NOT " : "HEADER.FIELDS ")
            w.list(t.fields, (f, i) => w.astring(f, `${field}.section.fields[${i}]`))
            break
          default:
            refuse(`${field}.section.text`, `unknown section text ${tagOf(t)}`)
        }
      }
      w.text("]")
      partial(w, a.partial, `${field}.partial`)
      return
    }
    case "Binary":
      w.text(`${a.peek ? "BINARY.PEEK" : "BINARY"}[${partNumbers(a.part, `${field}.part`)}]`)
      partial(w, a.partial, `${field}.partial`)
      return
    case "BinarySize":
      w.text(`BINARY.SIZE[${partNumbers(a.part, `${field}.part`)}]`)
      return
    case "Preview":
      w.text(a.lazy ? "PREVIEW (LAZY)" : "PREVIEW")
      return
    default: {
      // Own properties only: a forged `_tag` such as "toString" must not find Object.prototype's.
      const word = Object.hasOwn(simpleAttributeWords, a._tag) ? simpleAttributeWords[a._tag] : undefined
      w.text(word ?? refuse(field, `unknown fetch attribute ${tagOf(a)}`))
      return
    }
  }
}

const fetchItems = (w: Writer, items: Command.FetchItems, field: string): void => {
  if (typeof items === "string") {
    if (items !== "ALL" && items !== "FAST" && items !== "FULL") refuse(field, "unknown fetch macro")
    w.text(items)
    return
  }
  if (items.length === 0) refuse(field, "no fetch attributes")
  w.list(items, (a, i) => fetchAttribute(w, a, `${field}[${i}]`))
}

// ---------------------------------------------------------------------------------------------
// Commands

const storeWord = (c: Command.Store | Command.UidStore): string =>
  `${c.mode === "add" ? "+" : c.mode === "remove" ? "-" : ""}FLAGS${c.silent === true ? ".SILENT" : ""}`

const body = (w: Writer, c: Command.Command): void => {
  const f = c._tag
  switch (c._tag) {
    case "Capability":
      w.text("CAPABILITY")
      return
    case "Noop":
      w.text("NOOP")
      return
    case "Logout":
      w.text("LOGOUT")
      return
    case "StartTls":
      w.text("STARTTLS")
      return
    case "Namespace":
      w.text("NAMESPACE")
      return
    case "Idle":
      w.text("IDLE")
      return
    case "Close":
      w.text("CLOSE")
      return
    case "Unselect":
      w.text("UNSELECT")
      return
    case "Expunge":
      w.text("EXPUNGE")
      return
    case "Compress":
      if (c.mechanism !== "DEFLATE") refuse(`${f}.mechanism`, "only DEFLATE is defined")
      w.text("COMPRESS DEFLATE")
      return
    case "Authenticate": {
      w.text("AUTHENTICATE ")
      w.atom(c.mechanism, `${f}.mechanism`)
      if (c.initialResponse === undefined) return
      const ir = Redacted.value(c.initialResponse)
      // Base64 only (RFC 4648, padded): this is the one secret that cannot be a literal, so nothing
      // else may pass. A lone "=" is refused: on the wire it means "empty" (RFC 4959), not itself.
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(ir)) {
        refuse(`${f}.initialResponse`, "not base64")
      }
      w.text(` ${ir === "" ? "=" : ir}`, " <redacted>")
      return
    }
    case "Login":
      w.text("LOGIN ")
      w.astring(c.user, `${f}.user`)
      w.text(" ")
      w.astring(Redacted.value(c.password), `${f}.password`, true)
      return
    case "Enable":
      w.text("ENABLE")
      if (c.capabilities.length === 0) refuse(`${f}.capabilities`, "nothing to enable")
      c.capabilities.forEach((cap, i) => {
        w.text(" ")
        w.atom(cap, `${f}.capabilities[${i}]`)
      })
      return
    case "Id": {
      w.text("ID ")
      if (c.params === undefined) {
        w.text("NIL")
        return
      }
      w.list([...c.params], ([k, v], i) => {
        w.string(k, `${f}.params[${i}].name`)
        w.text(" ")
        w.nstring(v, `${f}.params[${i}].value`)
      })
      return
    }
    case "Select":
    case "Examine": {
      w.text(c._tag === "Select" ? "SELECT " : "EXAMINE ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      const params: Array<() => void> = []
      if (c.condstore === true) params.push(() => w.text("CONDSTORE"))
      const q = c.qresync
      if (q !== undefined) {
        params.push(() => {
          w.text("QRESYNC (")
          w.number(q.uidValidity, `${f}.qresync.uidValidity`, 1, SequenceSet.MAX)
          w.text(" ")
          w.modSeq(q.modSeq, `${f}.qresync.modSeq`)
          if (q.knownUids !== undefined) {
            w.text(" ")
            w.set(q.knownUids, `${f}.qresync.knownUids`)
            if (q.sequenceMatch !== undefined) {
              w.text(" (")
              w.set(q.sequenceMatch.sequences, `${f}.qresync.sequenceMatch.sequences`)
              w.text(" ")
              w.set(q.sequenceMatch.uids, `${f}.qresync.sequenceMatch.uids`)
              w.text(")")
            }
          } else if (q.sequenceMatch !== undefined) {
            refuse(`${f}.qresync.sequenceMatch`, "needs knownUids")
          }
          w.text(")")
        })
      }
      if (params.length === 0) return
      w.text(" ")
      w.list(params, (p) => p())
      return
    }
    case "Create":
      w.text("CREATE ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      if (c.specialUse === undefined || c.specialUse.length === 0) return
      w.text(" (USE ")
      w.list(c.specialUse, (u, i) => {
        if (!Flag.isBackslashFlag(u))
          refuse(`${f}.specialUse[${i}]`, `not a special-use attribute: ${JSON.stringify(u)}`)
        w.text(u)
      })
      w.text(")")
      return
    case "Delete":
    case "Subscribe":
    case "Unsubscribe":
      w.text(`${c._tag.toUpperCase()} `)
      w.mailbox(c.mailbox, `${f}.mailbox`)
      return
    case "Rename":
      w.text("RENAME ")
      w.mailbox(c.from, `${f}.from`)
      w.text(" ")
      w.mailbox(c.to, `${f}.to`)
      return
    case "List": {
      w.text("LIST ")
      if (c.selection !== undefined && c.selection.length > 0) {
        w.list(c.selection, (s, i) => w.atom(s, `${f}.selection[${i}]`))
        w.text(" ")
      }
      w.mailbox(c.reference, `${f}.reference`)
      w.text(" ")
      if (c.patterns.length === 0) refuse(`${f}.patterns`, "no pattern")
      if (c.patterns.length === 1) w.pattern(c.patterns[0], `${f}.patterns[0]`)
      else w.list(c.patterns, (p, i) => w.pattern(p, `${f}.patterns[${i}]`))
      const r = c.returnOptions
      if (r === undefined) return
      const opts: Array<() => void> = []
      if (r.subscribed === true) opts.push(() => w.text("SUBSCRIBED"))
      if (r.children === true) opts.push(() => w.text("CHILDREN"))
      if (r.specialUse === true) opts.push(() => w.text("SPECIAL-USE"))
      const st = r.status
      if (st !== undefined && st.length > 0) {
        opts.push(() => {
          w.text("STATUS ")
          w.list(st, (s, i) => w.atom(s, `${f}.returnOptions.status[${i}]`))
        })
      }
      w.text(" RETURN ")
      w.list(opts, (o) => o())
      return
    }
    case "Lsub":
      w.text("LSUB ")
      w.mailbox(c.reference, `${f}.reference`)
      w.text(" ")
      w.pattern(c.pattern, `${f}.pattern`)
      return
    case "Status":
      w.text("STATUS ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      w.text(" ")
      if (c.items.length === 0) refuse(`${f}.items`, "no status items")
      w.list(c.items, (s, i) => w.atom(s, `${f}.items[${i}]`))
      return
    case "Append": {
      w.text("APPEND ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      if (c.flags !== undefined && c.flags.length > 0) {
        w.text(" ")
        w.flagList(c.flags, `${f}.flags`)
      }
      if (c.internalDate !== undefined) {
        checkYear(c.internalDate, `${f}.internalDate`)
        w.text(` "${formatDateTime(c.internalDate)}"`)
      }
      w.text(" ")
      const hasNul = c.message.includes(0)
      if (hasNul && w.options.binary !== true)
        refuse(`${f}.message`, "message has NUL bytes and BINARY is not available")
      w.literal(c.message, `${f}.message`, false, hasNul)
      return
    }
    case "GetQuota":
      w.text("GETQUOTA ")
      w.astring(c.root, `${f}.root`)
      return
    case "GetQuotaRoot":
      w.text("GETQUOTAROOT ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      return
    case "UidExpunge":
      w.text("UID EXPUNGE ")
      w.set(c.uids, `${f}.uids`)
      return
    case "Search":
    case "UidSearch": {
      w.text(c._tag === "Search" ? "SEARCH" : "UID SEARCH")
      if (c.returnOptions !== undefined) {
        w.text(" RETURN ")
        w.list(c.returnOptions, (o, i) => {
          if (!SearchKey.returnOptions.includes(o)) refuse(`${f}.returnOptions[${i}]`, "unknown return option")
          w.text(o)
        })
      }
      if (c.charset !== undefined) {
        w.text(" CHARSET ")
        w.astring(c.charset, `${f}.charset`)
      }
      w.text(" ")
      // The program is a space-separated list: a top-level AND of two or more keys needs no parens.
      const k = c.criteria
      if (k._tag === "And" && k.keys.length > 1) {
        k.keys.forEach((key, i) => {
          if (i > 0) w.text(" ")
          searchKey(w, key, `${f}.criteria.keys[${i}]`, 0)
        })
        return
      }
      searchKey(w, k, `${f}.criteria`, 0)
      return
    }
    case "Fetch":
    case "UidFetch": {
      w.text(c._tag === "Fetch" ? "FETCH " : "UID FETCH ")
      w.set(c.set, `${f}.set`)
      w.text(" ")
      fetchItems(w, c.items, `${f}.items`)
      const vanished = c._tag === "UidFetch" && c.vanished === true
      if (c.changedSince === undefined) {
        if (vanished) refuse(`${f}.vanished`, "VANISHED needs CHANGEDSINCE (RFC 7162 3.2.6)")
        return
      }
      w.text(" (CHANGEDSINCE ")
      w.modSeq(c.changedSince, `${f}.changedSince`)
      w.text(vanished ? " VANISHED)" : ")")
      return
    }
    case "Store":
    case "UidStore":
      w.text(c._tag === "Store" ? "STORE " : "UID STORE ")
      w.set(c.set, `${f}.set`)
      if (c.unchangedSince !== undefined) {
        w.text(" (UNCHANGEDSINCE ")
        w.modSeq(c.unchangedSince, `${f}.unchangedSince`)
        w.text(")")
      }
      if (c.mode !== "add" && c.mode !== "remove" && c.mode !== "replace") refuse(`${f}.mode`, "unknown mode")
      w.text(` ${storeWord(c)} `)
      w.flagList(c.flags, `${f}.flags`)
      return
    case "Copy":
    case "UidCopy":
    case "Move":
    case "UidMove":
      w.text(`${c._tag.startsWith("Uid") ? "UID " : ""}${c._tag.endsWith("Copy") ? "COPY" : "MOVE"} `)
      w.set(c.set, `${f}.set`)
      w.text(" ")
      w.mailbox(c.mailbox, `${f}.mailbox`)
      return
    default:
      refuse("command", `unknown command ${tagOf(c)}`)
  }
}

/** tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 9). */
export const isValidTag = (tag: string): boolean => every(tag, (c) => isAstringChar(c) && c !== 0x2b)

const attempt = <A>(f: () => A): Result.Result<A, EncodeError> => {
  try {
    return Result.succeed(f())
  } catch (e) {
    if (e instanceof EncodeError) return Result.fail(e)
    throw e
  }
}

/** Encodes `tag command CRLF`, split into segments at synchronising literals. */
export const encode = (
  tag: string,
  command: Command.Command,
  options: EncodeOptions = defaultOptions
): Result.Result<EncodedCommand, EncodeError> =>
  attempt(() => {
    if (!isValidTag(tag)) refuse("tag", `invalid tag: ${JSON.stringify(tag)}`)
    const w = new Writer(options)
    w.text(`${tag} `)
    body(w, command)
    const { segments, trace } = w.finish()
    return { tag, segments, trace }
  })

/** `DONE\r\n`, which ends IDLE (RFC 2177); it has no tag. */
export const encodeDone = (): Uint8Array => utf8.encode("DONE\r\n")

/** `*\r\n`, which cancels an AUTHENTICATE exchange (RFC 9051 6.2.2). */
export const encodeCancel = (): Uint8Array => utf8.encode("*\r\n")

/**
 * A response line to an AUTHENTICATE challenge: base64 (or the text a mechanism wants) plus CRLF.
 * Refused if it holds CR, LF or NUL, or is exactly `*`, which would cancel the exchange instead.
 */
export const encodeContinuation = (base64OrText: string): Result.Result<Uint8Array, EncodeError> =>
  attempt(() => {
    if (/[\r\n\0]/.test(base64OrText)) refuse("continuation", "CR, LF or NUL in a continuation response")
    if (base64OrText === "*") refuse("continuation", `"*" would cancel the exchange; use encodeCancel`)
    if (!base64OrText.isWellFormed()) refuse("continuation", "ill-formed UTF-16 (lone surrogate)")
    return utf8.encode(`${base64OrText}\r\n`)
  })

/** Concatenates segments, e.g. to hand a whole command to `CommandParser.parse` in tests. */
export const concat: (segments: ReadonlyArray<Uint8Array>) => Uint8Array = Bytes.concat
