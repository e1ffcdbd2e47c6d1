/**
 * The small pure pieces of `imap`: how command-line text becomes IMAP (sections, dates, flags,
 * search keys, line ends) and which values IMAP cannot carry (caught before connecting), how errors
 * become exit codes, and the line formats (messages, mailboxes, log lines) with hostile text in
 * them. The commands themselves run end to end in test/cli*.test.ts.
 */
import { ImapError, type MailboxInfo, type Watcher } from "@pkg/client"
import { SearchKey, SequenceSet } from "@pkg/protocol"
import { Cause, Option } from "effect"
import { CliError } from "effect/cli"
import { describe, expect, it } from "vitest"
import { parseFlags, toCrlf } from "../src/Append.ts"
import * as Arguments from "../src/Arguments.ts"
import * as ExitCode from "../src/ExitCode.ts"
import { parseSection } from "../src/Fetch.ts"
import { mailboxLine } from "../src/Mailboxes.ts"
import { logLine, messageJson, messageLine, toJson } from "../src/Output.ts"
import { parseDay, toSearchKey } from "../src/Search.ts"

describe("fetch --part", () => {
  it("reads RFC 9051 section specs", () => {
    expect(parseSection("1")).toEqual({ part: [1] })
    expect(parseSection("1.2.3")).toEqual({ part: [1, 2, 3] })
    expect(parseSection("HEADER")).toEqual({ part: [], text: { _tag: "Header" } })
    expect(parseSection("text")).toEqual({ part: [], text: { _tag: "Text" } })
    expect(parseSection("2.MIME")).toEqual({ part: [2], text: { _tag: "Mime" } })
    expect(parseSection("1.TEXT")).toEqual({ part: [1], text: { _tag: "Text" } })
    expect(parseSection("HEADER.FIELDS (From Subject)")).toEqual({
      part: [],
      text: { _tag: "HeaderFields", not: false, fields: ["From", "Subject"] }
    })
    expect(parseSection("1.HEADER.FIELDS.NOT (Received)")).toEqual({
      part: [1],
      text: { _tag: "HeaderFields", not: true, fields: ["Received"] }
    })
  })

  it("rejects what is not a section, and part numbers beyond 4294967295", () => {
    expect(parseSection("4294967295.1")).toEqual({ part: [4294967295, 1] })
    for (const bad of [
      "",
      "0",
      "1.0",
      "MIME",
      "1.BODY",
      "1TEXT",
      "HEADER.FIELDS ()",
      "1..2",
      "-1",
      "4294967296",
      "1.99999999999999999999"
    ]) {
      expect(parseSection(bad), bad).toBeUndefined()
    }
  })
})

describe("search", () => {
  it("takes calendar days as YYYY-MM-DD, in UTC", () => {
    expect(parseDay("2026-11-26")).toEqual(new Date(Date.UTC(2026, 10, 26)))
    expect(parseDay("2026-02-31")).toBeUndefined()
    expect(parseDay("26/11/2026")).toBeUndefined()
  })

  const none = {
    from: Option.none(),
    to: Option.none(),
    subject: Option.none(),
    body: Option.none(),
    since: Option.none(),
    before: Option.none(),
    on: Option.none(),
    larger: Option.none(),
    smaller: Option.none(),
    seen: false,
    unseen: false,
    flagged: false,
    answered: false
  }

  it("ANDs the criteria given; none means ALL", () => {
    expect(toSearchKey(none)).toEqual(SearchKey.all)
    expect(toSearchKey({ ...none, unseen: true })).toEqual(SearchKey.unseen)
    expect(toSearchKey({ ...none, from: Option.some("billing"), larger: Option.some(100), flagged: true })).toEqual(
      SearchKey.and(SearchKey.from("billing"), SearchKey.larger(100), SearchKey.flagged)
    )
  })
})

describe("append", () => {
  it("accepts system flags with or without their backslash", () => {
    expect(parseFlags("Seen, flagged,\\Answered,$Label")).toEqual(["\\Seen", "\\Flagged", "\\Answered", "$Label"])
    expect(parseFlags("")).toEqual([])
  })

  it("sends bare-LF messages with CRLF and leaves CRLF messages byte for byte", () => {
    const text = (b: Uint8Array) => Buffer.from(b).toString("latin1")
    expect(text(toCrlf(Buffer.from("a\nb\n")))).toBe("a\r\nb\r\n")
    const crlf = Buffer.from("a\r\nb\nc\r\n")
    expect(text(toCrlf(crlf))).toBe("a\r\nb\nc\r\n")
  })
})

describe("values IMAP cannot carry, refused before connecting", () => {
  it.each([
    [1, true],
    [4294967295, true],
    [0, false],
    [-1, false],
    [4294967296, false],
    [99999999999, false],
    [1.5, false]
  ])("a UID (fetch): %s is %s", (n, ok) => {
    expect(Arguments.isUid(n)).toBe(ok)
  })

  it.each([
    [0, true],
    [4294967294, true],
    [4294967295, false],
    [-1, false],
    [99999999999, false]
  ])("--since-uid %s is %s (N + 1 must be a UID)", (n, ok) => {
    expect(Arguments.isSinceUid(n)).toBe(ok)
  })

  it.each([
    ["\\Seen", undefined],
    ["$Label", undefined],
    ["\\Important", undefined],
    ["a\r\nb", 'not a flag or keyword: "a\\r\\nb"'],
    ["(x)", 'not a flag or keyword: "(x)"'],
    ["a b", 'not a flag or keyword: "a b"'],
    ["a\u0000", 'not a flag or keyword: "a\\u0000"'],
    ['"q"', 'not a flag or keyword: "\\"q\\""'],
    ["{3}", 'not a flag or keyword: "{3}"'],
    ["caf\u00e9", 'not a flag or keyword: "café"']
  ])("--flags %j: %s", (flag, problem) => {
    const found = Arguments.flagProblem(flag)
    if (problem === undefined) expect(found).toBeUndefined()
    else expect(found?.startsWith(problem), found).toBe(true)
  })

  it.each([
    ["INBOX", undefined],
    ["Archive/2026 \u00e9t\u00e9", undefined],
    ["", "the mailbox name is empty"],
    ["INBOX\r\nA1 DELETE x", "U+000D"],
    ["a\u001bb", "U+001B"],
    ["a\u009bb", "U+009B"],
    ["a\u2028b", "U+2028"]
  ])("--mailbox %j: %s", (name, problem) => {
    const found = Arguments.mailboxProblem(name)
    if (problem === undefined) expect(found).toBeUndefined()
    else expect(found).toContain(problem)
  })
})

describe("exit codes", () => {
  const code = (reason: ImapError.ImapErrorReason) => ExitCode.of(ImapError.fromReason(reason))

  it("follow the ImapError reason", () => {
    expect(code(new ImapError.AuthenticationFailed({ mechanism: "PLAIN", code: undefined, text: "no" }))).toBe(3)
    expect(code(new ImapError.ConnectionFailed({ host: "h", port: 1, message: "refused" }))).toBe(4)
    expect(code(new ImapError.TlsFailed({ message: "bad cert" }))).toBe(4)
    expect(code(new ImapError.Timeout({ phase: "connect", millis: 1 }))).toBe(4)
    expect(code(new ImapError.ServerBye({ text: "bye", code: undefined }))).toBe(4)
    expect(code(new ImapError.CommandFailed({ command: "EXAMINE", status: "NO", code: undefined, text: "no" }))).toBe(5)
    expect(code(new ImapError.InvalidState({ command: "FETCH", state: "Authenticated", expected: ["Selected"] }))).toBe(
      5
    )
    expect(code(new ImapError.MissingCapability({ capability: "MOVE", operation: "move" }))).toBe(5)
    expect(code(new ImapError.MissingCapability({ capability: "STARTTLS", operation: "connect" }))).toBe(4)
    expect(code(new ImapError.InvalidInput({ message: "CR in flag" }))).toBe(2)
    expect(code(new ImapError.ProtocolFailed({ message: "junk", excerpt: "" }))).toBe(1)
  })

  it("are 2 for usage errors, ours and effect/cli's, and 1 for the rest", () => {
    expect(ExitCode.of(new ExitCode.UsageError({ message: "no host" }))).toBe(2)
    expect(ExitCode.of(new CliError.MissingOption({ option: "host" }))).toBe(2)
    expect(ExitCode.of(new ExitCode.OperationFailed({ message: "no such UID" }))).toBe(1)
    expect(ExitCode.of(new Error("boom"))).toBe(1)
  })
})

describe("message output", () => {
  const message: Watcher.NewMessage = {
    _tag: "NewMessage",
    mailbox: "INBOX",
    uid: SequenceSet.Uid(42),
    uidValidity: 7,
    seq: 3,
    subject: "Hello\tthere\r\nyou",
    from: [{ name: "Lopez, Yolanda", address: "y@example.com" }],
    date: new Date(Date.UTC(2026, 10, 26, 10, 5)),
    internalDate: undefined,
    flags: ["\\Seen"],
    size: 1234,
    envelope: undefined
  }

  it("is one tab-separated line: UID, UTC date, sender, subject", () => {
    expect(messageLine(message)).toBe('42\t2026-11-26 10:05\t"Lopez, Yolanda" <y@example.com>\tHello there you')
    expect(messageLine({ ...message, subject: undefined, from: [], date: undefined })).toBe("42\t-\t-\t(no subject)")
  })

  it("shows a sender's or subject's control characters as escapes, never raw", () => {
    const line = messageLine({
      ...message,
      subject: "\u001b]0;pwned\u0007\u001b[2J \u009b31m \u0000 \u202eexe.pdf",
      from: [{ name: "Eve\u202e\u001b[8m", address: "eve@example.com\u0007" }]
    })
    expect(line).toBe(
      '42\t2026-11-26 10:05\t"Eve\\u202e\\x1b[8m" <eve@example.com\\x07>\t\\x1b]0;pwned\\x07\\x1b[2J \\x9b31m \\x00 \\u202eexe.pdf'
    )
  })

  it("as JSON, escapes C1 and bidi controls too, and the subject decodes back unchanged", () => {
    const subject = "\u009b31m \u202e \u007f"
    const json = toJson(messageJson({ ...message, subject }))
    expect(json).not.toMatch(/[\u007f-\u009f\u202e]/)
    expect(JSON.parse(json).subject).toBe(subject)
  })

  it("or a JSON object with nulls for what is missing", () => {
    expect(messageJson({ ...message, subject: undefined, date: undefined, size: undefined })).toEqual({
      uid: 42,
      uidValidity: 7,
      seq: 3,
      subject: null,
      from: [{ name: "Lopez, Yolanda", address: "y@example.com" }],
      date: null,
      flags: ["\\Seen"],
      size: null
    })
  })
})

describe("mailbox lines", () => {
  it("show a name's and an attribute's control characters as escapes, and keep the tabs as separators", () => {
    const box: MailboxInfo = {
      name: "evil\u001b]0;x\u0007\tbox",
      delimiter: "/",
      attributes: ["\\HasNoChildren", "\\X\u009b2J"],
      specialUse: undefined,
      status: undefined
    }
    expect(mailboxLine(box)).toBe("evil\\x1b]0;x\\x07 box\t\\HasNoChildren \\X\\x9b2J")
  })
})

describe("log lines", () => {
  const options = (logLevel: "Warn" | "Debug", message: unknown, cause: Cause.Cause<unknown> = Cause.empty) =>
    ({ logLevel, message, cause, date: new Date(0), fiber: undefined as never }) as const

  it("read `imap: <level>: <message>`, with the cause's lines after it", () => {
    expect(logLine(options("Warn", ["discarded 5 bytes"]))).toBe("imap: warning: discarded 5 bytes")
    expect(logLine(options("Debug", ["S: * OK", { n: 1 }]))).toBe('imap: debug: S: * OK {"n":1}')
    expect(logLine(options("Warn", "x", Cause.fail("boom")))).toMatch(/^imap: warning: x\n.*boom/)
  })
})
