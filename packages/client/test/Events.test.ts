/**
 * Unsolicited data outside IDLE: what a server sends while a mailbox is selected (here with a NOOP's
 * reply) reaches `session.events` and updates the selected mailbox's state, while a FETCH that a
 * running FETCH command claimed as its own data is not published as news.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, type ImapSession, type SessionState } from "@pkg/client"
import { SequenceSet, type UntaggedData } from "@pkg/protocol"
import { Effect, Fiber, Stream, SubscriptionRef } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const caps = "IMAP4rev1 LITERAL+ ENABLE CONDSTORE QRESYNC"

/** Logs in, ENABLEs CONDSTORE and QRESYNC (so VANISHED is plausible) and selects INBOX with `exists` messages. */
const openInbox = async (conn: Peer.PeerConnection, exists: number) => {
  await Peer.login(conn, caps)
  const enable = await conn.expect("ENABLE CONDSTORE QRESYNC")
  await conn.send("* ENABLED CONDSTORE QRESYNC", `${enable} OK Enabled.`)
  await Peer.acceptSelect(conn, exists)
}

/** Answers the next NOOP with `lines` before its tagged OK. */
const answerNoop = async (conn: Peer.PeerConnection, ...lines: ReadonlyArray<string>) => {
  const tag = await conn.expect("NOOP")
  await conn.send(...lines, `${tag} OK NOOP completed.`)
}

const options = (peer: Peer.ScriptedPeer) => Peer.clientOptions(peer.port, { enable: ["CONDSTORE", "QRESYNC"] })

const isAlert = (r: UntaggedData) => r._tag === "UntaggedStatus" && r.code?._tag === "Alert"

const existsOf = (s: SessionState.SessionState) => (s._tag === "Selected" ? s.mailbox.exists : undefined)

/** Subscribes now (the fiber runs until it waits for the first event) and collects until `until` matches. */
const collectEvents = (client: ImapSession, until: (r: UntaggedData) => boolean) =>
  client.events.pipe(
    Stream.takeUntil(until),
    Stream.runCollect,
    Effect.timeout("2 seconds"),
    Effect.forkChild({ startImmediately: true })
  )

describe("session.events while Selected", () => {
  it.live("publishes EXISTS, EXPUNGE, a FETCH flag change, VANISHED and an ALERT that arrive with a NOOP's reply", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await openInbox(conn, 3)
        await answerNoop(
          conn,
          "* 4 EXISTS",
          "* 2 EXPUNGE",
          "* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged) MODSEQ (12))",
          "* VANISHED 3",
          "* OK [ALERT] Maintenance at noon"
        )
        await Peer.acceptLogout(conn)
      })
      const events = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(options(peer))
          yield* client.select("INBOX")
          const collector = yield* collectEvents(client, isAlert)
          yield* client.noop()
          return yield* Fiber.join(collector)
        })
      )
      assert.deepStrictEqual(
        events.map((r) => r._tag),
        ["Exists", "Expunge", "Fetch", "Vanished", "UntaggedStatus"]
      )
      const [exists, expunge, fetch, vanished, alert] = events
      assert.deepStrictEqual(exists, { _tag: "Exists", count: 4 })
      assert.deepStrictEqual(expunge, { _tag: "Expunge", seq: 2 })
      if (fetch?._tag !== "Fetch") return assert.fail("expected a FETCH")
      assert.deepStrictEqual(
        [fetch.seq, Number(fetch.attributes.uid), fetch.attributes.flags, fetch.attributes.modSeq],
        [1, 1, ["\\Seen", "\\Flagged"], 12n]
      )
      if (vanished?._tag !== "Vanished") return assert.fail("expected a VANISHED")
      assert.deepStrictEqual(
        { ...vanished, uids: SequenceSet.encode(vanished.uids) },
        { _tag: "Vanished", earlier: false, uids: "3" }
      )
      if (alert?._tag !== "UntaggedStatus") return assert.fail("expected an untagged OK")
      assert.strictEqual(alert.text, "Maintenance at noon")
    })
  )

  it.live("the selected mailbox's message count follows EXISTS, EXPUNGE and VANISHED (not VANISHED (EARLIER))", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await openInbox(conn, 3)
        await answerNoop(conn, "* 5 EXISTS")
        await answerNoop(conn, "* 4 EXPUNGE", "* 1 EXPUNGE")
        await answerNoop(conn, "* VANISHED 2:3")
        // EARLIER reports expunges the client already accounted for (RFC 7162 3.2.10).
        await answerNoop(conn, "* VANISHED (EARLIER) 9")
        await Peer.acceptLogout(conn)
      })
      const counts = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(options(peer))
          yield* client.select("INBOX")
          const seen: Array<[number | undefined, number | undefined]> = []
          const record = Effect.gen(function* () {
            seen.push([existsOf(yield* client.currentState), existsOf(yield* SubscriptionRef.get(client.state))])
          })
          yield* record
          for (let i = 0; i < 4; i++) {
            yield* client.noop()
            yield* record
          }
          return seen
        })
      )
      assert.deepStrictEqual(counts, [
        [3, 3],
        [5, 5],
        [3, 3],
        [1, 1],
        [1, 1]
      ])
    })
  )

  it.live("a FETCH claimed by a running UID FETCH is not published; a flag change arriving meanwhile is", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await openInbox(conn, 2)
        const fetch = await conn.expect("UID FETCH 1:* (UID RFC822.SIZE)")
        await conn.send(
          "* 1 FETCH (UID 1 RFC822.SIZE 100)",
          // Another session flagged message 2: carries UID but none of the items asked for.
          "* 2 FETCH (UID 2 FLAGS (\\Flagged) MODSEQ (20))",
          "* 2 FETCH (UID 2 RFC822.SIZE 200)",
          `${fetch} OK Fetch completed.`
        )
        // A marker that ends the test's collection of events.
        await answerNoop(conn, "* OK [ALERT] done")
        await Peer.acceptLogout(conn)
      })
      const [fetched, events] = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(options(peer))
          yield* client.select("INBOX")
          const collector = yield* collectEvents(client, isAlert)
          const fetched = yield* client
            .fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Rfc822Size" }])
            .pipe(Stream.runCollect)
          yield* client.noop()
          return [fetched, yield* Fiber.join(collector)] as const
        })
      )
      assert.deepStrictEqual(
        fetched.map((r) => [Number(r.attributes.uid), r.attributes.size]),
        [
          [1, 100],
          [2, 200]
        ]
      )
      const fetches = events.filter((r) => r._tag === "Fetch")
      assert.deepStrictEqual(
        fetches.map((r) => [r.seq, r.attributes.flags, r.attributes.size]),
        [[2, ["\\Flagged"], undefined]]
      )
      assert.strictEqual(events.length, 2)
    })
  )
})
