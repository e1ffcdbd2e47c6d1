/**
 * CommandParser beyond the round trip: the forms real clients send that the encoder does not
 * produce, ParseError with offsets on bad input, and `frame` for a scripted server.
 */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as C from "../src/Command.ts"
import * as CommandParser from "../src/CommandParser.ts"
import { MAX_DEPTH } from "../src/internal/Reader.ts"
import { ParseError } from "../src/ParseError.ts"
import * as K from "../src/SearchKey.ts"
import * as S from "../src/SequenceSet.ts"

const bytes = (s: string) => new TextEncoder().encode(s)
const parse = (s: string, utf8Accept = false) => CommandParser.parse(bytes(s), { utf8Accept })

describe("forms other clients send", () => {
  it.each<[string, C.Command]>([
    ["a1 noop\r\n", C.noop],
    ["a1 uid fetch 1:* flags\r\n", C.uidFetch(S.all("uid"), [C.Attr.flags])],
    [
      "a1 FETCH 1 body.peek[header.fields (subject)]\r\n",
      C.fetch(S.parse("1", "seq"), [C.Attr.bodySection(C.SectionSpec.headerFields(["subject"]), { peek: true })])
    ],
    ["a1 STORE 1 +FLAGS \\Seen \\Flagged\r\n", C.store(S.parse("1", "seq"), "add", ["\\Seen", "\\Flagged"])],
    ["a1 LOGIN {5+}\r\nalice {3}\r\npw!\r\n", C.login("alice", Redacted.make("pw!"))],
    [
      'a1 SEARCH SINCE "1-Feb-1994" or seen (deleted)\r\n',
      C.search(K.and(K.since(K.day(1994, 2, 1)), K.or(K.seen, K.and(K.deleted))))
    ],
    [
      'a1 APPEND INBOX " 7-Jul-1996 02:44:25 -0700" {1}\r\nx\r\n',
      C.append("INBOX", bytes("x"), { internalDate: new Date("1996-07-07T09:44:25Z") })
    ],
    [
      "a1 select &U,BTFw- (QRESYNC (1 2) CONDSTORE)\r\n",
      C.select("台北", { condstore: true, qresync: { uidValidity: 1, modSeq: 2n } })
    ],
    ['a1 LIST "" "台北"\r\n', C.list("", "台北")]
  ])("%j", (input, expected) => {
    const isUtf8 = input.includes('台北"')
    expect(parse(input, isUtf8).command).toEqual(expected)
  })
  it("keeps the tag and the LOGIN password as Redacted", () => {
    const { tag, command } = parse("x.1] LOGIN a b\r\n")
    expect(tag).toBe("x.1]")
    expect(command._tag === "Login" && Redacted.value(command.password)).toBe("b")
  })
})

describe("errors", () => {
  it.each<[string, number]>([
    ["", 0],
    ["a1\r\n", 2],
    ["a1 FOO\r\n", 3],
    ["a1 NOOP", 7],
    ["a1 NOOP\r\nextra", 9],
    ["a1 FETCH 1:x FLAGS\r\n", 11],
    ["a1 LOGIN {10}\r\nabc\r\n", 9],
    ['a1 LOGIN "unterminated\r\n', 9],
    ["a1 SEARCH FOO\r\n", 10],
    ["a1 SEARCH SINCE 31-Feb-2024\r\n", 16],
    ["a1 STORE 1 +FLAGS (a b\r\n", 22],
    ["a1 LOGIN ~{1}\r\nx y\r\n", 10], // "~" is an atom; the "{" after it is not
    ["+1 NOOP\r\n", 0]
  ])("%j fails at %i", (input, offset) => {
    try {
      parse(input)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError)
      expect((e as ParseError).offset).toBe(offset)
      expect(typeof (e as ParseError).excerpt).toBe("string")
    }
  })
  const deep = (n: number): Record<string, string> => ({
    NOT: `${"NOT ".repeat(n)}ALL`,
    "(": `${"(".repeat(n)}ALL${")".repeat(n)}`,
    OR: `${"OR ".repeat(n)}${Array.from({ length: n + 1 }, () => "ALL").join(" ")}`
  })
  it.each(["NOT", "(", "OR"])("search keys nested 10,000 deep in %s are a ParseError, not a stack overflow", (k) => {
    const input = bytes(`a1 SEARCH ${deep(10_000)[k]}\r\n`)
    try {
      CommandParser.parse(input)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError)
      expect((e as ParseError).message).toMatch(/nested deeper/)
      expect((e as ParseError).bytes).toBe(input)
    }
  })
  it.each(["NOT", "(", "OR"])("search keys nested %s up to the limit parse, one more level does not", (k) => {
    expect(parse(`a1 SEARCH ${deep(MAX_DEPTH)[k]}\r\n`).command._tag).toBe("Search")
    expect(() => parse(`a1 SEARCH ${deep(MAX_DEPTH + 1)[k]}\r\n`)).toThrow(ParseError)
  })
  it("rejects invalid UTF-8 in strings", () => {
    const input = Uint8Array.of(...bytes("a1 LOGIN {1}\r\n"), 0xff, ...bytes(" x\r\n"))
    expect(() => CommandParser.parse(input)).toThrow(ParseError)
  })
})

describe("frame", () => {
  it("finds a whole command and leaves what follows", () => {
    expect(CommandParser.frame(bytes("a1 NOOP\r\na2 NOOP\r\n"))).toEqual({ _tag: "Complete", length: 9 })
    expect(CommandParser.frame(bytes("a1 NO"))).toEqual({ _tag: "Incomplete" })
  })
  it("asks for a continuation at each synchronising literal", () => {
    const first = "a1 LOGIN {5}\r\n"
    expect(CommandParser.frame(bytes(first))).toEqual({ _tag: "NeedsContinuation", offset: first.length })
    expect(CommandParser.frame(bytes(`${first}ali`))).toEqual({ _tag: "NeedsContinuation", offset: first.length })
    const second = `${first}alice {3}\r\n`
    expect(CommandParser.frame(bytes(second))).toEqual({ _tag: "NeedsContinuation", offset: second.length })
    const whole = `${second}pw!\r\n`
    expect(CommandParser.frame(bytes(`${whole}a2 NOOP\r\n`))).toEqual({ _tag: "Complete", length: whole.length })
  })
  it("does not ask for non-synchronising literals, and skips CRLF inside literal bodies", () => {
    expect(CommandParser.frame(bytes("a1 LOGIN {5+}\r\nal"))).toEqual({ _tag: "Incomplete" })
    const cmd = "a1 APPEND x ~{4}\r\n\r\n\r\n\r\n"
    expect(CommandParser.frame(bytes(cmd))).toEqual({ _tag: "Complete", length: cmd.length })
  })
})
