/**
 * The test server against the real client over loopback, for the message commands: FETCH (UID,
 * FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ, BODY.PEEK[] in partial chunks), STORE (+FLAGS, -FLAGS,
 * UNCHANGEDSINCE's MODIFIED), UID SEARCH (flag, text, header, size, date and UID keys, ESEARCH
 * summaries), COPY and MOVE (COPYUID), APPEND (APPENDUID), EXPUNGE and UID EXPUNGE, and CONDSTORE /
 * QRESYNC's changed-since (VANISHED).
 */
import { ImapClient } from "@pkg/client"
import { Command, SearchKey, SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import * as TestServer from "../src/TestServer.ts"
import { message, take } from "./support.ts"

const text = (chunks: ReadonlyArray<Uint8Array>) => Buffer.concat(chunks).toString("utf8")
const uids = (...n: Array<number>) => SequenceSet.fromNumbers("uid", n.map(SequenceSet.Uid) as [SequenceSet.Uid])
const all = SequenceSet.all("uid")

const seeded = (messages: ReadonlyArray<TestServer.MessageInput>) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make({
      accounts: [{ user: "alice", password: "pw", mailboxes: { INBOX: { messages }, Archive: {} } }]
    })
    const client = yield* ImapClient.make(server.config("alice"))
    yield* client.select("INBOX")
    return { server, client }
  })

describe("FETCH", () => {
  it.live("answers UID, FLAGS, INTERNALDATE, RFC822.SIZE and MODSEQ", () =>
    Effect.gen(function* () {
      const raw = message("one")
      const { client } = yield* seeded([
        { raw, flags: ["\\Seen", "$Label"], internalDate: new Date("2026-12-01T08:00:00Z") }
      ])
      const [f] = yield* Stream.runCollect(
        client.fetch(all, [
          Command.Attr.uid,
          Command.Attr.flags,
          Command.Attr.internalDate,
          Command.Attr.rfc822Size,
          Command.Attr.modSeq
        ])
      )
      assert.strictEqual(f?.attributes.uid, 1)
      // \Recent: this session is the first to see the message read-write (IMAP4rev1).
      assert.deepStrictEqual(f?.attributes.flags, ["\\Seen", "$Label", "\\Recent"])
      assert.strictEqual(f?.attributes.internalDate, "01-Dec-2026 08:00:00 +0000")
      assert.strictEqual(f?.attributes.size, Buffer.byteLength(raw))
      assert.isDefined(f?.attributes.modSeq)
    }).pipe(Effect.scoped)
  )

  it.live("fetchBody streams the whole message in partial BODY.PEEK[]<o.n> chunks, leaving \\Seen unset", () =>
    Effect.gen(function* () {
      const raw = message("big", { body: "x".repeat(5000) })
      const { client, server } = yield* seeded([raw])
      const chunks = yield* Stream.runCollect(client.fetchBody(SequenceSet.Uid(1), undefined, { chunkSize: 1024 }))
      assert.strictEqual(text(chunks), raw)
      assert.isAbove(chunks.length, 4)
      assert.deepStrictEqual((yield* server.mailbox("alice", "INBOX"))?.messages[0]?.flags, [])
    }).pipe(Effect.scoped)
  )

  it.live("a non-PEEK BODY[] sets \\Seen", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("to read")])
      yield* Stream.runDrain(client.fetch(all, [Command.Attr.uid, Command.Attr.bodySection()]))
      assert.deepStrictEqual((yield* server.mailbox("alice", "INBOX"))?.messages[0]?.flags, ["\\Seen"])
    }).pipe(Effect.scoped)
  )
})

describe("STORE", () => {
  it.live("adds and removes flags, answering the new flags", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b")])
      const added = yield* client.store(uids(1, 2), "add", ["\\Flagged", "$Work"])
      assert.deepStrictEqual(
        added.updated.map((f) => f.attributes.flags),
        [
          ["\\Flagged", "$Work", "\\Recent"],
          ["\\Flagged", "$Work", "\\Recent"]
        ]
      )
      yield* client.store(uids(2), "remove", ["\\Flagged"])
      const stored = yield* server.mailbox("alice", "INBOX")
      assert.deepStrictEqual(
        stored?.messages.map((m) => m.flags),
        [["\\Flagged", "$Work"], ["$Work"]]
      )
    }).pipe(Effect.scoped)
  )

  it.live("UNCHANGEDSINCE older than a message's MODSEQ leaves it alone and names it in MODIFIED", () =>
    Effect.gen(function* () {
      const { client } = yield* seeded([message("a"), message("b")])
      const first = yield* client.store(uids(2), "add", ["\\Seen"])
      const modSeq = first.updated[0]?.attributes.modSeq ?? 0n
      const result = yield* client.store(uids(1, 2), "add", ["\\Flagged"], { unchangedSince: modSeq - 1n })
      assert.strictEqual(result.modified === undefined ? "" : SequenceSet.encode(result.modified), "2")
    }).pipe(Effect.scoped)
  )
})

describe("SEARCH", () => {
  const messages = [
    {
      raw: message("Invoice 42", { from: "Billing <billing@shop.example>" }),
      flags: ["\\Seen"],
      internalDate: new Date("2026-11-01T00:00:00Z")
    },
    { raw: message("Lunch?", { body: "Pizza at noon" }), flags: [], internalDate: new Date("2026-12-05T00:00:00Z") },
    {
      raw: message("Büro", { body: "x".repeat(3000) }),
      flags: ["\\Flagged"],
      internalDate: new Date("2026-12-06T00:00:00Z")
    }
  ]
  it.live.each<[string, SearchKey.SearchKey, ReadonlyArray<number>]>([
    ["ALL", SearchKey.all, [1, 2, 3]],
    ["UNSEEN", SearchKey.unseen, [2, 3]],
    ["FLAGGED", SearchKey.flagged, [3]],
    ["FROM (substring, any case)", SearchKey.from("BILLING@"), [1]],
    ["SUBJECT with non-ASCII text", SearchKey.subject("büro"), [3]],
    ["BODY", SearchKey.body("pizza"), [2]],
    ["HEADER", SearchKey.header("Subject", "invoice"), [1]],
    ["LARGER", SearchKey.larger(2000), [3]],
    ["SINCE", SearchKey.since(SearchKey.day(2026, 12, 5)), [2, 3]],
    ["BEFORE", SearchKey.before(SearchKey.day(2026, 12, 5)), [1]],
    ["UID set", SearchKey.uid(uids(2, 3)), [2, 3]],
    ["OR / NOT", SearchKey.or(SearchKey.seen, SearchKey.not(SearchKey.flagged)), [1, 2]]
  ])("UID SEARCH %s", ([_name, key, expected]) =>
    Effect.gen(function* () {
      const { client } = yield* seeded(messages)
      assert.deepStrictEqual(yield* client.search(key), expected)
    }).pipe(Effect.scoped)
  )

  it.live("ESEARCH MIN, MAX, COUNT and ALL", () =>
    Effect.gen(function* () {
      const { client } = yield* seeded(messages)
      const r = yield* client.searchSummary(SearchKey.all, ["MIN", "MAX", "COUNT", "ALL"])
      assert.strictEqual(r.min, 1)
      assert.strictEqual(r.max, 3)
      assert.strictEqual(r.count, 3)
      assert.strictEqual(r.all === undefined ? "" : SequenceSet.encode(r.all), "1:3")
    }).pipe(Effect.scoped)
  )
})

describe("COPY, MOVE, APPEND, EXPUNGE", () => {
  it.live("COPY answers COPYUID and leaves the source", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b")])
      const r = yield* client.copy(uids(1, 2), "Archive")
      assert.deepStrictEqual(
        [r.sourceUids, r.destUids],
        [
          [1, 2],
          [1, 2]
        ]
      )
      assert.strictEqual(r.uidValidity, (yield* server.mailbox("alice", "Archive"))?.uidValidity)
      assert.strictEqual((yield* server.mailbox("alice", "INBOX"))?.messages.length, 2)
    }).pipe(Effect.scoped)
  )

  it.live("MOVE answers COPYUID and expunges the source", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b")])
      const r = yield* client.move(uids(2), "Archive")
      assert.deepStrictEqual([r.sourceUids, r.destUids, r.expunged], [[2], [1], true])
      assert.deepStrictEqual(
        (yield* server.mailbox("alice", "INBOX"))?.messages.map((m) => m.uid),
        [1]
      )
    }).pipe(Effect.scoped)
  )

  it.live("APPEND answers APPENDUID; the message is stored byte for byte with its flags and date", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([])
      const raw = message("appended")
      const date = new Date("2026-10-10T10:10:10Z")
      const r = yield* client.append("Archive", raw, { flags: ["\\Draft"], internalDate: date })
      const archive = yield* server.mailbox("alice", "Archive")
      assert.deepStrictEqual([r.uid, r.uidValidity], [1, archive?.uidValidity])
      yield* client.select("Archive")
      const [f] = yield* Stream.runCollect(
        client.fetch(all, [
          Command.Attr.flags,
          Command.Attr.internalDate,
          Command.Attr.bodySection(undefined, { peek: true })
        ])
      )
      assert.deepStrictEqual(f?.attributes.flags, ["\\Draft", "\\Recent"])
      assert.strictEqual(f?.attributes.internalDate, "10-Oct-2026 10:10:10 +0000")
      assert.strictEqual(Buffer.from(f?.attributes.body?.[0]?.data ?? []).toString("utf8"), raw)
    }).pipe(Effect.scoped)
  )

  it.live("a 2 MB APPEND, arriving in many socket reads, is stored byte for byte", () =>
    Effect.gen(function* () {
      const { client } = yield* seeded([])
      const lines = Array.from({ length: 26_000 }, (_, i) => `${i} ${"abcdefghijklmnopqrstuvwxyz".repeat(3)}`)
      const raw = `Subject: large\r\n\r\n${lines.join("\r\n")}\r\n`
      const r = yield* client.append("INBOX", raw)
      const body = yield* Stream.runCollect(
        client.fetchBody(r.uid ?? SequenceSet.Uid(1), undefined, { chunkSize: 512 * 1024 })
      )
      assert.strictEqual(text(body), raw)
    }).pipe(Effect.scoped)
  )

  it.live("UID EXPUNGE removes only the named \\Deleted messages; EXPUNGE every \\Deleted one", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b"), message("c")])
      yield* client.store(uids(1, 2, 3), "add", ["\\Deleted"])
      yield* client.expunge(uids(2))
      assert.deepStrictEqual(
        (yield* server.mailbox("alice", "INBOX"))?.messages.map((m) => m.uid),
        [1, 3]
      )
      yield* client.expunge()
      assert.deepStrictEqual((yield* server.mailbox("alice", "INBOX"))?.messages, [])
    }).pipe(Effect.scoped)
  )

  it.live("SELECT with QRESYNC answers VANISHED (EARLIER) and the flags changed since the client's MODSEQ", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b"), message("c")])
      const before = yield* server.mailbox("alice", "INBOX")
      yield* server.setFlags("alice", "INBOX", 2, ["\\Seen"])
      yield* server.expunge("alice", "INBOX", [3])
      yield* client.unselect()
      const events = yield* Effect.forkChild(take(client.events, 2))
      yield* Effect.sleep("50 millis")
      yield* client.select("INBOX", {
        qresync: { uidValidity: before?.uidValidity ?? 0, modSeq: before?.highestModSeq ?? 0n }
      })
      const told = yield* Fiber.join(events)
      assert.deepStrictEqual(
        told.map((r) =>
          r._tag === "Vanished"
            ? `VANISHED${r.earlier ? " (EARLIER)" : ""} ${SequenceSet.encode(r.uids)}`
            : r._tag === "Fetch"
              ? `FETCH ${r.attributes.uid} ${r.attributes.flags?.join(" ")}`
              : r._tag
        ),
        // No \Recent: the first SELECT took it, and it belongs to one session once.
        ["VANISHED (EARLIER) 3", "FETCH 2 \\Seen"]
      )
    }).pipe(Effect.scoped)
  )

  it.live("changedSince gives the flag changes and VANISHED UIDs since a MODSEQ", () =>
    Effect.gen(function* () {
      const { client, server } = yield* seeded([message("a"), message("b"), message("c")])
      const since = (yield* server.mailbox("alice", "INBOX"))?.highestModSeq ?? 0n
      yield* server.setFlags("alice", "INBOX", 1, ["\\Answered"])
      yield* server.expunge("alice", "INBOX", [3])
      const found = yield* client.changedSince(all, since, { vanished: true })
      assert.deepStrictEqual(
        found.changed.map((f) => ({ uid: f.attributes.uid, flags: f.attributes.flags })),
        [{ uid: SequenceSet.Uid(1), flags: ["\\Answered", "\\Recent"] }]
      )
      assert.deepStrictEqual(
        found.vanished.map((s) => SequenceSet.encode(s)),
        ["3"]
      )
    }).pipe(Effect.scoped)
  )
})

describe("FETCH of the MIME structure", () => {
  const multipart = [
    "From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.com>",
    "To: bob@example.com",
    "Subject: Report",
    "Date: Sun, 6 Dec 2026 23:30:00 -0500",
    "Message-ID: <report@example.com>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "See attached.",
    "--b1",
    "Content-Type: application/octet-stream; name=data.bin",
    "Content-Transfer-Encoding: base64",
    "",
    "AAECAw==",
    "--b1--",
    ""
  ].join("\r\n")

  it.live("ENVELOPE and BODYSTRUCTURE describe the message; BODY.PEEK[section] gives its parts", () =>
    Effect.gen(function* () {
      const { client } = yield* seeded([multipart])
      const [f] = yield* Stream.runCollect(
        client.fetch(all, [
          Command.Attr.envelope,
          Command.Attr.bodyStructure,
          // BODY[1]: the first part's body (n.TEXT is only for a message/rfc822 part, RFC 9051 6.4.5).
          Command.Attr.bodySection(Command.SectionSpec.whole([1]), { peek: true }),
          Command.Attr.bodySection(Command.SectionSpec.headerFields(["Subject"]), { peek: true }),
          Command.Attr.bodySection(undefined, { peek: true, partial: { offset: 0, length: 4 } })
        ])
      )
      const a = f?.attributes
      assert.strictEqual(a?.envelope?.subject, "Report")
      assert.strictEqual(a?.envelope?.messageId, "<report@example.com>")
      assert.deepStrictEqual(
        a?.envelope?.from.map((x) => [x.mailbox, x.host]),
        [["zoe", "example.com"]]
      )
      assert.strictEqual(a?.bodyStructure?._tag, "Multipart")
      if (a?.bodyStructure?._tag === "Multipart") {
        assert.strictEqual(a.bodyStructure.subtype.toLowerCase(), "mixed")
        assert.deepStrictEqual(
          a.bodyStructure.parts.map((p) =>
            p._tag === "Multipart" ? "multipart" : `${p.type}/${p.subtype}`.toLowerCase()
          ),
          ["text/plain", "application/octet-stream"]
        )
      }
      const sections = new Map((a?.body ?? []).map((b) => [b.section, Buffer.from(b.data ?? []).toString("utf8")]))
      assert.strictEqual(sections.get("1"), "See attached.")
      assert.strictEqual(sections.get("HEADER.FIELDS (SUBJECT)"), "Subject: Report\r\n\r\n")
      assert.strictEqual(sections.get(""), "From")
    }).pipe(Effect.scoped)
  )

  it.live("SENTON compares the Date: field's own day, not its UTC day", () =>
    Effect.gen(function* () {
      const { client } = yield* seeded([multipart])
      assert.deepStrictEqual(yield* client.search(SearchKey.sentOn(SearchKey.day(2026, 12, 6))), [SequenceSet.Uid(1)])
      assert.deepStrictEqual(yield* client.search(SearchKey.sentOn(SearchKey.day(2026, 12, 7))), [])
    }).pipe(Effect.scoped)
  )
})
