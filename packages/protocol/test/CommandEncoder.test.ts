/**
 * CommandEncoder: exact bytes for every command, the atom/quoted/literal choice with and without
 * LITERAL+ / LITERAL- / UTF8=ACCEPT / BINARY, segment splits at synchronising literals, the trace
 * (secrets redacted, literals abbreviated), refusals as `EncodeError`, and the untagged helpers.
 */
import { Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import * as C from "../src/Command.ts"
import * as CommandEncoder from "../src/CommandEncoder.ts"
import { EncodeError } from "../src/EncodeError.ts"
import { MAX_DEPTH } from "../src/internal/Reader.ts"
import * as K from "../src/SearchKey.ts"
import * as S from "../src/SequenceSet.ts"

type Options = CommandEncoder.EncodeOptions
const none: Options = CommandEncoder.defaultOptions
const plus: Options = { literalPlus: true, literalMinus: false }
const minus: Options = { literalPlus: false, literalMinus: true }
const utf8: Options = { literalPlus: false, literalMinus: false, utf8Accept: true }
const binary: Options = { literalPlus: false, literalMinus: false, binary: true }

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

const ok = (command: C.Command, options: Options = none, tag = "A1"): CommandEncoder.EncodedCommand => {
  const r = CommandEncoder.encode(tag, command, options)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}
const segments = (command: C.Command, options: Options = none): Array<string> => ok(command, options).segments.map(text)
const refused = (command: C.Command, options: Options = none, tag = "A1"): EncodeError => {
  const r = CommandEncoder.encode(tag, command, options)
  if (Result.isSuccess(r)) throw new Error(`accepted: ${JSON.stringify(r.success.trace)}`)
  expect(r.failure).toBeInstanceOf(EncodeError)
  return r.failure
}

const uids = S.parse("1:3,7", "uid")
const seqs = S.parse("2:*", "seq")

describe("exact bytes per command", () => {
  it.each<[string, C.Command, string]>([
    ["CAPABILITY", C.capability, "A1 CAPABILITY\r\n"],
    ["NOOP", C.noop, "A1 NOOP\r\n"],
    ["LOGOUT", C.logout, "A1 LOGOUT\r\n"],
    ["STARTTLS", C.startTls, "A1 STARTTLS\r\n"],
    ["NAMESPACE", C.namespace, "A1 NAMESPACE\r\n"],
    ["IDLE", C.idle, "A1 IDLE\r\n"],
    ["CLOSE", C.close, "A1 CLOSE\r\n"],
    ["UNSELECT", C.unselect, "A1 UNSELECT\r\n"],
    ["EXPUNGE", C.expunge, "A1 EXPUNGE\r\n"],
    ["COMPRESS", C.compress, "A1 COMPRESS DEFLATE\r\n"],
    ["AUTHENTICATE", C.authenticate("XOAUTH2"), "A1 AUTHENTICATE XOAUTH2\r\n"],
    [
      "AUTHENTICATE SASL-IR",
      C.authenticate("PLAIN", Redacted.make("AGFsaWNlAHNlY3JldA==")),
      "A1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"
    ],
    ["AUTHENTICATE empty IR", C.authenticate("EXTERNAL", Redacted.make("")), "A1 AUTHENTICATE EXTERNAL =\r\n"],
    ["LOGIN atoms", C.login("alice", Redacted.make("s3cret")), "A1 LOGIN alice s3cret\r\n"],
    ["LOGIN quoted", C.login("alice smith", Redacted.make('p"w\\d')), 'A1 LOGIN "alice smith" "p\\"w\\\\d"\r\n'],
    ["LOGIN empty", C.login("", Redacted.make("")), 'A1 LOGIN "" ""\r\n'],
    ["ENABLE", C.enable("CONDSTORE", "QRESYNC", "UTF8=ACCEPT"), "A1 ENABLE CONDSTORE QRESYNC UTF8=ACCEPT\r\n"],
    ["ID NIL", C.id(), "A1 ID NIL\r\n"],
    [
      "ID params",
      C.id({ name: "effect-imap", version: "0.1", os: undefined }),
      'A1 ID ("name" "effect-imap" "version" "0.1" "os" NIL)\r\n'
    ],
    ["ID empty", C.id({}), "A1 ID ()\r\n"],
    ["SELECT", C.select("INBOX"), "A1 SELECT INBOX\r\n"],
    ["SELECT CONDSTORE", C.select("INBOX", { condstore: true }), "A1 SELECT INBOX (CONDSTORE)\r\n"],
    [
      "SELECT QRESYNC",
      C.select("INBOX", {
        qresync: { uidValidity: 67890007, modSeq: 20050715194045000n, knownUids: S.parse("41,43:211,214:541", "uid") }
      }),
      "A1 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n"
    ],
    [
      "EXAMINE QRESYNC seq-match",
      C.examine("INBOX", {
        qresync: {
          uidValidity: 67890007,
          modSeq: 90060115194045000n,
          knownUids: S.parse("1:29997", "uid"),
          sequenceMatch: {
            sequences: S.parse("5000,7500,9000,9990:9999", "seq"),
            uids: S.parse("15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997", "uid")
          }
        }
      }),
      "A1 EXAMINE INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n"
    ],
    ["QRESYNC minimal", C.select("a", { qresync: { uidValidity: 1, modSeq: 0n } }), "A1 SELECT a (QRESYNC (1 0))\r\n"],
    ["CREATE", C.create("Projects/2024"), "A1 CREATE Projects/2024\r\n"],
    ["CREATE USE", C.create("Sent Items", { specialUse: ["\\Sent"] }), 'A1 CREATE "Sent Items" (USE (\\Sent))\r\n'],
    ["DELETE", C.delete_("Trash/old"), "A1 DELETE Trash/old\r\n"],
    ["RENAME", C.rename("a", "台北"), "A1 RENAME a &U,BTFw-\r\n"],
    ["SUBSCRIBE", C.subscribe("Tom & Jerry"), 'A1 SUBSCRIBE "Tom &- Jerry"\r\n'],
    ["UNSUBSCRIBE", C.unsubscribe("x]y"), "A1 UNSUBSCRIBE x]y\r\n"],
    ["LIST", C.list("", "*"), 'A1 LIST "" *\r\n'],
    ["LIST %", C.list("", "INBOX/%"), 'A1 LIST "" INBOX/%\r\n'],
    ["LIST quoted pattern", C.list("~/Mail/", "a b*"), 'A1 LIST ~/Mail/ "a b*"\r\n'],
    [
      "LIST extended",
      C.list("", ["INBOX", "Archive/*"], {
        selection: ["SUBSCRIBED", "RECURSIVEMATCH"],
        returnOptions: { subscribed: true, children: true, specialUse: true, status: ["MESSAGES", "UNSEEN", "SIZE"] }
      }),
      'A1 LIST (SUBSCRIBED RECURSIVEMATCH) "" (INBOX Archive/*) RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n'
    ],
    ["LIST RETURN ()", C.list("", "%", { returnOptions: {} }), 'A1 LIST "" % RETURN ()\r\n'],
    ["LSUB", C.lsub("", "*"), 'A1 LSUB "" *\r\n'],
    [
      "STATUS",
      C.status("INBOX", [
        "MESSAGES",
        "UIDNEXT",
        "UIDVALIDITY",
        "UNSEEN",
        "DELETED",
        "SIZE",
        "HIGHESTMODSEQ",
        "APPENDLIMIT",
        "MAILBOXID",
        "RECENT"
      ]),
      "A1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT MAILBOXID RECENT)\r\n"
    ],
    ["GETQUOTA", C.getQuota(""), 'A1 GETQUOTA ""\r\n'],
    ["GETQUOTAROOT", C.getQuotaRoot("INBOX"), "A1 GETQUOTAROOT INBOX\r\n"],
    ["UID EXPUNGE", C.uidExpunge(uids), "A1 UID EXPUNGE 1:3,7\r\n"],
    ["SEARCH", C.search(K.and(K.unseen, K.since(K.day(2024, 1, 5)))), "A1 SEARCH UNSEEN SINCE 5-Jan-2024\r\n"],
    ["UID SEARCH ESEARCH", C.uidSearch(K.all, { returnOptions: ["COUNT"] }), "A1 UID SEARCH RETURN (COUNT) ALL\r\n"],
    ["FETCH macro", C.fetch(seqs, "FAST"), "A1 FETCH 2:* FAST\r\n"],
    [
      "FETCH list",
      C.fetch(S.parse("1", "seq"), [
        C.Attr.uid,
        C.Attr.flags,
        C.Attr.internalDate,
        C.Attr.rfc822Size,
        C.Attr.envelope,
        C.Attr.bodyStructure
      ]),
      "A1 FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n"
    ],
    [
      "FETCH sections",
      C.fetch(S.parse("1", "seq"), [
        C.Attr.bodySection(),
        C.Attr.bodySection(C.SectionSpec.header(), { peek: true }),
        C.Attr.bodySection(C.SectionSpec.headerFields(["Subject", "From"], { not: true })),
        C.Attr.bodySection(C.SectionSpec.text([1, 2])),
        C.Attr.bodySection(C.SectionSpec.mime([2])),
        C.Attr.bodySection(C.SectionSpec.whole([3]), { peek: true, partial: { offset: 0, length: 1024 } })
      ]),
      "A1 FETCH 1 (BODY[] BODY.PEEK[HEADER] BODY[HEADER.FIELDS.NOT (Subject From)] BODY[1.2.TEXT] BODY[2.MIME] BODY.PEEK[3]<0.1024>)\r\n"
    ],
    [
      "FETCH binary & extensions",
      C.fetch(S.parse("1", "seq"), [
        C.Attr.binary([1], { peek: true }),
        C.Attr.binary([], { partial: { offset: 10, length: 20 } }),
        C.Attr.binarySize([1, 2]),
        C.Attr.modSeq,
        C.Attr.emailId,
        C.Attr.threadId,
        C.Attr.preview(),
        C.Attr.preview(true),
        C.Attr.gmailMessageId,
        C.Attr.gmailThreadId,
        C.Attr.gmailLabels,
        C.Attr.body,
        C.Attr.rfc822,
        C.Attr.rfc822Header,
        C.Attr.rfc822Text
      ]),
      "A1 FETCH 1 (BINARY.PEEK[1] BINARY[]<10.20> BINARY.SIZE[1.2] MODSEQ EMAILID THREADID PREVIEW PREVIEW (LAZY) X-GM-MSGID X-GM-THRID X-GM-LABELS BODY RFC822 RFC822.HEADER RFC822.TEXT)\r\n"
    ],
    [
      "FETCH CHANGEDSINCE",
      C.fetch(S.all("seq"), [C.Attr.flags], { changedSince: 12345n }),
      "A1 FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n"
    ],
    [
      "UID FETCH VANISHED",
      C.uidFetch(S.from("uid", S.Uid(300)), [C.Attr.flags], { changedSince: 12345n, vanished: true }),
      "A1 UID FETCH 300:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"
    ],
    ["STORE", C.store(seqs, "add", ["\\Seen"]), "A1 STORE 2:* +FLAGS (\\Seen)\r\n"],
    [
      "STORE -FLAGS.SILENT",
      C.store(seqs, "remove", ["\\Flagged", "$Junk"], { silent: true }),
      "A1 STORE 2:* -FLAGS.SILENT (\\Flagged $Junk)\r\n"
    ],
    ["STORE replace empty", C.store(seqs, "replace", []), "A1 STORE 2:* FLAGS ()\r\n"],
    [
      "UID STORE UNCHANGEDSINCE",
      C.uidStore(uids, "replace", ["\\Deleted"], { unchangedSince: 320162338n, silent: true }),
      "A1 UID STORE 1:3,7 (UNCHANGEDSINCE 320162338) FLAGS.SILENT (\\Deleted)\r\n"
    ],
    ["COPY", C.copy(seqs, "Archive"), "A1 COPY 2:* Archive\r\n"],
    ["UID COPY", C.uidCopy(uids, "Archive"), "A1 UID COPY 1:3,7 Archive\r\n"],
    ["MOVE", C.move(S.last("seq"), "Trash"), "A1 MOVE * Trash\r\n"],
    ["UID MOVE saved", C.uidMove(S.saved, "Trash"), "A1 UID MOVE $ Trash\r\n"]
  ])("%s", (_name, command, expected) => {
    const encoded = ok(command)
    expect(encoded.segments).toHaveLength(1)
    expect(text(encoded.segments[0]!)).toBe(expected)
    expect(encoded.tag).toBe("A1")
  })
})

describe("literal choices", () => {
  const password = Redacted.make("pass\r\nword") // CR/LF forces a literal
  it("synchronising literal splits segments", () => {
    expect(segments(C.login("bob", password))).toEqual(["A1 LOGIN bob {10}\r\n", "pass\r\nword\r\n"])
  })
  it("LITERAL+ makes every literal non-synchronising: one segment", () => {
    expect(segments(C.login("bob", password), plus)).toEqual(["A1 LOGIN bob {10+}\r\npass\r\nword\r\n"])
    const big = new Uint8Array(10_000).fill(0x61)
    expect(ok(C.append("INBOX", big), plus).segments).toHaveLength(1)
  })
  it("LITERAL- only up to 4096 bytes", () => {
    const at = new Uint8Array(4096).fill(0x61)
    const over = new Uint8Array(4097).fill(0x61)
    const small = ok(C.append("INBOX", at), minus).segments.map(text)
    expect(small).toHaveLength(1)
    expect(small[0]!.startsWith("A1 APPEND INBOX {4096+}\r\n")).toBe(true)
    const large = ok(C.append("INBOX", over), minus).segments.map(text)
    expect(large).toHaveLength(2)
    expect(large[0]).toBe("A1 APPEND INBOX {4097}\r\n")
  })
  it("several literals give several segments, each waiting for +", () => {
    expect(segments(C.rename("a\nb", "c\rd"), utf8)).toEqual(["A1 RENAME {3}\r\n", "a\nb {3}\r\n", "c\rd\r\n"])
    // Without UTF8=ACCEPT modified UTF-7 turns the same names into atoms.
    expect(segments(C.rename("a\nb", "c\rd"))).toEqual(["A1 RENAME a&AAo-b c&AA0-d\r\n"])
  })
  it("8-bit text is a literal without UTF8=ACCEPT and quoted UTF-8 with it", () => {
    expect(segments(C.search(K.subject("日本")))).toEqual(["A1 SEARCH SUBJECT {6}\r\n", "日本\r\n"])
    expect(segments(C.search(K.subject("日本")), utf8)).toEqual(['A1 SEARCH SUBJECT "日本"\r\n'])
    expect(segments(C.select("日本"), utf8)).toEqual(['A1 SELECT "日本"\r\n'])
    expect(segments(C.select("a&b"), utf8)).toEqual(["A1 SELECT a&b\r\n"])
    // C1 controls are never quoted, even under UTF8=ACCEPT.
    expect(segments(C.login("a\u0085", Redacted.make("x")), utf8)).toEqual(["A1 LOGIN {3}\r\n", "a\u0085 x\r\n"])
  })
  it("control characters and long strings are literals", () => {
    expect(segments(C.login("a\tb", Redacted.make("x")))).toEqual(["A1 LOGIN {3}\r\n", "a\tb x\r\n"])
    const long = "x y".repeat(400) // 1200 bytes: over the quoted limit
    expect(segments(C.login(long, Redacted.make("x")))[0]).toBe("A1 LOGIN {1200}\r\n")
    const edge = `${"a ".repeat(512)}` // 1024 bytes: still quoted
    expect(segments(C.login(edge, Redacted.make("x")))[0]!.startsWith('A1 LOGIN "a a')).toBe(true)
  })
  it("APPEND: flags, date, literal; NUL needs BINARY and goes as ~{n}", () => {
    const date = new Date(Date.UTC(1994, 1, 7, 21, 52, 25))
    expect(
      segments(C.append("Sent", bytes("Hi\r\n"), { flags: ["\\Seen", "$Forwarded"], internalDate: date }))
    ).toEqual(['A1 APPEND Sent (\\Seen $Forwarded) "07-Feb-1994 21:52:25 +0000" {4}\r\n', "Hi\r\n\r\n"])
    const nul = Uint8Array.of(0x61, 0, 0x62)
    expect(refused(C.append("INBOX", nul)).field).toBe("Append.message")
    expect(segments(C.append("INBOX", nul), binary)).toEqual(["A1 APPEND INBOX ~{3}\r\n", "a\0b\r\n"])
    expect(segments(C.append("INBOX", nul), { ...binary, literalPlus: true })).toEqual([
      "A1 APPEND INBOX ~{3+}\r\na\0b\r\n"
    ])
    // Without NUL, BINARY does not change the literal.
    expect(segments(C.append("INBOX", bytes("x")), binary)).toEqual(["A1 APPEND INBOX {1}\r\n", "x\r\n"])
  })
})

describe("trace", () => {
  it("redacts LOGIN passwords in every form", () => {
    expect(ok(C.login("alice", Redacted.make("hunter2"))).trace).toBe("A1 LOGIN alice <redacted>")
    expect(ok(C.login("alice", Redacted.make("hunter 2"))).trace).toBe("A1 LOGIN alice <redacted>")
    const lit = ok(C.login("alice", Redacted.make("hunter\r\n2")), plus)
    expect(lit.trace).toBe("A1 LOGIN alice <redacted>")
    expect(lit.trace).not.toContain("hunter")
  })
  it("redacts the AUTHENTICATE initial response", () => {
    expect(ok(C.authenticate("PLAIN", Redacted.make("AGFsaWNlAHNlY3JldA=="))).trace).toBe(
      "A1 AUTHENTICATE PLAIN <redacted>"
    )
  })
  it("abbreviates literal bodies and stays on one line", () => {
    const t = ok(C.append("INBOX", new Uint8Array(5000).fill(0x41))).trace
    expect(t).toBe("A1 APPEND INBOX {5000} <5000 bytes>")
    expect(ok(C.select("a\r\nb"), utf8).trace).toBe("A1 SELECT {4} <4 bytes>")
  })
})

describe("refusals", () => {
  it.each<[string, C.Command, string]>([
    ["keyword with space", C.store(seqs, "add", ["bad flag"]), "Store.flags[0]"],
    ["keyword with CRLF", C.store(seqs, "add", ["x\r\nA2 LOGOUT"]), "Store.flags[0]"],
    ["keyword with paren", C.append("INBOX", bytes("x"), { flags: ["a)"] }), "Append.flags[0]"],
    ["mechanism with space", C.authenticate("PLAIN X"), "Authenticate.mechanism"],
    ["IR with CRLF", C.authenticate("PLAIN", Redacted.make("AAAA\r\nA2 LOGOUT")), "Authenticate.initialResponse"],
    ["IR not base64", C.authenticate("PLAIN", Redacted.make("a b")), "Authenticate.initialResponse"],
    ["capability with space", C.enable("A B"), "Enable.capabilities[0]"],
    ["NUL in user", C.login("a\0", Redacted.make("x")), "Login.user"],
    ["lone surrogate", C.select("\uD800"), "Select.mailbox"],
    ["uid 0", C.uidFetch(S.single("uid", S.Uid(0)), "ALL"), "UidFetch.set"],
    ["uid too big", C.uidExpunge(S.single("uid", S.Uid(2 ** 32))), "UidExpunge.uids"],
    [
      "VANISHED without CHANGEDSINCE",
      { _tag: "UidFetch", set: uids, items: "ALL", vanished: true },
      "UidFetch.vanished"
    ],
    [
      "MIME without part",
      C.fetch(seqs, [C.Attr.bodySection({ part: [], text: { _tag: "Mime" } })]),
      "Fetch.items[0].section"
    ],
    ["part 0", C.fetch(seqs, [C.Attr.binary([0])]), "Fetch.items[0].part[0]"],
    [
      "partial length 0",
      C.fetch(seqs, [C.Attr.bodySection(undefined, { partial: { offset: 0, length: 0 } })]),
      "Fetch.items[0].partial.length"
    ],
    ["negative modseq", C.fetch(seqs, "ALL", { changedSince: -1n }), "Fetch.changedSince"],
    ["modseq above 2^63-1", C.fetch(seqs, "ALL", { changedSince: 2n ** 63n }), "Fetch.changedSince"],
    ["uidvalidity 0", C.select("a", { qresync: { uidValidity: 0, modSeq: 1n } }), "Select.qresync.uidValidity"],
    [
      "seq-match without known uids",
      C.select("a", { qresync: { uidValidity: 1, modSeq: 1n, sequenceMatch: { sequences: seqs, uids } } }),
      "Select.qresync.sequenceMatch"
    ],
    ["special-use not a \\flag", C.create("a", { specialUse: ["Sent"] }), "Create.specialUse[0]"],
    [
      "append date out of range",
      C.append("a", bytes("x"), { internalDate: new Date("+010000-01-01T00:00:00Z") }),
      "Append.internalDate"
    ],
    ["empty ENABLE", { _tag: "Enable", capabilities: [] as unknown as [string] }, "Enable.capabilities"],
    ["empty STATUS", { _tag: "Status", mailbox: "a", items: [] as unknown as ["MESSAGES"] }, "Status.items"]
  ])("%s", (_name, command, field) => {
    expect(refused(command).field).toBe(field)
  })
  const nested = (n: number, wrap: (k: K.SearchKey) => K.SearchKey): K.SearchKey => {
    let key: K.SearchKey = K.all
    for (let i = 0; i < n; i++) key = wrap(key)
    return key
  }
  const wrappers: ReadonlyArray<[string, (k: K.SearchKey) => K.SearchKey]> = [
    ["NOT", K.not],
    ["OR", (k) => K.or(k, K.seen)],
    ["( )", (k) => K.and(k)]
  ]
  it.each(wrappers)("refuses search keys nested 10,000 deep in %s, without a stack overflow", (_name, wrap) => {
    const e = refused(C.search(nested(10_000, wrap)))
    expect(e.message).toMatch(/nested deeper/)
    expect(e.field.startsWith("Search.criteria.")).toBe(true)
  })
  it.each(wrappers)("encodes search keys nested in %s up to the limit, not one level more", (_name, wrap) => {
    expect(ok(C.search(nested(MAX_DEPTH, wrap))).trace.length).toBeGreaterThan(0)
    refused(C.search(nested(MAX_DEPTH + 1, wrap)))
  })
  // Values that defeat the types (a cast, untyped JSON): refused, never sent as a truncated command.
  const forged = <A>(tag: string): A => ({ _tag: tag }) as A
  it.each<[string, C.Command, string]>([
    ["unknown search key", C.search(forged("Bogus")), "Search.criteria"],
    ["unknown search key inside NOT", C.search(K.not(forged("Bogus"))), "Search.criteria.key"],
    ["unknown search key in a top-level AND", C.search(K.and(K.seen, forged("Bogus"))), "Search.criteria.keys[1]"],
    ["unknown fetch attribute", C.fetch(seqs, [forged<C.FetchAttribute>("Bogus")]), "Fetch.items[0]"],
    [
      "unknown fetch attribute named after an Object method",
      C.fetch(seqs, [forged<C.FetchAttribute>("toString")]),
      "Fetch.items[0]"
    ],
    [
      "unknown section text",
      C.fetch(seqs, [C.Attr.bodySection({ part: [1], text: forged("Bogus") })]),
      "Fetch.items[0].section.text"
    ],
    ["unknown command", forged("Bogus"), "command"]
  ])("refuses an %s", (_name, command, field) => {
    const e = refused(command)
    expect(e.field).toBe(field)
    expect(e.message).toMatch(/unknown .*"(Bogus|toString)"/)
  })
  it.each(["", "a b", "a+b", "a\r\n", "a(", "a{", 'a"', "a*", "日"])("refuses tag %j", (tag) => {
    expect(refused(C.noop, none, tag).field).toBe("tag")
  })
  it("accepts tags with ] and other ASTRING-CHARs", () => {
    expect(text(ok(C.noop, none, "a]1.x-").segments[0]!)).toBe("a]1.x- NOOP\r\n")
  })
})

describe("untagged helpers", () => {
  it("DONE and cancel", () => {
    expect(text(CommandEncoder.encodeDone())).toBe("DONE\r\n")
    expect(text(CommandEncoder.encodeCancel())).toBe("*\r\n")
  })
  it("continuation responses refuse CR/LF/NUL and a bare *", () => {
    const r = CommandEncoder.encodeContinuation("dGVzdA==")
    expect(Result.isSuccess(r) && text(r.success)).toBe("dGVzdA==\r\n")
    const empty = CommandEncoder.encodeContinuation("")
    expect(Result.isSuccess(empty) && text(empty.success)).toBe("\r\n")
    for (const bad of ["a\r\nb", "a\nb", "a\rb", "a\0", "*", "\uDC00"]) {
      const f = CommandEncoder.encodeContinuation(bad)
      expect(Result.isFailure(f) && f.failure._tag).toBe("EncodeError")
    }
  })
  it("is yieldable as a Result", () => {
    const r = CommandEncoder.encode("A1", C.noop)
    expect(Result.getOrThrow(r).trace).toBe("A1 NOOP")
  })
})
