/**
 * The server's side of `CommandEncoder`: one complete command (literals inline) back to
 * `{ tag, command }`, for scripted test servers and round-trip tests. It reads what the encoder
 * writes and the usual alternatives a real client sends (quoted dates, unparenthesised fetch
 * attributes and flag lists, `{n+}`, lower-case keywords). Anything else throws `ParseError`.
 *
 * `frame` tells a scripted server how much of its input is one command and when a synchronising
 * literal is waiting for the `+` continuation.
 */
import * as Redacted from "effect/Redacted"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Command from "./Command.ts"
import { fetchAttributeWords } from "./CommandEncoder.ts"
import * as Flag from "./Flag.ts"
import * as MailboxName from "./MailboxName.ts"
import { isAlpha, isAstringChar, isDigit, isListChar, isSetChar } from "./internal/CharClass.ts"
import { MAX_DEPTH } from "./internal/Reader.ts"
import { excerptAt, ParseError } from "./ParseError.ts"
import * as SearchKey from "./SearchKey.ts"
import * as SequenceSet from "./SequenceSet.ts"

/** A command read back from the wire: its tag and the typed command. */
export interface ParsedCommand {
  readonly tag: string
  readonly command: Command.Command
}

/** How the command was encoded: with UTF8=ACCEPT in force, mailbox names are UTF-8. */
export interface ParseOptions {
  /** UTF8=ACCEPT in force: mailbox names are UTF-8 on the wire, not modified UTF-7. */
  readonly utf8Accept?: boolean | undefined
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
/** A set or `$` (RFC 5182 SEARCHRES). */
const isSetOrSavedChar = (c: number): boolean => isSetChar(c) || c === 0x24

const attributeByWord: ReadonlyMap<string, Command.FetchAttribute> = new Map(
  Object.entries(fetchAttributeWords).map(([tag, word]) => [word, { _tag: tag } as Command.FetchAttribute])
)

class Reader {
  pos = 0
  readonly buf: Uint8Array
  readonly options: ParseOptions
  constructor(buf: Uint8Array, options: ParseOptions) {
    this.buf = buf
    this.options = options
  }

  fail(message: string, at: number = this.pos): never {
    throw new ParseError({ message, offset: at, excerpt: excerptAt(this.buf, at), bytes: this.buf })
  }

  peek(ahead = 0): number | undefined {
    return this.buf[this.pos + ahead]
  }

  byte(c: number, what: string): void {
    if (this.buf[this.pos] !== c) this.fail(`expected ${what}`)
    this.pos++
  }

  sp(): void {
    this.byte(0x20, "SP")
  }

  /** Case-insensitive `word` at the cursor, consumed only if present. */
  tryWord(word: string): boolean {
    for (let i = 0; i < word.length; i++) {
      const c = this.buf[this.pos + i]
      if (c === undefined || String.fromCharCode(c).toUpperCase() !== word[i]) return false
    }
    this.pos += word.length
    return true
  }

  word(word: string): void {
    if (!this.tryWord(word)) this.fail(`expected ${word}`)
  }

  run(pred: (c: number) => boolean, what: string): string {
    const start = this.pos
    while (this.pos < this.buf.length && pred(this.buf[this.pos]!)) this.pos++
    if (this.pos === start) this.fail(`expected ${what}`)
    // Every caller's predicate accepts ASCII only, so one char per byte; no spread (stack limits).
    let s = ""
    for (let i = start; i < this.pos; i++) s += String.fromCharCode(this.buf[i]!)
    return s
  }

  atom(): string {
    return this.run(Flag.isAtomChar, "an atom")
  }

  text(bytes: Uint8Array, at: number): string {
    try {
      return utf8.decode(bytes)
    } catch {
      return this.fail("invalid UTF-8", at)
    }
  }

  quoted(): string {
    const start = this.pos
    this.byte(0x22, '"')
    const out: Array<number> = []
    for (;;) {
      const c = this.buf[this.pos++]
      if (c === undefined || c === 0x0d || c === 0x0a) this.fail("unterminated quoted string", start)
      if (c === 0x22) break
      if (c === 0x5c) {
        const e = this.buf[this.pos++]
        if (e !== 0x22 && e !== 0x5c) this.fail("bad escape in quoted string", this.pos - 1)
        out.push(e)
      } else {
        out.push(c)
      }
    }
    return this.text(Uint8Array.from(out), start)
  }

  /** `{n}`, `{n+}` or, when allowed, `~{n}` / `~{n+}`, then CRLF and n bytes. */
  literal(allowBinary: boolean): { bytes: Uint8Array; binary: boolean } {
    const start = this.pos
    const binary = this.peek() === 0x7e
    if (binary) {
      if (!allowBinary) this.fail("literal8 not allowed here")
      this.pos++
    }
    this.byte(0x7b, "{")
    const digits = this.run(isDigit, "literal length")
    if (this.peek() === 0x2b) this.pos++
    this.byte(0x7d, "}")
    this.byte(0x0d, "CR")
    this.byte(0x0a, "LF")
    const n = Number(digits)
    if (!Number.isSafeInteger(n) || this.pos + n > this.buf.length) this.fail("literal runs past the end", start)
    const bytes = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return { bytes, binary }
  }

  string(): string {
    if (this.peek() === 0x22) return this.quoted()
    const at = this.pos
    if (this.peek() === 0x7b) return this.text(this.literal(false).bytes, at)
    return this.fail("expected a string")
  }

  astring(): string {
    const c = this.peek()
    return c === 0x22 || c === 0x7b ? this.string() : this.run(isAstringChar, "an astring")
  }

  nstring(): string | undefined {
    return this.tryWord("NIL") ? undefined : this.string()
  }

  mailbox(): string {
    return MailboxName.fromWire(this.astring(), this.options)
  }

  pattern(): string {
    const c = this.peek()
    const wire = c === 0x22 || c === 0x7b ? this.string() : this.run(isListChar, "a mailbox pattern")
    return MailboxName.fromWire(wire, this.options)
  }

  number(min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.pos
    const n = Number(this.run(isDigit, "a number"))
    if (!Number.isSafeInteger(n) || n < min || n > max) this.fail("number out of range", at)
    return n
  }

  bigint(): bigint {
    return BigInt(this.run(isDigit, "a number"))
  }

  set<K extends SequenceSet.Kind>(kind: K): SequenceSet.SetOrSaved<K> {
    const at = this.pos
    const text = this.run(isSetOrSavedChar, "a sequence set")
    try {
      return SequenceSet.parseSetOrSaved(text, kind)
    } catch (e) {
      if (e instanceof ParseError) return this.fail(e.message, at + e.offset)
      throw e
    }
  }

  flag(): string {
    const backslash = this.peek() === 0x5c
    if (backslash) this.pos++
    return (backslash ? "\\" : "") + this.atom()
  }

  /** `(a b c)`, calling `each` per element; `()` gives an empty array. */
  list<A>(each: () => A): Array<A> {
    this.byte(0x28, "(")
    const out: Array<A> = []
    if (this.peek() === 0x29) {
      this.pos++
      return out
    }
    for (;;) {
      out.push(each())
      if (this.peek() === 0x29) {
        this.pos++
        return out
      }
      this.sp()
    }
  }

  nonEmpty<A>(items: Array<A>, what: string): NonEmptyReadonlyArray<A> {
    if (items.length === 0) this.fail(`empty ${what}`)
    return items as unknown as NonEmptyReadonlyArray<A>
  }
}

// ---------------------------------------------------------------------------------------------
// Search

const byWord = <T extends SearchKey.SearchKey["_tag"]>(tags: ReadonlyArray<T>): ReadonlyMap<string, T> =>
  new Map(tags.map((t) => [SearchKey.wordOf(t), t]))
const flagKeys = byWord(SearchKey.flagKeyTags)
const dateKeys = byWord(SearchKey.dateKeyTags)
const textKeys = byWord(SearchKey.textKeyTags)

const argumentKeys: ReadonlySet<string> = new Set([
  "KEYWORD",
  "UNKEYWORD",
  "HEADER",
  "LARGER",
  "SMALLER",
  "OLDER",
  "YOUNGER",
  "UID",
  "OR",
  "NOT",
  "MODSEQ",
  "EMAILID",
  "THREADID",
  "X-GM-RAW"
])

const searchDate = (r: Reader): Date => {
  const at = r.pos
  const quoted = r.peek() === 0x22
  const text = quoted ? r.quoted() : r.run((c) => c !== 0x20 && c !== 0x29 && c !== 0x0d, "a date")
  return SearchKey.parseDate(text) ?? r.fail("invalid date", at)
}

/**
 * One search key, `depth` levels inside `(`, `NOT` and `OR`: bounded like the response parser's
 * lists (and the encoder's keys), since each level is a stack frame and hostile input is cheap.
 */
const searchKey = (r: Reader, depth: number): SearchKey.SearchKey => {
  if (depth > MAX_DEPTH) r.fail(`search keys nested deeper than ${MAX_DEPTH}`)
  const c = r.peek() ?? -1
  if (c === 0x28)
    return {
      _tag: "And",
      keys: r.nonEmpty(
        r.list(() => searchKey(r, depth + 1)),
        "search group"
      )
    }
  if (isDigit(c) || c === 0x2a || c === 0x24) return SearchKey.sequenceSet(r.set("seq"))
  const at = r.pos
  const word = r.atom().toUpperCase()
  const flagTag = flagKeys.get(word)
  if (flagTag !== undefined) return { _tag: flagTag }
  const dateTag = dateKeys.get(word)
  if (dateTag !== undefined) {
    r.sp()
    return { _tag: dateTag, date: searchDate(r) }
  }
  const textTag = textKeys.get(word)
  if (textTag !== undefined) {
    r.sp()
    return { _tag: textTag, value: r.astring() }
  }
  if (!argumentKeys.has(word)) return r.fail(`unknown search key ${word}`, at)
  r.sp()
  switch (word) {
    case "KEYWORD":
      return SearchKey.keyword(r.atom())
    case "UNKEYWORD":
      return SearchKey.unkeyword(r.atom())
    case "HEADER": {
      const name = r.astring()
      r.sp()
      return SearchKey.header(name, r.astring())
    }
    case "LARGER":
      return SearchKey.larger(r.number())
    case "SMALLER":
      return SearchKey.smaller(r.number())
    case "OLDER":
      return SearchKey.older(r.number(1))
    case "YOUNGER":
      return SearchKey.younger(r.number(1))
    case "UID":
      return SearchKey.uid(r.set("uid"))
    case "OR": {
      const left = searchKey(r, depth + 1)
      r.sp()
      return SearchKey.or(left, searchKey(r, depth + 1))
    }
    case "NOT":
      return SearchKey.not(searchKey(r, depth + 1))
    case "MODSEQ": {
      if (isDigit(r.peek() ?? -1)) return SearchKey.modSeq(r.bigint())
      const name = r.string()
      r.sp()
      const typeAt = r.pos
      const type = r.atom().toLowerCase()
      if (type !== "priv" && type !== "shared" && type !== "all") return r.fail("expected priv, shared or all", typeAt)
      r.sp()
      return SearchKey.modSeq(r.bigint(), { name, type })
    }
    case "EMAILID":
      return SearchKey.emailId(r.atom())
    case "THREADID":
      return SearchKey.threadId(r.atom())
    default:
      return SearchKey.gmailRaw(r.astring())
  }
}

const search = (r: Reader, uid: boolean): Command.Search | Command.UidSearch => {
  const options: { charset?: string; returnOptions?: Array<SearchKey.ReturnOption> } = {}
  r.sp()
  if (r.tryWord("RETURN ")) {
    options.returnOptions = r.list(() => {
      const at = r.pos
      const o = r.atom().toUpperCase() as SearchKey.ReturnOption
      return SearchKey.returnOptions.includes(o) ? o : r.fail("unknown return option", at)
    })
    r.sp()
  }
  if (r.tryWord("CHARSET ")) {
    options.charset = r.astring()
    r.sp()
  }
  const keys: Array<SearchKey.SearchKey> = [searchKey(r, 0)]
  while (r.peek() === 0x20) {
    r.pos++
    keys.push(searchKey(r, 0))
  }
  const criteria: SearchKey.SearchKey = keys.length === 1 ? keys[0]! : { _tag: "And", keys: r.nonEmpty(keys, "search") }
  return uid ? Command.uidSearch(criteria, options) : Command.search(criteria, options)
}

// ---------------------------------------------------------------------------------------------
// Fetch

const partNumbers = (r: Reader): Array<number> => {
  const part: Array<number> = []
  while (isDigit(r.peek() ?? -1)) {
    part.push(r.number(1, SequenceSet.MAX))
    if (r.peek() !== 0x2e) break
    r.pos++
  }
  return part
}

const partial = (r: Reader): Command.PartialRange | undefined => {
  if (r.peek() !== 0x3c) return undefined
  r.pos++
  const offset = r.number(0, SequenceSet.MAX)
  r.byte(0x2e, ".")
  const length = r.number(1, SequenceSet.MAX)
  r.byte(0x3e, ">")
  return { offset, length }
}

const section = (r: Reader): Command.Section => {
  r.byte(0x5b, "[")
  const part = partNumbers(r)
  let text: Command.SectionText | undefined
  if (r.peek() !== 0x5d) {
    const at = r.pos
    const name = r.run((c) => isAlpha(c) || c === 0x2e, "a section")
    let fields: ReadonlyArray<string> | undefined
    if (Command.sectionTakesFields(name)) {
      r.sp()
      fields = r.nonEmpty(
        r.list(() => r.astring()),
        "header list"
      )
    }
    text = Command.sectionText(name, part.length > 0, fields)
    if (text === undefined) r.fail(`unknown section ${name.toUpperCase()}`, at)
  }
  r.byte(0x5d, "]")
  return text === undefined ? { part } : { part, text }
}

const fetchAttribute = (r: Reader): Command.FetchAttribute => {
  const at = r.pos
  const word = r.run((c) => Flag.isAtomChar(c) && c !== 0x5b && c !== 0x3c, "a fetch attribute").toUpperCase()
  const withPartial = <A extends object>(a: A): A => {
    const p = partial(r)
    return p === undefined ? a : { ...a, partial: p }
  }
  if ((word === "BODY" && r.peek() === 0x5b) || word === "BODY.PEEK") {
    return withPartial({ _tag: "BodySection", peek: word === "BODY.PEEK", section: section(r) })
  }
  if (word === "BINARY" || word === "BINARY.PEEK" || word === "BINARY.SIZE") {
    r.byte(0x5b, "[")
    const part = partNumbers(r)
    r.byte(0x5d, "]")
    if (word === "BINARY.SIZE") return { _tag: "BinarySize", part }
    return withPartial({ _tag: "Binary", peek: word === "BINARY.PEEK", part })
  }
  if (word === "PREVIEW") return Command.Attr.preview(r.tryWord(" (LAZY)"))
  return attributeByWord.get(word) ?? r.fail(`unknown fetch attribute ${word}`, at)
}

const fetch = (r: Reader, uid: boolean): Command.Fetch | Command.UidFetch => {
  r.sp()
  const set = r.set(uid ? "uid" : "seq")
  r.sp()
  let items: Command.FetchItems
  if (r.peek() === 0x28)
    items = r.nonEmpty(
      r.list(() => fetchAttribute(r)),
      "fetch attributes"
    )
  else if (r.tryWord("ALL")) items = "ALL"
  else if (r.tryWord("FAST")) items = "FAST"
  else if (r.tryWord("FULL")) items = "FULL"
  else items = [fetchAttribute(r)]
  let changedSince: bigint | undefined
  let vanished = false
  if (r.peek() === 0x20) {
    r.sp()
    r.list(() => {
      if (r.tryWord("CHANGEDSINCE ")) changedSince = r.bigint()
      else if (uid && r.tryWord("VANISHED")) vanished = true
      else r.fail("unknown fetch modifier")
    })
  }
  return uid
    ? Command.uidFetch(set as SequenceSet.SetOrSaved<"uid">, items, { changedSince, vanished })
    : Command.fetch(set as SequenceSet.SetOrSaved<"seq">, items, { changedSince })
}

// ---------------------------------------------------------------------------------------------
// Other commands

const store = (r: Reader, uid: boolean): Command.Store | Command.UidStore => {
  r.sp()
  const set = r.set(uid ? "uid" : "seq")
  r.sp()
  let unchangedSince: bigint | undefined
  if (r.tryWord("(UNCHANGEDSINCE ")) {
    unchangedSince = r.bigint()
    r.byte(0x29, ")")
    r.sp()
  }
  const mode: Command.StoreMode = r.tryWord("+") ? "add" : r.tryWord("-") ? "remove" : "replace"
  r.word("FLAGS")
  const silent = r.tryWord(".SILENT")
  r.sp()
  const flags: Array<string> = []
  if (r.peek() === 0x28) flags.push(...r.list(() => r.flag()))
  else {
    flags.push(r.flag())
    while (r.peek() === 0x20) {
      r.pos++
      flags.push(r.flag())
    }
  }
  const options = { silent, ...(unchangedSince === undefined ? {} : { unchangedSince }) }
  return uid
    ? Command.uidStore(set as SequenceSet.SetOrSaved<"uid">, mode, flags, options)
    : Command.store(set as SequenceSet.SetOrSaved<"seq">, mode, flags, options)
}

const selectParams = (r: Reader): Command.SelectOptions => {
  if (r.peek() !== 0x20) return {}
  r.sp()
  let condstore = false
  let qresync: Command.QResync | undefined
  r.list(() => {
    if (r.tryWord("CONDSTORE")) condstore = true
    else if (r.tryWord("QRESYNC (")) {
      const uidValidity = r.number(1, SequenceSet.MAX)
      r.sp()
      const modSeq = r.bigint()
      let knownUids: SequenceSet.SetOrSaved<"uid"> | undefined
      let sequenceMatch: Command.QResync["sequenceMatch"]
      if (r.peek() === 0x20 && r.peek(1) !== 0x28) {
        r.sp()
        knownUids = r.set("uid")
      }
      if (r.peek() === 0x20) {
        r.sp()
        r.byte(0x28, "(")
        const sequences = r.set("seq")
        r.sp()
        sequenceMatch = { sequences, uids: r.set("uid") }
        r.byte(0x29, ")")
      }
      r.byte(0x29, ")")
      qresync = { uidValidity, modSeq, knownUids, sequenceMatch }
    } else r.fail("unknown select parameter")
  })
  return { condstore, qresync }
}

/** `"01-Feb-1994 21:52:25 +0100"` (date-day-fixed may be ` 1`). */
const dateTime = (r: Reader): Date => {
  const at = r.pos
  const m =
    /^( ?[0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})$/.exec(
      r.quoted()
    )
  const date = m === null ? undefined : SearchKey.parseDate(`${m[1]!.trim()}-${m[2]}-${m[3]}`)
  if (m === null || date === undefined) return r.fail("invalid date-time", at)
  const [h, min, s, zh, zm] = [m[4], m[5], m[6], m[8], m[9]].map(Number) as [number, number, number, number, number]
  if (h > 23 || min > 59 || s > 60) return r.fail("invalid time", at)
  const zone = (m[7] === "-" ? -1 : 1) * (zh * 60 + zm)
  return new Date(date.getTime() + ((h * 60 + min - zone) * 60 + s) * 1000)
}

const append = (r: Reader): Command.Append => {
  r.sp()
  const mailbox = r.mailbox()
  r.sp()
  let flags: Array<string> | undefined
  let internalDate: Date | undefined
  if (r.peek() === 0x28) {
    flags = r.list(() => r.flag())
    r.sp()
  }
  if (r.peek() === 0x22) {
    internalDate = dateTime(r)
    r.sp()
  }
  return Command.append(mailbox, r.literal(true).bytes, { flags, internalDate })
}

const list = (r: Reader): Command.List => {
  r.sp()
  let selection: Array<Command.ListSelectOption> | undefined
  if (r.peek() === 0x28) {
    selection = r.list(() => {
      const at = r.pos
      const o = r.atom().toUpperCase() as Command.ListSelectOption
      return Command.listSelectOptions.includes(o) ? o : r.fail("unknown LIST selection option", at)
    })
    r.sp()
  }
  const reference = r.mailbox()
  r.sp()
  const patterns =
    r.peek() === 0x28
      ? r.nonEmpty(
          r.list(() => r.pattern()),
          "patterns"
        )
      : ([r.pattern()] as const)
  let returnOptions: Command.ListOptions["returnOptions"]
  if (r.tryWord(" RETURN ")) {
    const ret: { subscribed?: boolean; children?: boolean; specialUse?: boolean; status?: Array<Command.StatusItem> } =
      {}
    r.list(() => {
      if (r.tryWord("SUBSCRIBED")) ret.subscribed = true
      else if (r.tryWord("CHILDREN")) ret.children = true
      else if (r.tryWord("SPECIAL-USE")) ret.specialUse = true
      else if (r.tryWord("STATUS ")) ret.status = r.list(() => statusItem(r))
      else r.fail("unknown LIST return option")
    })
    returnOptions = ret
  }
  return Command.list(reference, patterns, { selection, returnOptions })
}

const statusItem = (r: Reader): Command.StatusItem => {
  const at = r.pos
  const item = r.atom().toUpperCase() as Command.StatusItem
  return Command.statusItems.includes(item) ? item : r.fail("unknown status item", at)
}

const copyOrMove = (r: Reader, tag: "Copy" | "Move" | "UidCopy" | "UidMove"): Command.Command => {
  r.sp()
  const uid = tag.startsWith("Uid")
  const set = r.set(uid ? "uid" : "seq")
  r.sp()
  const mailbox = r.mailbox()
  return { _tag: tag, set, mailbox } as Command.Command
}

const uidCommand = (r: Reader): Command.Command => {
  r.sp()
  const at = r.pos
  const word = r.atom().toUpperCase()
  switch (word) {
    case "FETCH":
      return fetch(r, true)
    case "SEARCH":
      return search(r, true)
    case "STORE":
      return store(r, true)
    case "COPY":
      return copyOrMove(r, "UidCopy")
    case "MOVE":
      return copyOrMove(r, "UidMove")
    case "EXPUNGE":
      r.sp()
      return Command.uidExpunge(r.set("uid"))
    default:
      return r.fail(`unknown UID command ${word}`, at)
  }
}

const simple: Readonly<Record<string, Command.Command>> = {
  CAPABILITY: Command.capability,
  NOOP: Command.noop,
  LOGOUT: Command.logout,
  STARTTLS: Command.startTls,
  NAMESPACE: Command.namespace,
  IDLE: Command.idle,
  CLOSE: Command.close,
  UNSELECT: Command.unselect,
  EXPUNGE: Command.expunge
}

const command = (r: Reader): Command.Command => {
  const at = r.pos
  const word = r.atom().toUpperCase()
  const plain = simple[word]
  if (plain !== undefined) return plain
  switch (word) {
    case "UID":
      return uidCommand(r)
    case "AUTHENTICATE": {
      r.sp()
      const mechanism = r.atom()
      if (r.peek() !== 0x20) return Command.authenticate(mechanism)
      r.sp()
      const ir = r.run((c) => c > 0x20 && c < 0x7f, "an initial response")
      return Command.authenticate(mechanism, Redacted.make(ir === "=" ? "" : ir))
    }
    case "LOGIN": {
      r.sp()
      const user = r.astring()
      r.sp()
      return Command.login(user, Redacted.make(r.astring()))
    }
    case "ENABLE": {
      const caps: Array<string> = []
      while (r.peek() === 0x20) {
        r.pos++
        caps.push(r.atom())
      }
      return Command.enable(...r.nonEmpty(caps, "ENABLE"))
    }
    case "ID": {
      r.sp()
      if (r.tryWord("NIL")) return Command.id()
      const params = new Map<string, string | undefined>()
      r.list(() => {
        const k = r.string()
        r.sp()
        params.set(k, r.nstring())
      })
      return Command.id(params)
    }
    case "COMPRESS":
      r.sp()
      r.word("DEFLATE")
      return Command.compress
    case "SELECT":
    case "EXAMINE": {
      r.sp()
      const mailbox = r.mailbox()
      const params = selectParams(r)
      return word === "SELECT" ? Command.select(mailbox, params) : Command.examine(mailbox, params)
    }
    case "CREATE": {
      r.sp()
      const mailbox = r.mailbox()
      if (!r.tryWord(" (USE ")) return Command.create(mailbox)
      const specialUse = r.list(() => r.flag())
      r.byte(0x29, ")")
      return Command.create(mailbox, { specialUse })
    }
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE": {
      r.sp()
      const mailbox = r.mailbox()
      return word === "DELETE"
        ? Command.delete_(mailbox)
        : word === "SUBSCRIBE"
          ? Command.subscribe(mailbox)
          : Command.unsubscribe(mailbox)
    }
    case "RENAME": {
      r.sp()
      const from = r.mailbox()
      r.sp()
      return Command.rename(from, r.mailbox())
    }
    case "LIST":
      return list(r)
    case "LSUB": {
      r.sp()
      const reference = r.mailbox()
      r.sp()
      return Command.lsub(reference, r.pattern())
    }
    case "STATUS": {
      r.sp()
      const mailbox = r.mailbox()
      r.sp()
      return Command.status(
        mailbox,
        r.nonEmpty(
          r.list(() => statusItem(r)),
          "status items"
        )
      )
    }
    case "APPEND":
      return append(r)
    case "GETQUOTA":
      r.sp()
      return Command.getQuota(r.astring())
    case "GETQUOTAROOT":
      r.sp()
      return Command.getQuotaRoot(r.mailbox())
    case "SEARCH":
      return search(r, false)
    case "FETCH":
      return fetch(r, false)
    case "STORE":
      return store(r, false)
    case "COPY":
      return copyOrMove(r, "Copy")
    case "MOVE":
      return copyOrMove(r, "Move")
    default:
      return r.fail(`unknown command ${word}`, at)
  }
}

/** Parses exactly one command, `tag SP command CRLF`, literals inline. Throws `ParseError`. */
export const parse = (bytes: Uint8Array, options: ParseOptions = {}): ParsedCommand => {
  const r = new Reader(bytes, options)
  const tag = r.run((c) => isAstringChar(c) && c !== 0x2b, "a tag")
  r.sp()
  const parsed = command(r)
  r.byte(0x0d, "CR at the end of the command")
  r.byte(0x0a, "LF at the end of the command")
  if (r.pos !== bytes.length) r.fail("bytes after the end of the command")
  return { tag, command: parsed }
}

// ---------------------------------------------------------------------------------------------
// Framing for a scripted server

/** What `frame` found at the start of the bytes: a whole command, or one that waits for a literal. */
export type Frame =
  /** `bytes[0, length)` is one whole command. */
  | { readonly _tag: "Complete"; readonly length: number }
  /**
   * A synchronising literal whose marker line ends at `offset` is waiting for `+`. Answer once per
   * distinct `offset`, then call `frame` again when more bytes arrive.
   */
  | { readonly _tag: "NeedsContinuation"; readonly offset: number }
  /** More bytes are needed (a non-synchronising literal or the line is still arriving). */
  | { readonly _tag: "Incomplete" }

/** Finds the end of the first command in `bytes` by skipping the literals its lines announce. */
export const frame = (bytes: Uint8Array): Frame => {
  let pos = 0
  for (;;) {
    let lf = bytes.indexOf(0x0a, pos)
    if (lf < 0) return { _tag: "Incomplete" }
    const line = String.fromCharCode(...bytes.subarray(Math.max(pos, lf - 24), lf))
    const m = /~?\{([0-9]{1,19})(\+?)\}\r$/.exec(line)
    if (m === null) return { _tag: "Complete", length: lf + 1 }
    lf += 1
    const n = Number(m[1])
    if (lf + n > bytes.length) return m[2] === "+" ? { _tag: "Incomplete" } : { _tag: "NeedsContinuation", offset: lf }
    pos = lf + n
  }
}
