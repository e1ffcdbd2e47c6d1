/**
 * RFC 5322 3.4 address lists (From, To, Cc, ...) as ENVELOPE addresses (RFC 9051 7.5.2), the way
 * Dovecot's message-address parser reads them, obsolete syntax and damage included:
 * - a display name is its words joined by one space, quoted strings unquoted, encoded words kept raw
 *   (the client decodes them);
 * - with no display name, the comment after an addr-spec (`a@b (Ann)`) is the name;
 * - a group `name: a, b;` becomes a start marker (mailbox = name, host NIL), its members and an end
 *   marker (all NIL);
 * - an address without a domain gets the host `MISSING_DOMAIN`, one without a local part
 *   `MISSING_MAILBOX`: Dovecot 2.3's markers (UW-IMAP wrote `.MISSING-HOST-NAME.`).
 * - the list ends at anything after an address that is not a comma (`a@b junk, c@d` is `a@b`).
 * Never fails: what cannot be read becomes as much of an address as it has.
 *
 * @module
 */
import type { Address as AddressModule } from "@pkg/protocol"

type Address = AddressModule.EnvelopeAddress

export const MISSING_HOST = "MISSING_DOMAIN"
export const MISSING_MAILBOX = "MISSING_MAILBOX"

type Token =
  | { readonly kind: "word"; readonly text: string; readonly quoted: boolean; readonly unclosed?: boolean }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "special"; readonly text: string }

const SPECIALS = new Set(["<", ">", ":", ";", "@", ",", "[", "]"])

/** Reads `(...)` with nesting and `\` escapes from `i` (at the `(`); returns its text and the end. */
const readComment = (s: string, i: number): readonly [string, number] => {
  let depth = 0
  let text = ""
  let j = i
  for (; j < s.length; j++) {
    const c = s[j] as string
    if (c === "\\" && j + 1 < s.length) {
      text += s[++j]
      continue
    }
    if (c === "(") {
      if (depth++ > 0) text += c
    } else if (c === ")") {
      if (--depth === 0) return [text, j + 1]
      text += c
    } else text += c
  }
  return [text, j]
}

/** Reads `"..."` from `i` (at the `"`), escapes removed; an unclosed one runs to the end. */
const readQuoted = (s: string, i: number): readonly [string, number, boolean] => {
  let text = ""
  let j = i + 1
  for (; j < s.length; j++) {
    const c = s[j] as string
    if (c === "\\" && j + 1 < s.length) text += s[++j]
    else if (c === '"') return [text, j + 1, true]
    else text += c
  }
  return [text, j, false]
}

export const tokenize = (s: string): ReadonlyArray<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < s.length) {
    const c = s[i] as string
    // The same white space the word scan below stops at (\s includes \v, \f and U+00A0): a
    // narrower test here made a word of nothing and never moved on.
    if (/\s/.test(c)) i++
    else if (c === "(") {
      const [text, next] = readComment(s, i)
      out.push({ kind: "comment", text: text.trim() })
      i = next
    } else if (c === '"') {
      const [text, next, closed] = readQuoted(s, i)
      out.push(closed ? { kind: "word", text, quoted: true } : { kind: "word", text, quoted: true, unclosed: true })
      i = next
    } else if (SPECIALS.has(c)) {
      out.push({ kind: "special", text: c })
      i++
    } else {
      let j = i
      while (j < s.length && !/[\s()"<>:;@,[\]]/.test(s[j] as string)) j++
      out.push({ kind: "word", text: s.slice(i, j), quoted: false })
      i = j
    }
  }
  return out
}

const address = (
  name: string | undefined,
  adl: string | undefined,
  mailbox: string | undefined,
  host: string | undefined
): Address => ({
  name,
  adl,
  mailbox,
  host
})

/** A cursor over the tokens of one header value. */
class Reader {
  i = 0
  readonly tokens: ReadonlyArray<Token>
  constructor(tokens: ReadonlyArray<Token>) {
    this.tokens = tokens
  }
  peek(): Token | undefined {
    return this.tokens[this.i]
  }
  get atEnd(): boolean {
    return this.i >= this.tokens.length
  }
  skipComments(): void {
    while (this.peek()?.kind === "comment") this.i++
  }
  isSpecial(text: string): boolean {
    const t = this.peek()
    return t !== undefined && t.kind === "special" && t.text === text
  }
}

/** Words up to a special; comments collected apart. */
const phrase = (r: Reader): { words: Array<Token & { kind: "word" }>; comments: Array<string> } => {
  const words: Array<Token & { kind: "word" }> = []
  const comments: Array<string> = []
  for (let t = r.peek(); t !== undefined && t.kind !== "special"; t = r.peek()) {
    if (t.kind === "word") words.push(t)
    else comments.push(t.text)
    r.i++
  }
  return { words, comments }
}

/** `local@domain` text up to one of `stops`; domain literals keep their brackets. */
const addrSpec = (
  r: Reader,
  stops: ReadonlySet<string>
): { local: string; domain: string | undefined; comment: string | undefined } => {
  let local = ""
  let domain: string | undefined
  let comment: string | undefined
  for (let t = r.peek(); t !== undefined; t = r.peek()) {
    if (t.kind === "special" && stops.has(t.text)) break
    // A second word where the local part or the domain is complete is not part of this address
    // (`a@b c@d`): it ends here, and the list with it (see `parse`).
    const literal = domain?.startsWith("[") === true && !domain.endsWith("]")
    if (t.kind === "word" && !literal && (domain === undefined ? local !== "" : domain !== "")) break
    r.i++
    // Only a comment after the address names it (`a@b (Ann)`); one before it does not (Dovecot).
    if (t.kind === "comment") comment = local === "" && domain === undefined ? comment : (comment ?? t.text)
    else if (t.kind === "special" && t.text === "@" && domain === undefined) domain = ""
    else if (domain === undefined) local += t.kind === "word" && t.quoted ? `"${t.text}"` : t.text
    else domain += t.text
  }
  return { local, domain, comment }
}

const finish = (
  name: string | undefined,
  adl: string | undefined,
  local: string,
  domain: string | undefined
): Address =>
  address(
    name,
    adl,
    local === "" ? MISSING_MAILBOX : local,
    domain === undefined || domain === "" ? MISSING_HOST : domain
  )

const joinWords = (words: ReadonlyArray<{ readonly text: string }>): string | undefined =>
  words.length === 0 ? undefined : words.map((w) => w.text).join(" ")

/** One mailbox (name-addr or addr-spec), or nothing when only separators are left. */
const mailbox = (r: Reader, stops: ReadonlySet<string>): Address | undefined => {
  const start = r.i
  const { words, comments } = phrase(r)
  if (r.isSpecial("<")) {
    r.i++
    let adl: string | undefined
    if (r.isSpecial("@")) {
      // obs-route: @a,@b:local@domain
      let route = ""
      for (
        let t = r.peek();
        t !== undefined && !(t.kind === "special" && (t.text === ":" || t.text === ">"));
        t = r.peek()
      ) {
        route += t.text
        r.i++
      }
      if (r.isSpecial(":")) r.i++
      adl = route
    }
    const spec = addrSpec(r, new Set([">", ...stops]))
    if (r.isSpecial(">")) r.i++
    phrase(r) // a comment after the angle address is not the name
    const name = joinWords(words) ?? comments[0]
    return finish(name, adl, spec.local, spec.domain)
  }
  // An unclosed quoted string leaves nothing Dovecot can read: an address of missing parts.
  if (words.some((w) => w.unclosed === true)) return finish(undefined, undefined, "", undefined)
  // Several words or a quoted string and no address (`root continued`, `"Ann"`): a name whose
  // address is missing, as Dovecot reads it; one atom (`root`) is a local part without a domain.
  if ((words.length > 1 || words.some((w) => w.quoted)) && !r.isSpecial("@"))
    return finish(joinWords(words), undefined, "", undefined)
  r.i = start
  const spec = addrSpec(r, stops)
  if (spec.local === "" && spec.domain === undefined) return undefined
  return finish(spec.comment, undefined, spec.local, spec.domain)
}

/** An address-list header value as ENVELOPE addresses; empty when it holds none. */
export const parse = (value: string): ReadonlyArray<Address> => {
  const r = new Reader(tokenize(value))
  const out: Array<Address> = []
  const top = new Set([","])
  while (r.i < r.tokens.length) {
    if (r.isSpecial(",") || r.isSpecial(";") || r.isSpecial(">")) {
      r.i++
      continue
    }
    const start = r.i
    const { words } = phrase(r)
    if (r.isSpecial(":")) {
      r.i++
      out.push(address(undefined, undefined, joinWords(words) ?? "", undefined))
      const inGroup = new Set([",", ";"])
      while (r.i < r.tokens.length && !r.isSpecial(";")) {
        if (r.isSpecial(",")) {
          r.i++
          continue
        }
        const before = r.i
        const member = mailbox(r, inGroup)
        if (member !== undefined) out.push(member)
        if (r.i === before) r.i++
        else if (!r.atEnd && !r.isSpecial(",") && !r.isSpecial(";")) break
      }
      if (r.isSpecial(";")) r.i++
      out.push(address(undefined, undefined, undefined, undefined))
    } else {
      r.i = start
      const one = mailbox(r, top)
      if (one !== undefined) out.push(one)
      if (r.i === start) r.i++
    }
    // Dovecot stops at what follows an address without a comma (`a@b, T: c@d; junk`).
    r.skipComments()
    if (!r.atEnd && !r.isSpecial(",")) break
  }
  return out
}
