/**
 * INTERNALDATE, RFC 5322 envelope dates (obsolete forms included) and SEARCH dates: fixed
 * examples from the RFCs and the transcripts, rejection of impossible dates, and round trips.
 */
import * as EffectDateTime from "effect/DateTime"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as DateTime from "../src/DateTime.ts"

const iso = (d: Date | undefined): string | undefined => d?.toISOString()

/** Dates whose year has a 4-digit form, to the second (IMAP dates carry no milliseconds). */
const imapDate = fc
  .date({ min: new Date("0100-01-02T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000))
const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })

describe("DateTime.parseInternalDate", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["17-Jul-1996 02:44:25 -0700", "1996-07-17T09:44:25.000Z"], // RFC 3501's example
    [" 7-Jul-1996 02:44:25 -0700", "1996-07-07T09:44:25.000Z"], // date-day-fixed: SP DIGIT
    ["07-Jul-1996 02:44:25 -0700", "1996-07-07T09:44:25.000Z"],
    ["7-Jul-1996 02:44:25 -0700", "1996-07-07T09:44:25.000Z"],
    ['"17-Jul-1996 02:44:25 -0700"', "1996-07-17T09:44:25.000Z"],
    ["01-jan-2000 00:00:00 +0530", "1999-12-31T18:30:00.000Z"],
    ["29-Feb-2024 23:59:59 +0000", "2024-02-29T23:59:59.000Z"],
    ["24-Apr-2056 02:35:04 +0900", "2056-04-23T17:35:04.000Z"]
  ]
  it.each(cases)("%s", (input, expected) => {
    expect(iso(DateTime.parseInternalDate(input))).toBe(expected)
  })

  const invalid = [
    "",
    "17-Jul-1996",
    "17-Jul-96 02:44:25 -0700",
    "31-Feb-2024 00:00:00 +0000",
    "29-Feb-2023 00:00:00 +0000",
    "17-Foo-1996 02:44:25 -0700",
    "17-Jul-1996 24:00:00 -0700",
    "17-Jul-1996 02:60:00 -0700",
    "17-Jul-1996 02:44:25 -0760",
    "17-Jul-1996 02:44:25",
    "17-Jul-1996T02:44:25 -0700",
    "Wed, 17 Jul 1996 02:44:25 -0700"
  ]
  it.each(invalid)("rejects %j", (input) => {
    expect(DateTime.parseInternalDate(input)).toBeUndefined()
  })

  it("keeps the server's offset in the Zoned variant", () => {
    const zoned = DateTime.parseInternalDateZoned("17-Jul-1996 02:44:25 -0700")
    expect(zoned && EffectDateTime.zonedOffset(zoned)).toBe(-7 * 3600_000)
    expect(zoned && EffectDateTime.toDateUtc(zoned).toISOString()).toBe("1996-07-17T09:44:25.000Z")
  })
})

describe("DateTime.formatInternalDate", () => {
  it("writes UTC by default, zero-padded", () => {
    expect(DateTime.formatInternalDate(new Date("1996-07-07T09:44:25.678Z"))).toBe("07-Jul-1996 09:44:25 +0000")
  })

  it("writes the wall clock of the given offset", () => {
    expect(DateTime.formatInternalDate(new Date("1996-07-17T09:44:25Z"), -420)).toBe("17-Jul-1996 02:44:25 -0700")
    expect(DateTime.formatInternalDate(new Date("1999-12-31T18:30:00Z"), 330)).toBe("01-Jan-2000 00:00:00 +0530")
  })

  it("refuses what it cannot write", () => {
    expect(() => DateTime.formatInternalDate(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => DateTime.formatInternalDate(new Date("+010000-01-01T00:00:00Z"))).toThrow(RangeError)
    expect(() => DateTime.formatInternalDate(new Date(0), 24 * 60)).toThrow(RangeError)
    expect(() => DateTime.formatInternalDate(new Date(0), 0.5)).toThrow(RangeError)
  })

  it("round trips years 0000..0099 as written (not as 19xx), leap days included", () => {
    const early = fc
      .date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("0099-12-31T00:00:00Z"), noInvalidDate: true })
      .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000))
    fc.assert(
      fc.property(early, (date) => {
        expect(DateTime.parseInternalDate(DateTime.formatInternalDate(date))?.getTime()).toBe(date.getTime())
      })
    )
    expect(iso(DateTime.parseInternalDate("29-Feb-0004 00:00:00 +0000"))).toBe("0004-02-29T00:00:00.000Z")
    expect(DateTime.parseInternalDate("29-Feb-0100 00:00:00 +0000")).toBeUndefined()
  })

  it("round trips through parseInternalDate, at any offset", () => {
    fc.assert(
      fc.property(imapDate, offset, (date, minutes) => {
        const text = DateTime.formatInternalDate(date, minutes)
        expect(DateTime.parseInternalDate(text)?.getTime()).toBe(date.getTime())
        const zoned = DateTime.parseInternalDateZoned(text)
        expect(zoned && EffectDateTime.zonedOffset(zoned)).toBe(minutes * 60_000)
      })
    )
  })
})

describe("DateTime.formatSearchDate", () => {
  it("writes d-Mon-yyyy of the UTC day, without padding the day", () => {
    expect(DateTime.formatSearchDate(new Date(Date.UTC(1994, 1, 1)))).toBe("1-Feb-1994")
    expect(DateTime.formatSearchDate(new Date("2026-11-25T23:59:59Z"))).toBe("25-Nov-2026")
    expect(DateTime.formatSearchDate(new Date("0099-03-04T00:00:00Z"))).toBe("4-Mar-0099")
    expect(() => DateTime.formatSearchDate(new Date(Number.NaN))).toThrow(RangeError)
  })

  it("matches RFC 3501's date grammar and names the same UTC day", () => {
    fc.assert(
      fc.property(imapDate, (date) => {
        const text = DateTime.formatSearchDate(date)
        expect(text).toMatch(/^[1-9]\d?-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4}$/)
        const time = date.toISOString().slice(11, 19)
        expect(DateTime.parseInternalDate(`${text} ${time} +0000`)?.getTime()).toBe(date.getTime())
      })
    )
  })
})

describe("DateTime.parseEnvelopeDate", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    // the transcripts
    ["Sun, 23 Apr 2056 09:06:57 -0700", "2056-04-23T16:06:57.000Z"],
    ["Mon, 24 Apr 2056 02:35:04 +0900", "2056-04-23T17:35:04.000Z"],
    ["Wed, 25 Nov 2026 23:55:26 +0000", "2026-11-25T23:55:26.000Z"],
    // RFC 5322 appendix A
    ["Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T15:55:06.000Z"],
    ["Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T08:52:37.000Z"],
    [
      "Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)",
      "1969-02-14T03:02:00.000Z"
    ],
    ["21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06.000Z"],
    // obsolete and sloppy forms
    ["Sun, 23 Apr 2056 09:06:57 -0700 (PDT)", "2056-04-23T16:06:57.000Z"],
    ["Sun , 23 Apr 2056 (a (nested) comment) 09:06:57 -0700", "2056-04-23T16:06:57.000Z"],
    ["1 Jan 2000 00:00 EST", "2000-01-01T05:00:00.000Z"],
    ["1 Jan 2000 00:00:00 PDT", "2000-01-01T07:00:00.000Z"],
    ["1 Jan 2000 00:00:00 UT", "2000-01-01T00:00:00.000Z"],
    ["1 Jan 2000 00:00:00 Z", "2000-01-01T00:00:00.000Z"],
    ["1 Jan 2000 00:00:00 MEST", "2000-01-01T00:00:00.000Z"], // unknown zone: -0000
    ["1 Jan 2000 00:00:00 A", "2000-01-01T00:00:00.000Z"], // military: -0000 per RFC 5322 4.3
    ["1 Jan 2000 00:00:00", "2000-01-01T00:00:00.000Z"], // no zone at all
    ["1 Jan 49 00:00:00 +0000", "2049-01-01T00:00:00.000Z"],
    ["1 Jan 50 00:00:00 +0000", "1950-01-01T00:00:00.000Z"],
    ["1 Jan 103 00:00:00 +0000", "2003-01-01T00:00:00.000Z"],
    ["Monday, 3 January 2000 8:05:09 +01:00", "2000-01-03T07:05:09.000Z"],
    ["3-Jan-2000 08:05:09 +0100", "2000-01-03T07:05:09.000Z"],
    ["Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59.000Z"], // leap second
    ["Mon, 24 Apr 2056 23:44:47 +1000 (AEST", "2056-04-24T13:44:47.000Z"] // unclosed comment
  ]
  it.each(cases)("%j", (input, expected) => {
    expect(iso(DateTime.parseEnvelopeDate(input))).toBe(expected)
  })

  const invalid = [
    "",
    "garbage",
    "Foo, 1 Jan 2000 00:00:00 +0000",
    "32 Jan 2000 00:00:00 +0000",
    "1 Jab 2000 00:00:00 +0000",
    "1 Jan 2000 24:00:00 +0000",
    "1 Jan 2000 00:00:61 +0000",
    "1 Jan 2000 00:00:00 +0099",
    "1 Jan 2000 00:00:00 +0000 junk after",
    "1 Jan 2000",
    "2000-01-01T00:00:00Z",
    "1 Jan 20000 00:00:00 +0000"
  ]
  it.each(invalid)("rejects %j", (input) => {
    expect(DateTime.parseEnvelopeDate(input)).toBeUndefined()
  })

  it("keeps the sender's offset in the Zoned variant", () => {
    const zoned = DateTime.parseEnvelopeDateZoned("Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)")
    expect(zoned && EffectDateTime.zonedOffset(zoned)).toBe(-(3 * 60 + 30) * 60_000)
    expect(DateTime.parseEnvelopeDateZoned("nonsense")).toBeUndefined()
  })

  it("round trips RFC 5322 dates written at any offset", () => {
    const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    const two = (n: number) => String(n).padStart(2, "0")
    fc.assert(
      fc.property(imapDate, offset, fc.boolean(), (date, minutes, weekday) => {
        const w = new Date(date.getTime() + minutes * 60_000)
        const zone = `${minutes < 0 ? "-" : "+"}${two(Math.floor(Math.abs(minutes) / 60))}${two(Math.abs(minutes) % 60)}`
        const text =
          `${weekday ? `${days[w.getUTCDay()]}, ` : ""}${w.getUTCDate()} ${months[w.getUTCMonth()]} ` +
          `${String(w.getUTCFullYear()).padStart(4, "0")} ` +
          `${two(w.getUTCHours())}:${two(w.getUTCMinutes())}:${two(w.getUTCSeconds())} ${zone}`
        expect(DateTime.parseEnvelopeDate(text)?.getTime()).toBe(date.getTime())
      })
    )
  })
  it("reads the common shape by position exactly as the general reader does, odd fields and all", () => {
    // A trailing comment sends the same date through the general reader (comments, regular expression).
    // Fields around their limits (hour 24, minute 60, second 61, zone +2400, 30 February, ...).
    const field = (digits: number, max = 10 ** digits - 1) =>
      fc.integer({ min: 0, max }).map((n) => String(n).padStart(digits, "0"))
    const letters = fc.constantFrom("Sun", "mon", "TUE", "Thu", "Sat", "Foo", "Jan", "feb", "DEC", "Jab", "Sep", "Mai")
    const text = fc
      .tuple(
        fc.option(letters, { nil: undefined }),
        fc.oneof(field(1), field(2, 32)),
        letters,
        fc.oneof(field(4), field(4, 2100)),
        field(2, 25),
        field(2, 61),
        field(2, 62),
        fc.constantFrom("+", "-", "*"),
        field(2, 25),
        field(2, 61)
      )
      .map(
        ([day, dd, mon, yyyy, hh, mm, ss, sign, zh, zm]) =>
          `${day === undefined ? "" : `${day}, `}${dd} ${mon} ${yyyy} ${hh}:${mm}:${ss} ${sign}${zh}${zm}`
      )
    fc.assert(
      fc.property(text, (t) => {
        expect(DateTime.parseEnvelopeDate(t)?.getTime()).toBe(DateTime.parseEnvelopeDate(`${t} (c)`)?.getTime())
      }),
      { numRuns: 2000 }
    )
    expect(iso(DateTime.parseEnvelopeDate("Thu, 12 Feb 2026 16:29:02 -0700"))).toBe("2026-02-12T23:29:02.000Z")
  })
})
