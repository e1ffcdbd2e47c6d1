/**
 * The dates IMAP carries: INTERNALDATE (`17-Jul-1996 02:44:25 -0700`, RFC 3501 date-time),
 * the RFC 5322 `Date:` header inside an ENVELOPE (obsolete forms included, since old mail keeps
 * them forever), and the `1-Feb-1994` dates SEARCH takes.
 *
 * Small strict parsers instead of `Date.parse`: its accepted formats are implementation-defined,
 * it reads `01-02-03`-style input as local time, and it ignores RFC 5322 comments and obsolete
 * zones. Each parser returns `undefined` for input it does not recognise rather than guessing.
 * `Date` results are instants; the `*Zoned` variants keep the sender's UTC offset as an effect
 * `DateTime.Zoned`.
 */
import * as EffectDateTime from "effect/DateTime"
import { isAlpha, isDigit } from "./internal/CharClass.ts"

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const
const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december"
]
const DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

/** An instant plus the offset it was written in (minutes east of UTC). */
interface Parsed {
  readonly epochMillis: number
  readonly offsetMinutes: number
}

/** `jan` -> 0 ... `dec` -> 11, and the full names likewise (one lookup per date on a large FETCH). */
const MONTH_SHORT = new Map(MONTH_NAMES.map((m, i) => [m.slice(0, 3), i]))
const MONTH_LONG = new Map(MONTH_NAMES.map((m, i) => [m, i]))
const DAY_WORDS = new Set([...DAY_NAMES, ...DAY_NAMES.map((d) => d.slice(0, 3))])

/** Month index for `Jan`..`Dec` (any case); with `long`, also the full English name. */
const monthIndex = (name: string, long: boolean): number => {
  const lower = name.toLowerCase()
  return (lower.length === 3 ? MONTH_SHORT.get(lower) : long ? MONTH_LONG.get(lower) : undefined) ?? -1
}

const isDayName = (name: string): boolean => DAY_WORDS.has(name.toLowerCase())

/**
 * The three ASCII letters at `i`, case-folded, as one number (-1 if any is not a letter): a month
 * or weekday abbreviation looked up without slicing and lower-casing a string per date.
 */
const letters3 = (text: string, i: number): number => {
  let key = 0
  for (let k = 0; k < 3; k++) {
    const c = text.charCodeAt(i + k)
    if (!isAlpha(c)) return -1
    key = key * 256 + (c | 0x20)
  }
  return key
}
const MONTH_KEYS = new Map(MONTH_NAMES.map((m, i) => [letters3(m, 0), i]))
const DAY_KEYS = new Set(DAY_NAMES.map((d) => letters3(d, 0)))

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (month 0..11), for any year: integer
 * arithmetic (H. Hinnant's days_from_civil) in place of a `Date` built and read back per date.
 */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month < 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const m = month + 1
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/**
 * Wall-clock fields in a given offset to an instant, or undefined for fields that do not form a
 * real date (31-Feb, 25:00). A second of 60 (RFC 5322 allows a leap second) is read as 59, since
 * `Date` has no leap seconds and rolling over would change the minute the user sees.
 */
const toParsed = (
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offsetMinutes: number
): Parsed | undefined => {
  if (month < 0 || hour > 23 || minute > 59 || second > 60 || Math.abs(offsetMinutes) > 23 * 60 + 59) return undefined
  const monthDays = month === 1 && isLeap(year) ? 29 : DAYS_IN_MONTH[month]!
  if (day < 1 || day > monthDays) return undefined
  // Not Date.UTC: it maps years 0..99 to 1900..1999.
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + Math.min(second, 59)
  return { epochMillis: seconds * 1000 - offsetMinutes * 60_000, offsetMinutes }
}

const toZoned = (p: Parsed | undefined): EffectDateTime.Zoned | undefined =>
  p === undefined
    ? undefined
    : EffectDateTime.makeZonedUnsafe(p.epochMillis, {
        timeZone: EffectDateTime.zoneMakeOffset(p.offsetMinutes * 60_000)
      })

// ---------------------------------------------------------------------------------------------
// INTERNALDATE (RFC 3501 / 9051 date-time)

/** The digit at `i` as a number, or -1. */
const digitAt = (text: string, i: number): number => {
  const c = text.charCodeAt(i)
  return isDigit(c) ? c - 0x30 : -1
}

/** The `n` digits at `i` as a number, or -1 if any is not a digit. */
const digitsAt = (text: string, i: number, n: number): number => {
  // One call per digit, not two (`digitAt`): a FETCH of 10,000 messages reads 140,000 digits,
  // most of them before V8 has optimised (and inlined) the reader.
  let value = 0
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(i + k)
    if (!isDigit(c)) return -1
    value = value * 10 + c - 0x30
  }
  return value
}

/**
 * Whether `text` has, from `i`, the punctuation of `?Mon?yyyy hh:mm:ss ?zzzz` with `separator` for
 * the first two `?` (INTERNALDATE's `-`, a Date header's SP): the layout both dates share.
 */
const hasDateTimeLayout = (text: string, i: number, separator: number): boolean =>
  text.charCodeAt(i) === separator &&
  text.charCodeAt(i + 4) === separator &&
  text.charCodeAt(i + 9) === 0x20 &&
  text.charCodeAt(i + 12) === 0x3a &&
  text.charCodeAt(i + 15) === 0x3a &&
  text.charCodeAt(i + 18) === 0x20

/**
 * `[DQUOTE] [SP] d[d] "-" Mon "-" yyyy SP hh ":" mm ":" ss SP ("+" / "-") hhmm [DQUOTE]`, read by
 * position (one per message of a large FETCH: a regular expression and its match array cost more).
 * date-day-fixed is `SP DIGIT / 2DIGIT`, so a single-digit day may come with its leading space; a
 * bare single digit is tolerated too. The DQUOTEs are optional because the response parser hands
 * over the string's content.
 */
const parseInternal = (text: string): Parsed | undefined => {
  let i = text.charCodeAt(0) === 0x22 ? 1 : 0
  let end = text.length
  if (end > i && text.charCodeAt(end - 1) === 0x22) end--
  if (text.charCodeAt(i) === 0x20) i++
  const d1 = digitAt(text, i)
  if (d1 < 0) return undefined
  const d2 = digitAt(text, i + 1)
  const day = d2 < 0 ? d1 : d1 * 10 + d2
  i += d2 < 0 ? 1 : 2
  // From here the layout is fixed: "-Mon-yyyy hh:mm:ss +zzzz", 24 characters.
  if (end - i !== 24) return undefined
  if (!hasDateTimeLayout(text, i, 0x2d)) return undefined
  if (letters3(text, i + 1) < 0) return undefined
  const sign = text.charCodeAt(i + 19)
  if (sign !== 0x2b && sign !== 0x2d) return undefined
  const year = digitsAt(text, i + 5, 4)
  const hh = digitsAt(text, i + 10, 2)
  const mm = digitsAt(text, i + 13, 2)
  const ss = digitsAt(text, i + 16, 2)
  const zh = digitsAt(text, i + 20, 2)
  const zm = digitsAt(text, i + 22, 2)
  if (year < 0 || hh < 0 || mm < 0 || ss < 0 || zh < 0 || zm < 0 || zm > 59) return undefined
  const offset = (sign === 0x2d ? -1 : 1) * (zh * 60 + zm)
  return toParsed(year, MONTH_KEYS.get(letters3(text, i + 1)) ?? -1, day, hh, mm, ss, offset)
}

/** INTERNALDATE (`17-Jul-1996 02:44:25 -0700`, ` 7-Jul-1996 ...`) to an instant. */
export const parseInternalDate = (text: string): Date | undefined => {
  const p = parseInternal(text)
  return p === undefined ? undefined : new Date(p.epochMillis)
}

/** INTERNALDATE keeping the server's offset. */
export const parseInternalDateZoned = (text: string): EffectDateTime.Zoned | undefined => toZoned(parseInternal(text))

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

const checkDate = (date: Date, fn: string): void => {
  const year = date.getUTCFullYear()
  // date-year is 4DIGIT: years outside 0..9999 (or an Invalid Date) cannot be written.
  if (!(year >= 0 && year <= 9999)) throw new RangeError(`DateTime.${fn}: ${String(date)} has no 4-digit year`)
}

const formatYear = (year: number): string => `${year}`.padStart(4, "0")

/**
 * The date-time APPEND takes: `17-Jul-1996 02:44:25 -0700` (without the DQUOTEs). Written in UTC
 * (`+0000`) unless `offsetMinutes` (east of UTC, e.g. -420 for -0700) asks for the wall clock of
 * another zone. The day is zero-padded (the 2DIGIT form), which every server accepts.
 * Throws a RangeError for an Invalid Date or a year that has no 4-digit form.
 */
export const formatInternalDate = (date: Date, offsetMinutes = 0): string => {
  if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) > 23 * 60 + 59) {
    throw new RangeError(`DateTime.formatInternalDate: offset ${offsetMinutes} is not whole minutes within a day`)
  }
  const local = new Date(date.getTime() + offsetMinutes * 60_000)
  checkDate(local, "formatInternalDate")
  const abs = Math.abs(offsetMinutes)
  const zone = `${offsetMinutes < 0 ? "-" : "+"}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  return (
    `${pad2(local.getUTCDate())}-${MONTHS[local.getUTCMonth()]}-${formatYear(local.getUTCFullYear())} ` +
    `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())} ${zone}`
  )
}

/**
 * A SEARCH date (`1-Feb-1994`, RFC 3501 `date`): the UTC calendar day of `date`. Servers compare
 * it against their own idea of the day, disregarding time and zone (RFC 3501 6.4.4), so pass a
 * Date whose UTC day is the day you mean (e.g. `new Date(Date.UTC(1994, 1, 1))`).
 */
export const formatSearchDate = (date: Date): string => {
  checkDate(date, "formatSearchDate")
  return `${date.getUTCDate()}-${MONTHS[date.getUTCMonth()]}-${formatYear(date.getUTCFullYear())}`
}

// ---------------------------------------------------------------------------------------------
// RFC 5322 Date: header (section 3.3, obsolete syntax from section 4.3)

/**
 * RFC 822 / 5322 obs-zone. Military letters were defined with the wrong sign in RFC 822, so
 * RFC 5322 4.3 says to read them as -0000 (unknown), which is 0 here; the same goes for any
 * other alphabetic zone (`CET`, `MEST`) whose meaning is not known.
 */
const NAMED_ZONES: Readonly<Record<string, number>> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -5 * 60,
  EDT: -4 * 60,
  CST: -6 * 60,
  CDT: -5 * 60,
  MST: -7 * 60,
  MDT: -6 * 60,
  PST: -8 * 60,
  PDT: -7 * 60
}

/** Removes RFC 5322 comments (nested, with quoted-pairs); an unclosed one runs to the end. */
const stripComments = (text: string): string => {
  if (!text.includes("(")) return text
  let out = ""
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (depth > 0 && c === "\\") i++
    else if (c === "(") {
      if (depth++ === 0) out += " "
    } else if (c === ")" && depth > 0) depth--
    else if (depth === 0) out += c
  }
  return out
}

/**
 * `[day-of-week ","] day month year hour ":" minute [":" second] [zone]`, after comments are gone
 * and whitespace is collapsed. Lenient where old mailers were sloppy (one-digit hours, a missing
 * comma, `-` between date parts, full month names, a `+01:00` zone, no zone at all), strict about
 * the shape otherwise.
 */
const RFC5322_DATE =
  /^(?:([A-Za-z]+) ?,? ?)?(\d{1,2})[ -]([A-Za-z]+)[ -](\d{2,4}) (\d{1,2}) ?: ?(\d{1,2})(?: ?: ?(\d{1,2}))?(?: ?(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5})))?$/

/** Whitespace runs as one space, trimmed; most Date headers already are, and are returned as they are. */
const normalizeSpace = (text: string): string =>
  /[^\S ]| {2}|^ | $/.test(text) ? text.replace(/\s+/g, " ").trim() : text

/**
 * The shape nearly every Date header has (RFC 5322 3.3 without its obsolete parts, comments or
 * folding): `[Ddd, ]d[d] Mon yyyy hh:mm:ss +zzzz`, read by position. `null` for any other shape,
 * which the general reader below takes. Its answers are the general reader's (the tests compare
 * them): a regular expression's match array and a dozen substrings per message were a seventh of
 * what a 10,000-message `subjects` allocated.
 */
const parseCanonical = (text: string): Parsed | undefined | null => {
  let i = 0
  if (text.charCodeAt(3) === 0x2c) {
    if (text.charCodeAt(4) !== 0x20 || !DAY_KEYS.has(letters3(text, 0))) return null
    i = 5
  }
  const d1 = digitAt(text, i)
  if (d1 < 0) return null
  const d2 = digitAt(text, i + 1)
  const day = d2 < 0 ? d1 : d1 * 10 + d2
  i += d2 < 0 ? 1 : 2
  if (text.length - i !== 24 || !hasDateTimeLayout(text, i, 0x20)) return null
  const month = MONTH_KEYS.get(letters3(text, i + 1))
  const sign = text.charCodeAt(i + 19)
  const year = digitsAt(text, i + 5, 4)
  const hh = digitsAt(text, i + 10, 2)
  const mm = digitsAt(text, i + 13, 2)
  const ss = digitsAt(text, i + 16, 2)
  const zh = digitsAt(text, i + 20, 2)
  const zm = digitsAt(text, i + 22, 2)
  if (month === undefined || (sign !== 0x2b && sign !== 0x2d)) return null
  if (year < 0 || hh < 0 || mm < 0 || ss < 0 || zh < 0 || zm < 0 || zm > 59) return null
  return toParsed(year, month, day, hh, mm, ss, (sign === 0x2d ? -1 : 1) * (zh * 60 + zm))
}

const parseEnvelope = (text: string): Parsed | undefined => {
  const canonical = parseCanonical(text)
  if (canonical !== null) return canonical
  const m = RFC5322_DATE.exec(normalizeSpace(stripComments(text)))
  if (m === null) return undefined
  const [, dayName, day, mon, yearText = "", hh, mm, ss, sign, zh, zm, zoneName] = m
  // The weekday is checked for being a weekday, not for matching the date: mismatches are common
  // in real mail and the date fields are what the sender meant.
  if (dayName !== undefined && !isDayName(dayName)) return undefined
  let year = Number(yearText)
  // RFC 5322 4.3: a 2-digit year below 50 is 20xx, otherwise 19xx; a 3-digit year adds 1900.
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900
  else if (yearText.length === 3) year += 1900
  let offset = 0
  if (sign !== undefined) {
    if (Number(zm) > 59) return undefined
    offset = (sign === "-" ? -1 : 1) * (Number(zh) * 60 + Number(zm))
  } else if (zoneName !== undefined) {
    offset = NAMED_ZONES[zoneName.toUpperCase()] ?? 0
  }
  return toParsed(year, monthIndex(mon ?? "", true), Number(day), Number(hh), Number(mm), Number(ss ?? 0), offset)
}

/**
 * An ENVELOPE date (RFC 5322 `Date:`) to an instant, obsolete forms included: no weekday, 2- and
 * 3-digit years, `GMT`/`UT`/`EST`..`PDT` zones, comments such as `(PDT)`, missing seconds.
 * A missing or unknown zone is read as UTC (RFC 5322 4.3's -0000).
 */
export const parseEnvelopeDate = (rfc2822: string): Date | undefined => {
  const p = parseEnvelope(rfc2822)
  return p === undefined ? undefined : new Date(p.epochMillis)
}

/** An ENVELOPE date keeping the sender's offset. */
export const parseEnvelopeDateZoned = (rfc2822: string): EffectDateTime.Zoned | undefined =>
  toZoned(parseEnvelope(rfc2822))
