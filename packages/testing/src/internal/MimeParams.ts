/**
 * Structured MIME header values as a server reports them in BODYSTRUCTURE: Content-Type
 * (`type/subtype; params`), Content-Disposition (`token; params`) and Content-Language (`a, b`),
 * read with RFC 2045 5.1 tokens and RFC 822 quoted strings and comments, and damaged ones read the
 * way Dovecot 2.3 reads them (held to it by `test/MessageGenerated.test.ts`):
 * - parameter names keep their case, quoted values are unquoted, a value that starts with `=`
 *   runs to `;` or white space (`boundary==_b3`), and reading stops at the first parameter that is
 *   not `name=value` (`name="a" junk; b=2` keeps `name` only);
 * - RFC 2231 continuations are joined (`title*0`, `title*1` become `title`) and an extended value
 *   (`name*`, `name*0*`) stays `name*` with its `charset'lang'%xx` text, which the client decodes;
 *   the joined parameters come after the plain ones;
 * - a Content-Type that is no `token/token` followed by parameters is `""/""` without parameters;
 * - a language list stops at the first word that is no atom after a comma.
 * libmime's `parseHeaderValue` decodes extended values and lower-cases names: right for reading a
 * message, wrong for answering as a server does, so this is written out (libmime still decodes the
 * encoded words SEARCH compares, in `Message.ts`).
 *
 * @module
 */

/** RFC 2045 5.1 tspecials. */
const TSPECIALS = '()<>@,;:\\"/[]?='
/** RFC 822 3.3 specials (for atoms). */
const SPECIALS = '()<>@,;:\\".[]'

const isTokenChar = (c: string): boolean => c > " " && c < "\x7f" && !TSPECIALS.includes(c)
const isAtomChar = (c: string): boolean => c > " " && c !== "\x7f" && !SPECIALS.includes(c)

/** A position in a header value, with the RFC 822 readers the values need. */
class Cursor {
  i = 0
  readonly s: string
  constructor(s: string) {
    this.s = s
  }
  get done(): boolean {
    return this.i >= this.s.length
  }
  peek(): string | undefined {
    return this.s[this.i]
  }
  /** Skips white space, folds and (nested) comments. */
  skipLwsp(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.i++
      else if (c === "(") this.skipComment()
      else return
    }
  }
  private skipComment(): void {
    let depth = 0
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i]
      if (c === "\\") this.i++
      else if (c === "(") depth++
      else if (c === ")" && --depth === 0) {
        this.i++
        return
      }
    }
  }
  private run(accept: (c: string) => boolean): string | undefined {
    const start = this.i
    while (this.i < this.s.length && accept(this.s[this.i] as string)) this.i++
    return this.i > start ? this.s.slice(start, this.i) : undefined
  }
  token(): string | undefined {
    return this.run(isTokenChar)
  }
  untilSpaceOrSemicolon(): string | undefined {
    return this.run((c) => c !== ";" && c !== " " && c !== "\t" && c !== "\r" && c !== "\n")
  }
  atom(): string | undefined {
    return this.run(isAtomChar)
  }
  /** A quoted string, escapes removed; undefined when unclosed. */
  quoted(): string | undefined {
    if (this.peek() !== '"') return undefined
    let out = ""
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s[j] as string
      if (c === "\\" && j + 1 < this.s.length) out += this.s[++j]
      else if (c === '"') {
        this.i = j + 1
        return out
      } else if (c !== "\r" && c !== "\n") out += c
    }
    return undefined
  }
  expect(c: string): boolean {
    if (this.peek() !== c) return false
    this.i++
    return true
  }
}

export type Params = ReadonlyArray<readonly [string, string]>

/** `; name=value` pairs from the cursor on, RFC 2231 joined; stops at the first damaged one. */
const readParams = (cur: Cursor): Params => {
  const raw: Array<readonly [string, string]> = []
  for (;;) {
    cur.skipLwsp()
    if (!cur.expect(";")) break
    cur.skipLwsp()
    const name = cur.token()
    if (name === undefined) break
    cur.skipLwsp()
    if (!cur.expect("=")) break
    cur.skipLwsp()
    // `name==value`: Dovecot takes a value that starts with `=` (an encoded word, a boundary
    // like `=_b3`) up to the next `;` or white space, though `=` is no token character.
    const value = cur.peek() === '"' ? cur.quoted() : cur.peek() === "=" ? cur.untilSpaceOrSemicolon() : cur.token()
    if (value === undefined) break
    raw.push([name, value])
  }
  return joinContinuations(raw)
}

/** RFC 2231 3 and 4: `n*0`, `n*1*`, ... joined in order; `n*` kept as Dovecot keeps it. */
const joinContinuations = (raw: Params): Params => {
  const plain: Array<readonly [string, string]> = []
  const continued = new Map<string, Array<{ index: number; extended: boolean; value: string }>>()
  for (const [name, value] of raw) {
    const m = /^(.+?)\*(\d+)(\*?)$/.exec(name)
    if (m === null) {
      plain.push([name, value])
      continue
    }
    const base = m[1] as string
    const list = continued.get(base) ?? []
    list.push({ index: Number(m[2]), extended: m[3] === "*", value })
    continued.set(base, list)
  }
  for (const [base, list] of continued) {
    list.sort((x, y) => x.index - y.index)
    plain.push([list.some((x) => x.extended) ? `${base}*` : base, list.map((x) => x.value).join("")])
  }
  return plain
}

/** A Content-Type value: `type/subtype` (as written) and parameters; `""/""` when damaged. */
export const contentType = (
  value: string
): { readonly type: string; readonly subtype: string; readonly params: Params } => {
  const cur = new Cursor(value)
  cur.skipLwsp()
  const type = cur.token()
  cur.skipLwsp()
  const slash = cur.expect("/")
  cur.skipLwsp()
  const subtype = cur.token()
  const save = cur.i
  cur.skipLwsp()
  if (type === undefined || !slash || subtype === undefined || !(cur.done || cur.peek() === ";"))
    return { type: "", subtype: "", params: [] }
  cur.i = save
  return { type, subtype, params: readParams(cur) }
}

/** A Content-Disposition value: its token and parameters; undefined without a token. */
export const disposition = (value: string): { readonly type: string; readonly params: Params } | undefined => {
  const cur = new Cursor(value)
  cur.skipLwsp()
  const type = cur.token()
  return type === undefined ? undefined : { type, params: readParams(cur) }
}

/** A Content-Language value: its atoms up to the first that is not after a comma. */
export const languages = (value: string): ReadonlyArray<string> => {
  const cur = new Cursor(value)
  const out: Array<string> = []
  cur.skipLwsp()
  for (let atom = cur.atom(); atom !== undefined; atom = cur.atom()) {
    out.push(atom)
    cur.skipLwsp()
    if (!cur.expect(",")) break
    cur.skipLwsp()
  }
  return out
}

/** A Content-Transfer-Encoding value: one token, else undefined (the default then applies). */
export const encoding = (value: string): string | undefined => {
  const cur = new Cursor(value)
  cur.skipLwsp()
  const token = cur.token()
  cur.skipLwsp()
  return token !== undefined && cur.done ? token : undefined
}
