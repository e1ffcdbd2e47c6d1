/**
 * SearchKey: the date format, and the exact wire form of each key through `CommandEncoder`
 * (nesting, parentheses, strings that need quoting or a literal), read back by `CommandParser`.
 */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import * as Command from "../src/Command.ts"
import * as CommandEncoder from "../src/CommandEncoder.ts"
import * as CommandParser from "../src/CommandParser.ts"
import * as SearchKey from "../src/SearchKey.ts"
import * as SequenceSet from "../src/SequenceSet.ts"

const K = SearchKey
const wire = (criteria: SearchKey.SearchKey, options?: Command.SearchOptions): string => {
  const r = CommandEncoder.encode("s", Command.search(criteria, options), CommandEncoder.defaultOptions)
  if (Result.isFailure(r)) throw r.failure
  const text = new TextDecoder().decode(CommandEncoder.concat(r.success.segments))
  expect(CommandParser.parse(CommandEncoder.concat(r.success.segments)).command).toEqual(
    Command.search(criteria, options)
  )
  return text.slice("s SEARCH ".length, -2)
}

describe("dates", () => {
  it("formats the UTC calendar day as d-Mon-yyyy", () => {
    expect(K.formatDate(K.day(1994, 2, 1))).toBe("1-Feb-1994")
    expect(K.formatDate(K.day(2024, 12, 31))).toBe("31-Dec-2024")
    expect(K.formatDate(K.day(5, 1, 9))).toBe("9-Jan-0005")
    expect(K.formatDate(new Date("2024-03-10T23:30:00-05:00"))).toBe("11-Mar-2024")
  })
  it("parses d-Mon-yyyy and dd-mon-yyyy, rejecting impossible days", () => {
    expect(K.parseDate("1-Feb-1994")).toEqual(K.day(1994, 2, 1))
    expect(K.parseDate("01-feb-1994")).toEqual(K.day(1994, 2, 1))
    expect(K.parseDate("29-Feb-2024")).toEqual(K.day(2024, 2, 29))
    for (const bad of ["29-Feb-2023", "32-Jan-2024", "1-Foo-2024", "1-Feb-94", "1 Feb 1994", ""]) {
      expect(K.parseDate(bad)).toBeUndefined()
    }
  })
})

describe("wire form", () => {
  it.each<[string, SearchKey.SearchKey, string]>([
    ["flag keys", K.and(K.unseen, K.undeleted, K.flagged), "UNSEEN UNDELETED FLAGGED"],
    ["all", K.all, "ALL"],
    ["new/old/recent/draft", K.and(K.new_, K.old, K.recent, K.undraft), "NEW OLD RECENT UNDRAFT"],
    ["keyword", K.and(K.keyword("$Junk"), K.unkeyword("Work")), "KEYWORD $Junk UNKEYWORD Work"],
    [
      "dates",
      K.and(K.since(K.day(2024, 1, 5)), K.sentBefore(K.day(1994, 2, 1))),
      "SINCE 5-Jan-2024 SENTBEFORE 1-Feb-1994"
    ],
    ["on / sent on", K.and(K.on(K.day(2020, 6, 1)), K.sentOn(K.day(2020, 6, 2))), "ON 1-Jun-2020 SENTON 2-Jun-2020"],
    ["atom text", K.from("alice@example.com"), "FROM alice@example.com"],
    ["quoted text", K.subject('hello "world"'), 'SUBJECT "hello \\"world\\""'],
    ["empty text", K.body(""), 'BODY ""'],
    ["header", K.header("List-Id", "<x.example>"), "HEADER List-Id <x.example>"],
    ["header with space", K.header("X-Spam", "yes please"), 'HEADER X-Spam "yes please"'],
    ["sizes", K.and(K.larger(1000), K.smaller(5000)), "LARGER 1000 SMALLER 5000"],
    ["within", K.and(K.younger(3600), K.older(60)), "YOUNGER 3600 OLDER 60"],
    ["uid set", K.uid(SequenceSet.parse("1:100,200:*", "uid")), "UID 1:100,200:*"],
    ["bare sequence set", K.sequenceSet(SequenceSet.fromNumbers("seq", [1, 2, 3, 9])), "1:3,9"],
    ["saved result", K.uid(SequenceSet.saved), "UID $"],
    ["or", K.or(K.from("a"), K.to("b")), "OR FROM a TO b"],
    ["nested or", K.or(K.or(K.cc("a"), K.bcc("b")), K.text("c")), "OR OR CC a BCC b TEXT c"],
    ["not", K.not(K.seen), "NOT SEEN"],
    ["group", K.and(K.not(K.and(K.seen, K.flagged)), K.deleted), "NOT (SEEN FLAGGED) DELETED"],
    ["top-level single group keeps its parens", K.and(K.seen), "(SEEN)"],
    ["modseq", K.modSeq(620162338n), "MODSEQ 620162338"],
    [
      "modseq with entry",
      K.modSeq(620162338n, { name: "/flags/\\draft", type: "all" }),
      'MODSEQ "/flags/\\\\draft" all 620162338'
    ],
    [
      "objectid",
      K.and(K.emailId("M6d99ac3275bb4e"), K.threadId("T64b478a75b7ea9")),
      "EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9"
    ],
    ["gmail", K.gmailRaw("has:attachment in:unread"), 'X-GM-RAW "has:attachment in:unread"']
  ])("%s", (_name, key, expected) => {
    expect(wire(key)).toBe(expected)
  })

  it("sends 8-bit text as a literal (no UTF8=ACCEPT) with CHARSET", () => {
    expect(wire(K.subject("café"), { charset: "UTF-8" })).toBe("CHARSET UTF-8 SUBJECT {5}\r\ncafé")
  })

  it("puts RETURN before CHARSET", () => {
    expect(wire(K.all, { returnOptions: ["MIN", "MAX", "COUNT", "ALL", "SAVE"], charset: "UTF-8" })).toBe(
      "RETURN (MIN MAX COUNT ALL SAVE) CHARSET UTF-8 ALL"
    )
    expect(wire(K.all, { returnOptions: [] })).toBe("RETURN () ALL")
  })

  it("refuses what cannot be sent", () => {
    const refuse = (key: SearchKey.SearchKey) =>
      Result.isFailure(CommandEncoder.encode("s", Command.search(key), CommandEncoder.defaultOptions))
    expect(refuse(K.keyword("bad keyword"))).toBe(true)
    expect(refuse(K.keyword("x\r\nA1 LOGOUT"))).toBe(true)
    expect(refuse(K.emailId("has space"))).toBe(true)
    expect(refuse(K.larger(-1))).toBe(true)
    expect(refuse(K.larger(1.5))).toBe(true)
    expect(refuse(K.older(0))).toBe(true)
    expect(refuse(K.since(new Date(Number.NaN)))).toBe(true)
    expect(refuse(K.since(K.day(10000, 1, 1)))).toBe(true)
    expect(refuse(K.modSeq(-1n))).toBe(true)
    expect(refuse(K.uid(SequenceSet.single("uid", SequenceSet.Uid(0))))).toBe(true)
    expect(refuse({ _tag: "And", keys: [] as unknown as [SearchKey.SearchKey] })).toBe(true)
    expect(refuse(K.from("a\0b"))).toBe(true)
  })
})

describe("hasNonAscii: whether a search must name its charset", () => {
  it.each([
    ["ASCII subject", K.subject("Koln"), false],
    ["non-ASCII subject", K.subject("Köln"), true],
    ["header value", K.header("X-City", "Zürich"), true],
    ["header name only ASCII", K.header("Subject", "plain"), false],
    ["nested in OR", K.or(K.seen, K.from("José")), true],
    ["nested in NOT", K.not(K.body("日本")), true],
    ["nested in AND", K.and(K.unseen, K.to("a@b"), K.text("ß")), true],
    ["flags and dates only", K.and(K.unseen, K.since(K.day(2026, 1, 1))), false],
    ["Gmail query", K.gmailRaw("has:attachment über"), true]
  ] as const)("%s", (_name, key, expected) => {
    expect(SearchKey.hasNonAscii(key)).toBe(expected)
  })
})
