/**
 * The test server held to a real one: the same session, run by the real client against Dovecot
 * (started for the run by test/support/globalSetup.ts) and against the test server with the Dovecot
 * profile, gives the same answers: SELECT's counts, SEARCH results for the keys the client sends,
 * flags after STORE, COPY's and MOVE's UIDs, STATUS counters, changed-since flags and VANISHED
 * UIDs, EXPUNGE, and what an idling session is told of another session's APPEND and EXPUNGE.
 */
import { ImapClient, ImapConfig } from "@pkg/client"
import { Command, SearchKey, SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { dovecot, freshUser } from "../../../test/support/TestServer.ts"
import * as Profile from "../src/Profile.ts"
import * as TestServer from "../src/TestServer.ts"
import { message, take } from "./support.ts"

const uids = (...n: Array<number>) => SequenceSet.fromNumbers("uid", n.map(SequenceSet.Uid) as [SequenceSet.Uid])
const sorted = (flags: ReadonlyArray<string> | undefined) => [...(flags ?? [])].sort()

const samples = [
  {
    raw: message("Invoice 42", { from: "Billing <billing@shop.example>" }),
    flags: [] as Array<string>,
    date: "2026-11-01T08:00:00Z"
  },
  { raw: message("Lunch?", { body: "Pizza at noon" }), flags: ["\\Seen"], date: "2026-12-05T08:00:00Z" },
  { raw: message("Report", { body: "x".repeat(3000) }), flags: ["\\Flagged", "$Work"], date: "2026-12-06T08:00:00Z" }
]

const keys: ReadonlyArray<readonly [string, SearchKey.SearchKey]> = [
  ["ALL", SearchKey.all],
  ["UNSEEN", SearchKey.unseen],
  ["FLAGGED", SearchKey.flagged],
  ["KEYWORD", SearchKey.keyword("$Work")],
  ["FROM", SearchKey.from("billing@")],
  ["SUBJECT", SearchKey.subject("lunch")],
  ["BODY", SearchKey.body("pizza")],
  ["LARGER", SearchKey.larger(2000)],
  ["SINCE", SearchKey.since(SearchKey.day(2026, 12, 5))],
  ["BEFORE", SearchKey.before(SearchKey.day(2026, 12, 5))],
  ["SENTON", SearchKey.sentOn(SearchKey.day(2026, 12, 7))],
  ["OR NOT", SearchKey.or(SearchKey.seen, SearchKey.not(SearchKey.flagged))],
  ["UID", SearchKey.uid(uids(2, 3))]
]

/** One session's worth of actions and what the client saw of each. */
const scenario = (options: ImapConfig.ImapClientOptions) =>
  Effect.gen(function* () {
    const client = yield* ImapClient.make(options)
    const other = yield* ImapClient.make(options)
    yield* client.create("Archive")
    for (const s of samples) yield* client.append("INBOX", s.raw, { flags: s.flags, internalDate: new Date(s.date) })
    const selected = yield* client.select("INBOX")
    const searches: Record<string, ReadonlyArray<number>> = {}
    for (const [name, key] of keys) searches[name] = yield* client.search(key)
    const stored = yield* client.store(uids(1), "add", ["\\Answered"])
    const copied = yield* client.copy(uids(2), "Archive")
    const since = (yield* client.status("INBOX", ["HIGHESTMODSEQ"])).highestModSeq ?? 0n
    yield* other.select("INBOX")
    yield* other.store(uids(2), "add", ["$Later"])
    const moved = yield* client.move(uids(3), "Archive")
    const changed = yield* client.changedSince(SequenceSet.all("uid"), since, { vanished: true })
    const status = yield* client.status("Archive", ["MESSAGES", "UIDNEXT", "UNSEEN"])
    // What an idling session is told of another session's APPEND and EXPUNGE.
    const events = yield* Effect.forkChild(take(client.idle(), 2, "10 seconds"))
    yield* Effect.sleep("200 millis")
    yield* other.append("INBOX", message("while idling"))
    yield* other.store(uids(1), "add", ["\\Deleted"], {})
    yield* other.expunge(uids(1))
    const told = yield* Fiber.join(events)
    const left = yield* Stream.runCollect(client.fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.flags]))
    return {
      selected: { exists: selected.exists, uidNext: selected.uidNext, readOnly: selected.readOnly },
      searches,
      stored: stored.updated.map((f) => sorted(f.attributes.flags)),
      copied: [copied.sourceUids, copied.destUids],
      moved: [moved.sourceUids, moved.destUids, moved.expunged],
      changed: changed.changed.map((f) => [f.attributes.uid, sorted(f.attributes.flags)]),
      vanished: changed.vanished.map((s) => SequenceSet.encode(s)),
      status,
      told: told.map((e) =>
        e._tag === "Vanished"
          ? `VANISHED ${SequenceSet.encode(e.uids)}`
          : e._tag === "Exists"
            ? `EXISTS ${e.count}`
            : e._tag
      ),
      left: left.map((f) => [f.attributes.uid, sorted(f.attributes.flags)])
    }
  }).pipe(Effect.scoped)

describe("the test server answers as Dovecot does", () => {
  it.live(
    "the same session gives the same answers on both",
    () =>
      Effect.gen(function* () {
        const d = dovecot()
        const onDovecot = yield* scenario({
          host: d.host,
          port: d.port,
          tls: "none",
          auth: ImapConfig.password(freshUser("agreement"), d.password)
        })
        const server = yield* TestServer.make({
          // Dovecot's profile without its 500 ms notification delay, which the scenario does not measure.
          behaviour: Profile.dovecot,
          accounts: [{ user: "alice", password: "pw" }]
        })
        const onTestServer = yield* scenario(server.config("alice"))
        assert.deepStrictEqual(onTestServer, onDovecot)
      }).pipe(Effect.scoped),
    60_000
  )
})
