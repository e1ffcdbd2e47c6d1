/**
 * Mailbox names on the wire: modified UTF-7 (RFC 3501 5.1.3), the UTF-8 form used once UTF8=ACCEPT
 * is enabled or under IMAP4rev2 (RFC 6855, RFC 9051 5.1), and the case-insensitive name INBOX.
 *
 * Choice: `decode` is lenient. A name that is not valid modified UTF-7 (a stray `&`, bad base64,
 * non-zero padding bits, a lone surrogate) is returned with that run left exactly as received,
 * because the response parser must never fail a whole LIST/STATUS line over a server's odd name, and
 * the raw form stays usable as an opaque handle. `isValid` tells whether the strict grammar holds.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"
const VALUE: ReadonlyMap<string, number> = new Map([...ALPHABET].map((c, i) => [c, i]))

/** Printable US-ASCII (0x20-0x7e) represents itself, except `&` (RFC 3501 5.1.3). */
const isDirect = (code: number): boolean => code >= 0x20 && code <= 0x7e

const base64Utf16 = (units: ReadonlyArray<number>): string => {
  let out = ""
  let bits = 0
  let nbits = 0
  for (const unit of units) {
    bits = (bits << 16) | unit
    nbits += 16
    while (nbits >= 6) {
      nbits -= 6
      out += ALPHABET[(bits >> nbits) & 0x3f]
    }
    // Keep only the bits not yet emitted so `bits` never overflows.
    bits &= (1 << nbits) - 1
  }
  // Pad the tail with zero bits; modified UTF-7 never uses `=` padding.
  if (nbits > 0) out += ALPHABET[(bits << (6 - nbits)) & 0x3f]
  return out
}

/** Encodes a Unicode mailbox name as modified UTF-7. */
export const encode = (name: string): string => {
  let out = ""
  let pending: Array<number> = []
  const flush = () => {
    if (pending.length > 0) {
      out += `&${base64Utf16(pending)}-`
      pending = []
    }
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    if (isDirect(code)) {
      flush()
      out += code === 0x26 ? "&-" : name[i]
    } else {
      // UTF-16 code units as JavaScript stores them: surrogate pairs stay pairs.
      pending.push(code)
    }
  }
  flush()
  return out
}

/** Decodes one `&...-` shift body into UTF-16 units, or undefined if it violates RFC 3501 5.1.3. */
const decodeShift = (body: string): string | undefined => {
  const units: Array<number> = []
  let bits = 0
  let nbits = 0
  for (const c of body) {
    const v = VALUE.get(c)
    if (v === undefined) return undefined
    bits = ((bits << 6) | v) & 0xffffff
    nbits += 6
    if (nbits >= 16) {
      nbits -= 16
      units.push((bits >> nbits) & 0xffff)
    }
  }
  // Leftover bits must be fewer than 6 and all zero: otherwise the sender truncated a unit.
  if (nbits >= 6 || (bits & ((1 << nbits) - 1)) !== 0) return undefined
  if (units.length === 0) return undefined
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1]
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return undefined
      i++
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return undefined
    }
  }
  // In slices: spreading a few hundred thousand arguments overflows the stack.
  let out = ""
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.slice(i, i + 8192))
  return out
}

interface Run {
  readonly text: string
  readonly valid: boolean
}

const scan = (wire: string): Array<Run> => {
  const runs: Array<Run> = []
  let i = 0
  while (i < wire.length) {
    const amp = wire.indexOf("&", i)
    if (amp < 0) {
      runs.push({ text: wire.slice(i), valid: true })
      break
    }
    if (amp > i) runs.push({ text: wire.slice(i, amp), valid: true })
    const dash = wire.indexOf("-", amp + 1)
    if (dash < 0) {
      runs.push({ text: wire.slice(amp), valid: false })
      break
    }
    if (dash === amp + 1) {
      runs.push({ text: "&", valid: true })
    } else {
      const decoded = decodeShift(wire.slice(amp + 1, dash))
      runs.push(
        decoded === undefined ? { text: wire.slice(amp, dash + 1), valid: false } : { text: decoded, valid: true }
      )
    }
    i = dash + 1
  }
  return runs
}

/**
 * Decodes a modified UTF-7 name. Lenient: invalid `&...` runs are kept verbatim, and characters that
 * are not printable ASCII (e.g. raw UTF-8 from a server that ignores the rules) pass through.
 */
export const decode = (wire: string): string => {
  let out = ""
  for (const run of scan(wire)) out += run.text
  return out
}

/**
 * True if `wire` is strictly valid modified UTF-7: only printable ASCII, every `&` opens a well-formed
 * shift, and no shift encodes printable ASCII that should have been sent directly.
 */
export const isValid = (wire: string): boolean => {
  for (let i = 0; i < wire.length; i++) if (!isDirect(wire.charCodeAt(i))) return false
  for (const run of scan(wire)) {
    if (!run.valid) return false
  }
  // Canonical form: re-encoding must give back the same bytes (catches `&AGEAYgBj-` for "abc",
  // and shifts split needlessly in two).
  return encode(decode(wire)) === wire
}

/** Options for the wire form: with UTF8=ACCEPT enabled (or IMAP4rev2) names travel as UTF-8. */
export interface WireOptions {
  readonly utf8Accept?: boolean | undefined
}

/** The wire form of a name: UTF-8 unchanged when UTF8=ACCEPT is in force, else modified UTF-7. */
export const toWire = (name: string, options?: WireOptions): string => (options?.utf8Accept ? name : encode(name))

/**
 * The Unicode form of a name received from the server. Under UTF8=ACCEPT names arrive as UTF-8 and
 * must not be decoded (a literal `&` in a UTF-8 name is just `&`).
 */
export const fromWire = (wire: string, options?: WireOptions): string => (options?.utf8Accept ? wire : decode(wire))

/** True for the special name INBOX in any case (RFC 3501 5.1). */
export const isInbox = (name: string): boolean => name.length === 5 && name.toUpperCase() === "INBOX"

/**
 * Canonical spelling: INBOX in any case becomes `INBOX`, and so does the INBOX part of a child name
 * such as `inbox/Sent` when the hierarchy delimiter is given (Dovecot and Cyrus treat that prefix
 * case-insensitively too). Every other name is case-sensitive and returned unchanged.
 */
export const normalize = (name: string, delimiter?: string): string => {
  if (isInbox(name)) return "INBOX"
  if (delimiter !== undefined && delimiter.length > 0 && name.length > 5 && isInbox(name.slice(0, 5))) {
    if (name.startsWith(delimiter, 5)) return `INBOX${name.slice(5)}`
  }
  return name
}

/** Equality of two mailbox names under the INBOX rule. */
export const equals = (a: string, b: string, delimiter?: string): boolean =>
  normalize(a, delimiter) === normalize(b, delimiter)
