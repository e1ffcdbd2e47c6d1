/**
 * The server's decisions as pure functions, checked as tables without a socket: sequence-set and
 * UID-set resolution against a session's numbering, when expunges may be told, flag updates,
 * SEARCH matching, SASL initial responses, LIST patterns, which state a command needs, when a
 * refusal or fault fires, partial-fetch cuts and section names, and how a batch of changes is told.
 */
import { type Command, SearchKey, SequenceSet } from "@pkg/protocol"
import * as tls from "node:tls"
import { describe, expect, it } from "vitest"
import * as Message from "../src/Message.ts"
import * as Certificate from "../src/internal/Certificate.ts"
import * as Faults from "../src/internal/Faults.ts"
import * as FetchAnswer from "../src/internal/FetchAnswer.ts"
import * as Flags from "../src/internal/Flags.ts"
import * as ListPattern from "../src/internal/ListPattern.ts"
import * as Notifications from "../src/internal/Notifications.ts"
import * as Sasl from "../src/internal/Sasl.ts"
import * as SearchMatch from "../src/internal/SearchMatch.ts"
import * as Selection from "../src/internal/Selection.ts"
import * as SessionCommands from "../src/internal/SessionCommands.ts"
import type { Change } from "../src/internal/Store.ts"

const seq = (s: string) => SequenceSet.parse(s, "seq")
const uid = (s: string) => SequenceSet.parse(s, "uid")
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64")

describe("Selection.resolve", () => {
  const view = [3, 7, 8, 20]
  it.each<[string, SequenceSet.SequenceSet<"seq"> | SequenceSet.SequenceSet<"uid">, ReadonlyArray<number>]>([
    ["seq 1:*", seq("1:*"), [0, 1, 2, 3]],
    ["seq *", seq("*"), [3]],
    ["seq 2,4", seq("2,4"), [1, 3]],
    ["seq 3:2 (reversed)", seq("3:2"), [1, 2]],
    ["seq 9 (past the end)", seq("9"), []],
    ["uid 7:8", uid("7:8"), [1, 2]],
    ["uid 100:* (above the highest: the last message)", uid("100:*"), [3]],
    ["uid 4:6 (no such UIDs)", uid("4:6"), []],
    ["uid *", uid("*"), [3]]
  ])("%s", (_name, set, expected) => {
    expect(Selection.resolve(set, view)).toEqual(expected)
  })
  it("an empty mailbox resolves every set to nothing", () => {
    expect(Selection.resolve(seq("1:*"), [])).toEqual([])
  })
  it.each<[string, number, boolean]>([
    ["1:*", 0, true],
    ["1:3", 3, false],
    ["2:5", 3, true],
    ["*", 3, false]
  ])("outOfRange(%s, %i) is %s", (set, count, expected) => {
    expect(Selection.outOfRange(seq(set), count)).toBe(expected)
  })
  it.each<[Command.CommandTag, boolean]>([
    ["Fetch", false],
    ["Store", false],
    ["Search", false],
    ["Copy", false],
    ["Move", false],
    ["UidFetch", true],
    ["UidStore", true],
    ["Noop", true],
    ["Idle", true],
    ["Expunge", true]
  ])("expunges may be told after %s: %s", (tag, expected) => {
    expect(Selection.mayTellExpunges(tag)).toBe(expected)
  })
})

describe("Flags.update", () => {
  const flags = (...f: Array<string>) => new Set(f)
  it.each<[string, ReadonlySet<string>, Command.StoreMode, ReadonlyArray<string>, ReadonlyArray<string>]>([
    ["add", flags("\\Seen"), "add", ["\\Flagged"], ["\\Seen", "\\Flagged"]],
    ["add is case-insensitive, first spelling kept", flags("\\Seen"), "add", ["\\SEEN"], ["\\Seen"]],
    ["remove", flags("\\Seen", "$Work"), "remove", ["$work"], ["\\Seen"]],
    ["replace", flags("\\Seen", "$Work"), "replace", ["\\Answered"], ["\\Answered"]],
    ["replace keeps \\Recent", flags("\\Recent", "\\Seen"), "replace", [], ["\\Recent"]],
    ["\\Recent cannot be added", flags(), "add", ["\\Recent"], []],
    ["\\Recent cannot be removed", flags("\\Recent"), "remove", ["\\Recent"], ["\\Recent"]]
  ])("%s", (_name, current, mode, change, expected) => {
    expect([...Flags.update(current, mode, change)]).toEqual(expected)
  })
  it("announced flags are the system flags, then each keyword once", () => {
    expect(Flags.announced([{ flags: flags("$A", "\\Seen") }, { flags: flags("$a", "$B") }])).toEqual([
      ...Flags.systemFlags,
      "$A",
      "$B"
    ])
  })
})

describe("SearchMatch.matches", () => {
  const raw = new TextEncoder().encode(
    [
      "From: Ann <ann@example.com>",
      "Subject: =?UTF-8?Q?Caf=C3=A9?= plans",
      "Date: Sun, 6 Dec 2026 23:30:00 -0500",
      "",
      "Meet at noon",
      ""
    ].join("\r\n")
  )
  const parsed = Message.parse(raw)
  const m: SearchMatch.Candidate = {
    seq: 2,
    uid: 10,
    flags: new Set(["\\Seen", "$Work"]),
    internalDate: new Date("2026-12-07T04:30:00Z"),
    size: raw.length,
    modSeq: 5n,
    message: () => parsed
  }
  const ctx: SearchMatch.SearchContext = {
    maxSeq: 3,
    maxUid: 12,
    now: new Date("2026-12-07T05:30:00Z"),
    saved: new Set([10])
  }
  it.each<[string, SearchKey.SearchKey, boolean]>([
    ["SEEN", SearchKey.seen, true],
    ["UNSEEN", SearchKey.unseen, false],
    ["KEYWORD $work (any case)", SearchKey.keyword("$work"), true],
    ["UNKEYWORD $Other", SearchKey.unkeyword("$Other"), true],
    ["FROM ann@", SearchKey.from("ANN@"), true],
    ["SUBJECT decoded", SearchKey.subject("café"), true],
    ["HEADER Subject plans", SearchKey.header("subject", "plans"), true],
    ["HEADER X-Missing (empty value needs the field)", SearchKey.header("X-Missing", ""), false],
    ["BODY noon", SearchKey.body("NOON"), true],
    ["BODY is not the header", SearchKey.body("plans"), false],
    ["TEXT is header and body", SearchKey.text("plans"), true],
    ["ON the internal date's UTC day", SearchKey.on(SearchKey.day(2026, 12, 7)), true],
    ["SENTON the Date: field's own day", SearchKey.sentOn(SearchKey.day(2026, 12, 6)), true],
    ["SENTSINCE the next day", SearchKey.sentSince(SearchKey.day(2026, 12, 7)), false],
    ["LARGER 10", SearchKey.larger(10), true],
    ["SMALLER 10", SearchKey.smaller(10), false],
    ["YOUNGER 2 hours", SearchKey.younger(7200), true],
    ["OLDER 2 hours", SearchKey.older(7200), false],
    ["UID 10:*", SearchKey.uid(uid("10:*")), true],
    ["UID $ (saved)", SearchKey.uid(SequenceSet.saved), true],
    ["sequence set *", SearchKey.sequenceSet(seq("*")), false],
    ["sequence set 1:2", SearchKey.sequenceSet(seq("1:2")), true],
    ["MODSEQ 5", SearchKey.modSeq(5n), true],
    ["MODSEQ 6", SearchKey.modSeq(6n), false],
    ["OR", SearchKey.or(SearchKey.unseen, SearchKey.flagged), false],
    ["NOT", SearchKey.not(SearchKey.flagged), true],
    ["AND", SearchKey.and(SearchKey.seen, SearchKey.from("ann")), true]
  ])("%s", (_name, key, expected) => {
    expect(SearchMatch.matches(key, m, ctx)).toBe(expected)
  })
})

describe("Sasl.decode", () => {
  it.each<[string, string, string, Sasl.Credentials | undefined]>([
    ["PLAIN", "PLAIN", b64("\u0000alice\u0000pw"), { _tag: "Password", user: "alice", password: "pw" }],
    [
      "PLAIN with an authorization id",
      "plain",
      b64("admin\u0000alice\u0000pw"),
      { _tag: "Password", user: "alice", password: "pw" }
    ],
    ["PLAIN without a user", "PLAIN", b64("\u0000\u0000pw"), undefined],
    [
      "XOAUTH2",
      "XOAUTH2",
      b64("user=alice\u0001auth=Bearer tok\u0001\u0001"),
      { _tag: "Token", user: "alice", token: "tok" }
    ],
    [
      "OAUTHBEARER with an escaped user",
      "OAUTHBEARER",
      b64("n,a=a=2Cb=3Dc,\u0001host=h\u0001port=1\u0001auth=Bearer tok\u0001\u0001"),
      { _tag: "Token", user: "a,b=c", token: "tok" }
    ],
    ["OAUTHBEARER without a token", "OAUTHBEARER", b64("n,a=alice,\u0001\u0001"), undefined],
    ["not base64", "PLAIN", "***", undefined],
    ["an unknown mechanism", "CRAM-MD5", b64("x"), undefined]
  ])("%s", (_name, mechanism, response, expected) => {
    expect(Sasl.decode(mechanism, response)).toEqual(expected)
  })
})

describe("ListPattern.matches", () => {
  it.each<[string, string, string, string, boolean]>([
    ["INBOX", "", "*", "/", true],
    ["Work/2026", "", "*", "/", true],
    ["Work/2026", "", "%", "/", false],
    ["Work", "", "%", "/", true],
    ["Work/2026", "Work/", "%", "/", true],
    ["Work", "", "work", "/", false],
    ["INBOX", "", "inbox", "/", true],
    ["a.b", "", "a%", ".", false],
    ["a+b", "", "a+b", "/", true]
  ])("%s against %j%j (delimiter %s): %s", (name, reference, pattern, delimiter, expected) => {
    expect(ListPattern.matches(name, reference, pattern, delimiter)).toBe(expected)
  })
})

describe("SessionCommands: the state a command needs", () => {
  it.each<[Command.CommandTag, SessionCommands.Needs]>([
    ["Capability", "Any"],
    ["Login", "NotAuthenticated"],
    ["StartTls", "NotAuthenticated"],
    ["List", "Authenticated"],
    ["Append", "Authenticated"],
    ["Idle", "Authenticated"],
    ["UidFetch", "Selected"],
    ["Close", "Selected"]
  ])("%s needs %s", (tag, expected) => {
    expect(SessionCommands.needs(tag)).toBe(expected)
  })
  it.each<[SessionCommands.Needs, "NotAuthenticated" | "Authenticated" | "Selected" | "Logout", boolean]>([
    ["Any", "NotAuthenticated", true],
    ["Any", "Logout", false],
    ["NotAuthenticated", "Authenticated", false],
    ["Authenticated", "Selected", true],
    ["Selected", "Authenticated", false]
  ])("%s allowed in %s: %s", (need, state, expected) => {
    expect(SessionCommands.allowed(need, state)).toBe(expected)
  })
})

describe("Faults: when refusals fire", () => {
  it.each<[string, Parameters<typeof Faults.fires>[0], Parameters<typeof Faults.fires>[1], boolean]>([
    ["a command's own tag", "Login", "Login", true],
    ["another tag", "Login", "Select", false],
    ["* is every command", "*", "Noop", true],
    ["* is not the greeting", "*", "Greeting", false]
  ])("%s", (_name, trigger, event, expected) => {
    expect(Faults.fires(trigger, event)).toBe(expected)
  })
  it.each<[{ skip?: number; times?: number }, number, boolean]>([
    [{}, 0, true],
    [{}, 9, true],
    [{ skip: 2 }, 1, false],
    [{ skip: 2 }, 2, true],
    [{ times: 1 }, 1, false],
    [{ skip: 1, times: 2 }, 2, true],
    [{ skip: 1, times: 2 }, 3, false]
  ])("refuses(%j) after %i seen: %s", (r, seen, expected) => {
    expect(Faults.refuses(r, seen)).toBe(expected)
  })
  it("an injected refusal is spent after its times; a behaviour's is not", () => {
    const f = new Faults.Faults()
    const behaviour = [{ on: "Noop", status: "NO", text: "b" } as const]
    f.inject({ _tag: "Refuse", refusal: { on: "Noop", status: "NO", text: "injected" } })
    expect(f.refusal(behaviour, "Noop")?.text).toBe("injected")
    expect(f.refusal(behaviour, "Noop")?.text).toBe("b")
    expect(f.refusal(behaviour, "Noop")?.text).toBe("b")
  })
})

describe("FetchAnswer", () => {
  const bytes = new TextEncoder().encode("0123456789")
  it.each<[Command.PartialRange | undefined, string]>([
    [undefined, "0123456789"],
    [{ offset: 0, length: 4 }, "0123"],
    [{ offset: 8, length: 4 }, "89"],
    [{ offset: 20, length: 4 }, ""]
  ])("cut(%j)", (partial, expected) => {
    expect(new TextDecoder().decode(FetchAnswer.cut(bytes, partial))).toBe(expected)
  })
  it.each<[Command.Section, string]>([
    [{ part: [] }, ""],
    [{ part: [1, 2] }, "1.2"],
    [{ part: [], text: { _tag: "Header" } }, "HEADER"],
    [{ part: [2], text: { _tag: "Mime" } }, "2.MIME"],
    [
      { part: [], text: { _tag: "HeaderFields", not: true, fields: ["Subject", "from"] } },
      "HEADER.FIELDS.NOT (SUBJECT FROM)"
    ]
  ])("sectionName(%j) is %j", (section, expected) => {
    expect(FetchAnswer.sectionName(section)).toBe(expected)
  })
  it.each<[Command.FetchItems, ReadonlyArray<string>]>([
    ["FAST", ["Flags", "InternalDate", "Rfc822Size"]],
    ["ALL", ["Flags", "InternalDate", "Rfc822Size", "Envelope"]],
    ["FULL", ["Flags", "InternalDate", "Rfc822Size", "Envelope", "BodyStructure"]]
  ])("the macro %s", (macro, expected) => {
    expect(FetchAnswer.expand(macro).map((a) => a._tag)).toEqual(expected)
  })
})

describe("Notifications.plan", () => {
  const self = {}
  const other = {}
  const added = (uid: number) => ({ _tag: "Added", uid }) as const
  const expunged = (uid: number) => ({ _tag: "Expunged", uid }) as const
  const flags = (uid: number, origin: unknown = other, silent = false) =>
    ({ _tag: "FlagsChanged", uid, origin, silent }) as const
  it.each<
    [
      string,
      ReadonlyArray<Change>,
      { tellExpunges: boolean; holdAdded: boolean },
      Omit<Notifications.Plan, "kept"> & { kept: number }
    ]
  >([
    [
      "expunges first, then new messages, then flags",
      [added(4), flags(2), expunged(1)],
      { tellExpunges: true, holdAdded: false },
      { expunged: [1], added: [4], flagged: [2], kept: 0 }
    ],
    [
      "a flag change of a message expunged in the batch is not told",
      [flags(1), expunged(1)],
      { tellExpunges: true, holdAdded: false },
      { expunged: [1], added: [], flagged: [], kept: 0 }
    ],
    [
      "a message added and expunged in one batch is not told",
      [added(5), expunged(5)],
      { tellExpunges: true, holdAdded: false },
      { expunged: [5], added: [], flagged: [], kept: 0 }
    ],
    [
      "held expunges are kept; their flag changes are told",
      [flags(1), expunged(1)],
      { tellExpunges: false, holdAdded: false },
      { expunged: [], added: [], flagged: [1], kept: 1 }
    ],
    [
      "the session's own STORE .SILENT is not told",
      [flags(3, self, true), flags(4, self, false)],
      { tellExpunges: true, holdAdded: false },
      { expunged: [], added: [], flagged: [4], kept: 0 }
    ],
    [
      "two changes of one message are told once",
      [flags(3), flags(3)],
      { tellExpunges: true, holdAdded: false },
      { expunged: [], added: [], flagged: [3], kept: 0 }
    ],
    [
      "held new messages are kept",
      [added(6)],
      { tellExpunges: true, holdAdded: true },
      { expunged: [], added: [], flagged: [], kept: 1 }
    ]
  ])("%s", (_name, pending, options, expected) => {
    const p = Notifications.plan(pending, self, options)
    expect({ expunged: p.expunged, added: p.added, flagged: p.flagged, kept: p.kept.length }).toEqual(expected)
  })
})

describe("Certificate.serialNumber", () => {
  it.each([0x00, 0x01, 0x3f, 0x7f, 0x80, 0xff])("from a first random octet 0x%s: positive and DER-minimal", (first) => {
    const hex = Certificate.serialNumber(Uint8Array.from([first, 0, 0, 0, 0, 0, 0, 1]))
    const lead = Number.parseInt(hex.slice(0, 2), 16)
    expect(hex).toHaveLength(16)
    expect(lead).toBeGreaterThanOrEqual(0x40)
    expect(lead).toBeLessThan(0x80)
  })
  it("a made certificate loads into a TLS context", () => {
    const c = Certificate.make()
    expect(() => tls.createSecureContext(c)).not.toThrow()
  })
})
