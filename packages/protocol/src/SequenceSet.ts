/**
 * Message numbers and UIDs (RFC 3501 9 / RFC 9051 9: sequence-set). A `Uid` is branded so that a
 * sequence number can never be passed where a UID is meant, and a set carries its kind ("seq" or
 * "uid") in its type for the same reason: `UID FETCH` takes a `SequenceSet<"uid">`, `FETCH` a
 * `SequenceSet<"seq">`.
 *
 * A set keeps its ranges exactly as built or parsed (`3:1` stays `3:1`), so that encode and parse are
 * inverse; `fromNumbers` and `compact` produce the canonical sorted, merged form. `$` (RFC 5182
 * SEARCHRES) is not a set of numbers and lives in its own `Saved` type.
 */
import type * as Brand from "effect/Brand"
import type { NonEmptyReadonlyArray } from "effect/Array"
import { excerptAt, ParseError } from "./ParseError.ts"

export type Uid = number & Brand.Brand<"Uid">
export const Uid = (n: number): Uid => n as Uid

/** The largest nz-number / UID (RFC 9051 9: nz-number is a 32-bit unsigned, non-zero). */
export const MAX = 4294967295

export type Kind = "seq" | "uid"

/** The number type of a kind: UID sets are built from branded `Uid`s. */
export type NumberOf<K extends Kind> = K extends "uid" ? Uid : number

/** A range end: a number, or `*` (the largest number in use in the mailbox). */
export type Bound<K extends Kind> = NumberOf<K> | "*"

/** `start:end`; a single number or `*` has `start === end`. Ranges may be written high to low. */
export interface Range<K extends Kind> {
  readonly start: Bound<K>
  readonly end: Bound<K>
}

export interface SequenceSet<K extends Kind> {
  readonly _tag: "SequenceSet"
  readonly kind: K
  readonly ranges: NonEmptyReadonlyArray<Range<K>>
}

/** `$`: the result saved by `SEARCH RETURN (SAVE)` (RFC 5182), usable wherever a set is. */
export interface Saved {
  readonly _tag: "Saved"
}
export const saved: Saved = { _tag: "Saved" }

/** A set or the saved search result, as commands accept. */
export type SetOrSaved<K extends Kind> = SequenceSet<K> | Saved

export const isSaved = <K extends Kind>(set: SetOrSaved<K>): set is Saved => set._tag === "Saved"

/** True for an integer in 1..2^32-1. */
export const isValidNumber = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX

const isValidBound = (b: number | "*"): boolean => b === "*" || isValidNumber(b)

/** True if every number in the set is a valid nz-number; the encoder refuses sets that are not. */
export const isValid = <K extends Kind>(set: SequenceSet<K>): boolean =>
  set.ranges.every((r) => isValidBound(r.start) && isValidBound(r.end))

// ---------------------------------------------------------------------------------------------
// Constructors

export const make = <K extends Kind>(kind: K, ranges: NonEmptyReadonlyArray<Range<K>>): SequenceSet<K> => ({
  _tag: "SequenceSet",
  kind,
  ranges
})

/** `start:end` (either bound may be `*`). */
export const range = <K extends Kind>(kind: K, start: Bound<K>, end: Bound<K>): SequenceSet<K> =>
  make(kind, [{ start, end }])

/** One number. */
export const single = <K extends Kind>(kind: K, n: NumberOf<K>): SequenceSet<K> => range(kind, n, n)

/** `n:*`: n and everything after it. */
export const from = <K extends Kind>(kind: K, n: NumberOf<K>): SequenceSet<K> => range(kind, n, "*")

/** `1:*`: every message. */
export const all = <K extends Kind>(kind: K): SequenceSet<K> => from(kind, 1 as NumberOf<K>)

/** `*`: the last message (highest sequence number or UID). */
export const last = <K extends Kind>(kind: K): SequenceSet<K> => range(kind, "*", "*")

/** Sorted, de-duplicated and merged into ranges: `[5, 1, 2, 3, 9, 8, 7]` becomes `1:3,5,7:9`. */
export const fromNumbers = <K extends Kind>(kind: K, numbers: NonEmptyReadonlyArray<NumberOf<K>>): SequenceSet<K> => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const ranges: Array<Range<K>> = []
  let start = sorted[0]!
  let end = start
  for (let i = 1; i < sorted.length; i++) {
    const n = sorted[i]!
    if (n === end || n === end + 1) {
      end = n
    } else {
      ranges.push({ start, end })
      start = n
      end = n
    }
  }
  ranges.push({ start, end })
  return make(kind, ranges as unknown as NonEmptyReadonlyArray<Range<K>>)
}

/** The ranges of both sets, in order (no merging; see `compact`). */
export const union = <K extends Kind>(a: SequenceSet<K>, b: SequenceSet<K>): SequenceSet<K> =>
  make(a.kind, [...a.ranges, ...b.ranges] as unknown as NonEmptyReadonlyArray<Range<K>>)

/**
 * Canonical form: numeric ranges sorted low-to-high and merged; ranges that involve `*` are kept as
 * written after them, since where `*` falls is only known to the server.
 */
export const compact = <K extends Kind>(set: SequenceSet<K>): SequenceSet<K> => {
  const numeric: Array<{ lo: number; hi: number }> = []
  const starred: Array<Range<K>> = []
  for (const r of set.ranges) {
    if (r.start === "*" || r.end === "*") starred.push(r)
    else numeric.push({ lo: Math.min(r.start, r.end), hi: Math.max(r.start, r.end) })
  }
  numeric.sort((a, b) => a.lo - b.lo)
  const merged: Array<Range<K>> = []
  let cur: { lo: number; hi: number } | undefined
  for (const r of numeric) {
    if (cur !== undefined && r.lo <= cur.hi + 1) {
      cur.hi = Math.max(cur.hi, r.hi)
    } else {
      if (cur !== undefined) merged.push({ start: cur.lo as NumberOf<K>, end: cur.hi as NumberOf<K> })
      cur = { ...r }
    }
  }
  if (cur !== undefined) merged.push({ start: cur.lo as NumberOf<K>, end: cur.hi as NumberOf<K> })
  return make(set.kind, [...merged, ...starred] as unknown as NonEmptyReadonlyArray<Range<K>>)
}

// ---------------------------------------------------------------------------------------------
// Wire form

const encodeRange = <K extends Kind>(r: Range<K>): string =>
  r.start === r.end ? String(r.start) : `${String(r.start)}:${String(r.end)}`

/** The wire form, ranges as held: `1:3,5,7:*`. Call `compact` first for the shortest form. */
export const encode = <K extends Kind>(set: SetOrSaved<K>): string =>
  set._tag === "Saved" ? "$" : set.ranges.map(encodeRange).join(",")

const utf8 = new TextEncoder()

/**
 * Throws the ParseError for `text`, whose bytes it carries like every other ParseError; `at` is a
 * char index and becomes a byte index so that it points into those bytes (CommandParser adds it to
 * the set's position in the command).
 */
const fail = (text: string, at: number, message: string): never => {
  const bytes = utf8.encode(text)
  const offset = utf8.encode(text.slice(0, at)).length
  throw new ParseError({
    message: `invalid sequence set: ${message}`,
    offset,
    excerpt: excerptAt(bytes, offset),
    bytes
  })
}

const parseBound = (text: string, start: number, end: number): number | "*" => {
  const token = text.slice(start, end)
  if (token === "*") return "*"
  // nz-number: no sign, no leading zero (RFC 9051 9), at most 10 digits before the range check.
  if (!/^[1-9][0-9]{0,9}$/.test(token)) fail(text, start, `expected a number or "*" at "${token}"`)
  const n = Number(token)
  if (n > MAX) fail(text, start, `${token} exceeds 2^32-1`)
  return n
}

/** The first `:` in `text[start, end)`, or -1; bounded so that parsing stays linear in the length. */
const colonIn = (text: string, start: number, end: number): number => {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0x3a) return i
  return -1
}

/** Parses `1:3,5,7:*`. Throws `ParseError` on anything else (including `$`; see `parseSetOrSaved`). */
export const parse = <K extends Kind>(text: string, kind: K): SequenceSet<K> => {
  if (text.length === 0) fail(text, 0, "empty")
  const ranges: Array<Range<K>> = []
  let pos = 0
  while (pos <= text.length) {
    let comma = text.indexOf(",", pos)
    if (comma < 0) comma = text.length
    const colon = colonIn(text, pos, comma)
    if (colon >= 0) {
      if (colonIn(text, colon + 1, comma) >= 0) fail(text, colon + 1, "a range has two colons")
      const start = parseBound(text, pos, colon) as Bound<K>
      const end = parseBound(text, colon + 1, comma) as Bound<K>
      ranges.push({ start, end })
    } else {
      const n = parseBound(text, pos, comma) as Bound<K>
      ranges.push({ start: n, end: n })
    }
    pos = comma + 1
  }
  return make(kind, ranges as unknown as NonEmptyReadonlyArray<Range<K>>)
}

/** Parses a set or `$`. */
export const parseSetOrSaved = <K extends Kind>(text: string, kind: K): SetOrSaved<K> =>
  text === "$" ? saved : parse(text, kind)

// ---------------------------------------------------------------------------------------------
// Membership

const resolve = (b: number | "*", star: number): number => (b === "*" ? star : b)

/**
 * True if `n` is in the set. `star` is what `*` stands for: the message count for sequence numbers,
 * the highest UID for UIDs; by default the largest possible number, which treats `n:*` as "n and up".
 */
export const contains = <K extends Kind>(set: SequenceSet<K>, n: number, star: number = MAX): boolean => {
  // A loop, not `some`: the client asks this once per FETCH response, and a closure per call adds up.
  const ranges = set.ranges
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!
    const a = resolve(r.start, star)
    const b = resolve(r.end, star)
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true
  }
  return false
}

/**
 * True if `n` can be in the set whatever `*` stands for: what a client must ask of a server's reply,
 * since only the server knows the highest UID. A range with a `*` bound admits every number (RFC
 * 9051 6.4.8: `UID FETCH 100:*` with highest UID 35 answers UID 35, and `*` alone the highest UID);
 * ranges of numbers only are checked exactly.
 */
export const mayContain = <K extends Kind>(set: SequenceSet<K>, n: number): boolean => {
  const ranges = set.ranges
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!
    if (r.start === "*" || r.end === "*") return true
    if (n >= Math.min(r.start, r.end) && n <= Math.max(r.start, r.end)) return true
  }
  return false
}

/** `set`'s ranges with `*` read as `star`, sorted low-to-high and merged. */
const resolved = <K extends Kind>(set: SequenceSet<K>, star: number): ReadonlyArray<Range<K>> =>
  compact(
    make(
      set.kind,
      set.ranges.map((r) => ({
        start: resolve(r.start, star) as NumberOf<K>,
        end: resolve(r.end, star) as NumberOf<K>
      })) as unknown as NonEmptyReadonlyArray<Range<K>>
    )
  ).ranges

/**
 * The numbers of the set, ascending and unique, with `*` standing for `bound` and nothing above
 * `bound` (numbers above the largest in use do not exist, and this also caps the result's size; RFC
 * 9051 6.4.8: `UID 100:*` with highest UID 50 is the set `{50}`). At most `limit` of them, the
 * smallest: a server's set can name four billion (`1:4294967295`).
 */
export const expand = <K extends Kind>(
  set: SequenceSet<K>,
  bound: number,
  limit: number = Number.POSITIVE_INFINITY
): Array<NumberOf<K>> => {
  const out: Array<number> = []
  for (const r of resolved(set, bound)) {
    const hi = Math.min(Number(r.end), bound)
    for (let n = Math.max(Number(r.start), 1); n <= hi && out.length < limit; n++) out.push(n)
  }
  return out as Array<NumberOf<K>>
}

/** How many numbers the set names, each once, without expanding it; `*` stands for `star` as in `contains`. */
export const size = <K extends Kind>(set: SequenceSet<K>, star: number = MAX): number =>
  resolved(set, star).reduce((n, r) => n + Number(r.end) - Number(r.start) + 1, 0)

/** Same kind and the same ranges as written (`1:3` and `1,2,3` differ: compare `compact`ed sets for content). */
export const equals = <K extends Kind>(a: SequenceSet<K>, b: SequenceSet<K>): boolean =>
  a.kind === b.kind &&
  a.ranges.length === b.ranges.length &&
  a.ranges.every((r, i) => r.start === b.ranges[i]!.start && r.end === b.ranges[i]!.end)
