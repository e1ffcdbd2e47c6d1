/**
 * Floods of unsolicited data against a subscriber that is behind (`session.events`, the IDLE stream,
 * the watcher): the client holds a bounded amount, never all of it. Where nothing needs the reader,
 * a subscriber that does not pull stops the client reading the socket (the server's write blocks);
 * where a command needs the reader, it goes on reading (no deadlock) and the backlog is held
 * coalesced: a run of EXISTS as the newest count. Either way every event that matters arrives, in
 * order, and a watcher over a large replay makes its FETCH wait for a slow consumer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, type ImapSession, Watcher } from "@pkg/client"
import { Effect, Fiber, Schedule, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

/** `pairs` times `* n EXPUNGE` then `* n EXISTS`: a flood nothing can coalesce. */
const expungeExists = (pairs: number, n: number) => `* ${n} EXPUNGE\r\n* ${n} EXISTS\r\n`.repeat(pairs)
const expungeExistsBytes = (pairs: number, n: number) => expungeExists(1, n).length * pairs

/** Takes batches from `pull` until `n` events came. */
const takeEvents = <A, E>(pull: Effect.Effect<NonEmptyReadonlyArray<A>, E>, n: number) =>
  Effect.gen(function* () {
    const out: Array<A> = []
    while (out.length < n) out.push(...(yield* pull))
    return out
  })

/** The index of the first event that breaks the EXPUNGE/EXISTS alternation (-1: none). */
const firstOutOfOrder = (events: ReadonlyArray<{ readonly _tag: string }>) =>
  events.findIndex((e, i) => e._tag !== (i % 2 === 0 ? "Expunge" : "Exists"))

/**
 * `session.events` pulled by hand. A stream subscribes on its first pull: that one is answered by
 * the `* 0 RECENT` of a first NOOP (`primed` on the peer's side); after it nothing is pulled.
 */
const subscribe = (client: ImapSession) =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(client.events)
    const first = yield* Effect.forkChild(pull, { startImmediately: true })
    yield* client.noop()
    yield* Fiber.join(first)
    return pull
  })

/** Selects INBOX with `exists` messages and answers the NOOP of `subscribe`. */
const primed = async (conn: Peer.PeerConnection, exists: number) => {
  await Peer.login(conn)
  await Peer.acceptSelect(conn, exists)
  const tag = await conn.expect("NOOP")
  await conn.send("* 0 RECENT", `${tag} OK NOOP completed.`)
}

/** Samples the bytes the client received twice, 200 ms apart, after `settle` ms. */
const bytesTwice = (client: ImapSession, settle: number) =>
  Effect.gen(function* () {
    yield* Effect.sleep(settle)
    const a = yield* client.bytesReceived
    yield* Effect.sleep(200)
    return [a, yield* client.bytesReceived] as const
  })

describe("session.events under a flood", () => {
  it.live("holds a run of EXISTS it has not taken as the newest count, while a NOOP's reply comes behind it", () =>
    Effect.gen(function* () {
      const count = 20_000
      const peer = yield* Peer.scoped(async (conn) => {
        await primed(conn, 0)
        const tag = await conn.expect("NOOP")
        let lines = ""
        for (let i = 1; i <= count; i++) lines += `* ${i} EXISTS\r\n`
        await conn.sendRaw(`${lines}${tag} OK NOOP completed.\r\n`)
        await Peer.acceptLogout(conn)
      })
      const batch = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const pull = yield* subscribe(client)
          yield* client.noop()
          return yield* pull
        })
      )
      assert.deepStrictEqual(batch, [{ _tag: "Exists", count }])
    })
  )

  it.live(
    "a subscriber that does not pull stops the client reading; it then gets every EXPUNGE and EXISTS in order",
    () =>
      Effect.gen(function* () {
        const pairs = 300_000
        let flushed = false
        const peer = yield* Peer.scoped(async (conn) => {
          await primed(conn, 10)
          const tag = await conn.expect("NOOP")
          await conn.send(`${tag} OK NOOP completed.`)
          // Unsolicited, with no command pending: nothing but the subscriber waits for the reader.
          await conn.sendRaw(expungeExists(pairs, 10))
          flushed = true
          await Peer.acceptLogout(conn)
        })
        const total = expungeExistsBytes(pairs, 10)
        const { events, samples, flushedWhileBehind } = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            const pull = yield* subscribe(client)
            yield* client.noop()
            const samples = yield* bytesTwice(client, 300)
            const flushedWhileBehind = flushed
            const events = yield* takeEvents(pull, 2 * pairs)
            return { events, samples, flushedWhileBehind }
          })
        )
        const [a, b] = samples
        assert.strictEqual(a, b)
        assert.isBelow(a, total / 8)
        assert.isFalse(flushedWhileBehind)
        assert.strictEqual(events.length, 2 * pairs)
        assert.strictEqual(firstOutOfOrder(events), -1)
      })
  )

  it.live(
    "a NOOP whose reply comes behind 40,000 events nobody takes still completes (buffering wins over deadlock)",
    () =>
      Effect.gen(function* () {
        const pairs = 20_000
        const peer = yield* Peer.scoped(async (conn) => {
          await primed(conn, 10)
          const tag = await conn.expect("NOOP")
          await conn.sendRaw(`${expungeExists(pairs, 10)}${tag} OK NOOP completed.\r\n`)
          await Peer.acceptLogout(conn)
        })
        const events = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            const pull = yield* subscribe(client)
            yield* client.noop().pipe(Effect.timeout("5 seconds"))
            return yield* takeEvents(pull, 2 * pairs)
          })
        )
        assert.strictEqual(events.length, 2 * pairs)
        assert.strictEqual(firstOutOfOrder(events), -1)
      })
  )

  it.live(
    "a subscriber more than 100,000 uncoalescable events behind a command's reply fails with ProtocolFailed; the session goes on",
    () =>
      Effect.gen(function* () {
        const pairs = 60_000
        const peer = yield* Peer.scoped(async (conn) => {
          await primed(conn, 10)
          const tag = await conn.expect("NOOP")
          await conn.sendRaw(`${expungeExists(pairs, 10)}${tag} OK NOOP completed.\r\n`)
          const again = await conn.expect("NOOP")
          await conn.send(`${again} OK NOOP completed.`)
          await Peer.acceptLogout(conn)
        })
        const exit = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            const pull = yield* subscribe(client)
            yield* client.noop()
            const exit = yield* Effect.exit(takeEvents(pull, 2 * pairs))
            yield* client.noop()
            return exit
          })
        )
        assert.strictEqual(exit._tag, "Failure")
        const error = exit._tag === "Failure" ? exit.cause.reasons[0] : undefined
        assert.strictEqual(error?._tag, "Fail")
        const reason = error?._tag === "Fail" ? (error.error as { reason?: { _tag: string } }).reason : undefined
        assert.strictEqual(reason?._tag, "ProtocolFailed")
      })
  )
})

describe("IDLE under a flood", () => {
  it.live(
    "a consumer that does not pull stops the client reading; it then gets every event in order and the newest EXISTS",
    () =>
      Effect.gen(function* () {
        const pairs = 300_000
        let flushed = false
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          await Peer.acceptSelect(conn, 10)
          const tag = await Peer.acceptIdle(conn)
          let run = ""
          for (let i = 11; i <= 1010; i++) run += `* ${i} EXISTS\r\n`
          await conn.sendRaw(expungeExists(pairs, 10) + run)
          flushed = true
          await Peer.acceptDone(conn, tag, 10_000)
          await Peer.acceptLogout(conn)
        })
        const total = expungeExistsBytes(pairs, 10)
        const { events, samples, flushedWhileBehind } = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            return yield* Effect.scoped(
              Effect.gen(function* () {
                // The first pull starts IDLE and takes what came with the `+`; then nothing is pulled.
                const pull = yield* Stream.toPull(client.idle())
                const events: Array<{ readonly _tag: string; readonly count?: number }> = [...(yield* pull)]
                const samples = yield* bytesTwice(client, 300)
                const flushedWhileBehind = flushed
                while (events.at(-1)?.count !== 1010) events.push(...(yield* pull))
                return { events, samples, flushedWhileBehind }
              })
            )
          })
        )
        const [a, b] = samples
        assert.strictEqual(a, b)
        assert.isBelow(a, total / 8)
        assert.isFalse(flushedWhileBehind)
        // Every pair in order, then the run of EXISTS (coalesced as far as the consumer was behind).
        const lastExpunge = events.findLastIndex((e) => e._tag === "Expunge")
        assert.strictEqual(lastExpunge, 2 * pairs - 2)
        assert.strictEqual(firstOutOfOrder(events.slice(0, 2 * pairs)), -1)
        const run = events.slice(2 * pairs - 1).map((e) => e.count ?? -1)
        assert.isTrue(run.every((c, i) => i === 0 || c > run[i - 1]!))
        assert.strictEqual(run.at(-1), 1010)
      })
  )
})

describe("Watcher under a flood", () => {
  const fetched = (uid: number) =>
    `* ${uid} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "subject number ${uid}" NIL NIL NIL NIL NIL NIL NIL "<${uid}@example.com>") RFC822.SIZE 2048 INTERNALDATE "26-Nov-2026 10:00:00 +0000")\r\n`

  /** Answers the UID FETCH `tag` with `count` messages in one write; returns the reply's length. */
  const replyWithMessages = async (conn: Peer.PeerConnection, tag: string, count: number) => {
    let lines = ""
    for (let uid = 1; uid <= count; uid++) lines += fetched(uid)
    await conn.sendRaw(`${lines}${tag} OK Fetch completed.\r\n`)
    return lines.length
  }

  /**
   * Watches from UID 1 with a consumer that stalls 400 ms on the first message and then notes
   * whether the server had flushed its whole reply meanwhile; the UIDs delivered, in order.
   */
  const watchStallingOnFirst = (port: number, count: number, flushed: () => boolean) =>
    Effect.gen(function* () {
      let flushedWhileBehind: boolean | undefined
      const uids = yield* Watcher.watch({
        client: Peer.clientOptions(port),
        reconnect: Schedule.spaced("50 millis"),
        sinceUid: 0
      }).pipe(
        Stream.tap((m) =>
          m.uid === 1
            ? Effect.sleep("400 millis").pipe(Effect.tap(() => Effect.sync(() => (flushedWhileBehind = flushed()))))
            : Effect.void
        ),
        Stream.map((m) => Number(m.uid)),
        Stream.take(count),
        Stream.runCollect,
        Effect.provide(Checkpoint.layerMemory)
      )
      return { uids, flushedWhileBehind }
    })

  it.live("a slow consumer of a burst that arrived while idling makes the FETCH wait (the next IDLE waits too)", () =>
    Effect.gen(function* () {
      const count = 30_000
      let flushed = false
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect(/^EXAMINE INBOX/)
        await conn.send(
          "* 0 EXISTS",
          "* OK [UIDVALIDITY 7] UIDs valid",
          "* OK [UIDNEXT 1] Predicted next UID",
          `${tag} OK [READ-ONLY] Examine completed.`
        )
        await Peer.answer(conn, [], /^UID FETCH 1:\* /)
        const idle = await Peer.acceptIdle(conn, "+ idling", `* ${count} EXISTS`)
        await Peer.acceptDone(conn, idle, 10_000)
        const fetch = await conn.expect(/^UID FETCH 1:\* /)
        await replyWithMessages(conn, fetch, count)
        flushed = true
        const again = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, again, 10_000)
        await Peer.acceptLogout(conn)
      })
      const { uids, flushedWhileBehind } = yield* watchStallingOnFirst(peer.port, count, () => flushed)
      yield* Peer.finished(peer)
      assert.isFalse(flushedWhileBehind)
      assert.strictEqual(uids.length, count)
      assert.isTrue(uids.every((uid, i) => uid === i + 1))
    })
  )

  it.live("a slow consumer over a large replay makes the FETCH wait; every message then arrives once, in order", () =>
    Effect.gen(function* () {
      const count = 30_000
      let flushed = false
      let reply = 0
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect(/^EXAMINE INBOX/)
        await conn.send(
          `* ${count} EXISTS`,
          "* OK [UIDVALIDITY 7] UIDs valid",
          `* OK [UIDNEXT ${count + 1}] Predicted next UID`,
          `${tag} OK [READ-ONLY] Examine completed.`
        )
        const fetch = await conn.expect(/^UID FETCH 1:\* /)
        reply = await replyWithMessages(conn, fetch, count)
        flushed = true
        const idle = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, idle, 10_000)
        await Peer.acceptLogout(conn)
      })
      const { uids, flushedWhileBehind } = yield* watchStallingOnFirst(peer.port, count, () => flushed)
      yield* Peer.finished(peer)
      assert.isAbove(reply, 6_000_000)
      assert.isFalse(flushedWhileBehind)
      assert.strictEqual(uids.length, count)
      assert.isTrue(uids.every((uid, i) => uid === i + 1))
    })
  )
})
