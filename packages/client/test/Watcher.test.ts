/**
 * The watcher against a scripted peer, for what Dovecot cannot be made to show on cue: the UID
 * range each EXISTS fetches, and when the checkpoint moves relative to the consumer (never ahead of
 * a message the consumer has not finished, not for a message whose handler failed).
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, Watcher } from "@pkg/client"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Option, Schedule, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const key = Checkpoint.keyOf("127.0.0.1", "u", "INBOX")
const reconnect = Schedule.spaced("50 millis")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const signal = (d: Deferred.Deferred<void>) => Deferred.doneUnsafe(d, Exit.void)

const fetched = (uid: number) =>
  `* ${uid} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "s${uid}" NIL NIL NIL NIL NIL NIL NIL NIL) RFC822.SIZE 10 INTERNALDATE "26-Nov-2026 10:00:00 +0000")`

/** Answers EXAMINE INBOX: `exists` messages, UIDVALIDITY 7, UIDNEXT exists+1, optionally HIGHESTMODSEQ. */
const acceptExamine = async (conn: Peer.PeerConnection, exists: number, highestModSeq?: number) => {
  const tag = await conn.expect(/^EXAMINE INBOX( \(CONDSTORE\))?$/)
  await conn.send(
    "* FLAGS (\\Seen)",
    `* ${exists} EXISTS`,
    "* 0 RECENT",
    "* OK [UIDVALIDITY 7] UIDs valid",
    `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
    ...(highestModSeq === undefined ? [] : [`* OK [HIGHESTMODSEQ ${highestModSeq}] Highest`]),
    `${tag} OK [READ-ONLY] Examine completed.`
  )
}

/** Answers the next command with `lines` and a tagged OK, recording its text in `seen`. */
const answer = async (conn: Peer.PeerConnection, seen: Array<string>, ...lines: ReadonlyArray<string>) => {
  seen.push(await Peer.answer(conn, lines))
}

/** IDLE: `+`, then `pushed` (e.g. an EXISTS); waits for DONE (the consumer may be slow) and ends the IDLE. */
const idleOnce = async (conn: Peer.PeerConnection, ...pushed: ReadonlyArray<string>) =>
  Peer.acceptDone(conn, await Peer.acceptIdle(conn, "+ idling", ...pushed), 10_000)

/** IDLE until the client closes: DONE, then LOGOUT. */
const idleUntilLogout = async (conn: Peer.PeerConnection) => {
  await idleOnce(conn)
  await Peer.acceptLogout(conn)
}

/** A mailbox of three messages, all fetched at start (`sinceUid: 0`), then IDLE until the client closes. */
const threeMessagesThenIdle = async (conn: Peer.PeerConnection) => {
  await Peer.login(conn)
  await acceptExamine(conn, 3)
  await answer(conn, [], fetched(1), fetched(2), fetched(3))
  await idleUntilLogout(conn)
}

const storeLayer = (store: Checkpoint.CheckpointStore["Service"]) => Layer.succeed(Checkpoint.CheckpointStore, store)

describe("Watcher against a scripted peer", () => {
  it.live("fetches from the last delivered UID + 1 on every EXISTS, not from where the session began", () =>
    Effect.gen(function* () {
      const commands: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await acceptExamine(conn, 4)
        await answer(conn, commands, fetched(4))
        await idleOnce(conn, "* 5 EXISTS")
        await answer(conn, commands, fetched(5))
        await idleOnce(conn, "* 6 EXISTS")
        await answer(conn, commands, fetched(6))
        await idleUntilLogout(conn)
      })
      const got = yield* Watcher.watch({ client: Peer.clientOptions(peer.port), reconnect, sinceUid: 3 }).pipe(
        Stream.take(3),
        Stream.runCollect,
        Effect.provide(Checkpoint.layerMemory)
      )
      assert.deepStrictEqual(
        got.map((m) => Number(m.uid)),
        [4, 5, 6]
      )
      assert.deepStrictEqual(
        commands.map((c) => /^UID FETCH (\S+) /.exec(c)?.[1]),
        ["4:*", "5:*", "6:*"]
      )
    })
  )

  it.live("a reconnect's resync does not move the checkpoint past a message the consumer is still handling", () =>
    Effect.gen(function* () {
      const capabilities = "IMAP4rev1 LITERAL+ IDLE CONDSTORE"
      const secondSessionIdle = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const commands: Array<string> = []
      const peer = yield* Peer.scoped(async (conn, index) => {
        await Peer.login(conn, capabilities)
        if (index === 0) {
          await acceptExamine(conn, 0, 10)
          await answer(conn, commands)
          await idleOnce(conn, "* 2 EXISTS")
          await answer(conn, commands, fetched(1), fetched(2))
          await Peer.acceptIdle(conn)
          // Both messages are buffered, the consumer is on the first: drop the connection.
          await sleep(100)
          conn.destroy()
          return
        }
        // HIGHESTMODSEQ moved (the two APPENDs): the resync finds no flag change to report.
        await acceptExamine(conn, 2, 12)
        await answer(conn, commands)
        await answer(conn, commands)
        const tag = await Peer.acceptIdle(conn)
        signal(secondSessionIdle)
        await Peer.acceptDone(conn, tag, 10_000)
        await Peer.acceptLogout(conn)
      })
      const store = yield* Checkpoint.makeMemory
      const handled: Array<number> = []
      const consumer = yield* Watcher.watch({ client: Peer.clientOptions(peer.port), reconnect }).pipe(
        Stream.runForEach((m) =>
          Effect.gen(function* () {
            if (m.uid === 1) yield* Deferred.await(release)
            handled.push(Number(m.uid))
          })
        ),
        Effect.provide(storeLayer(store)),
        Effect.forkChild
      )
      yield* Deferred.await(secondSessionIdle)
      yield* Effect.sleep("100 millis")
      // The consumer has finished nothing: a crash now must deliver 1 and 2 again.
      const whileHandling = Option.getOrThrow(yield* store.get(key))
      assert.strictEqual(whileHandling.lastUid, 0)
      signal(release)
      yield* Effect.sleep("200 millis")
      assert.deepStrictEqual(handled, [1, 2])
      // Done with 1 and pulled past 2: the resync's checkpoint (after 2, HIGHESTMODSEQ 12) is in.
      const after = Option.getOrThrow(yield* store.get(key))
      assert.strictEqual(after.highestModSeq, "12")
      assert.isAtLeast(after.lastUid, 1)
      yield* Fiber.interrupt(consumer)
      assert.deepStrictEqual(Option.getOrThrow(yield* store.get(key)).lastUid, 2)
      assert.strictEqual(commands.filter((c) => c.startsWith("UID FETCH")).length, 4)
    })
  )

  it.live("a message whose handler fails is not committed, so a restart delivers it again", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(threeMessagesThenIdle)
      const store = yield* Checkpoint.makeMemory
      const exit = yield* Watcher.watch({ client: Peer.clientOptions(peer.port), reconnect, sinceUid: 0 }).pipe(
        Stream.runForEach((m) => (m.uid === 2 ? Effect.fail("handler failed" as const) : Effect.void)),
        Effect.provide(storeLayer(store)),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(Option.getOrThrow(yield* store.get(key)).lastUid, 1)
    })
  )

  it.live("a consumer that ends normally commits the last message it took", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(threeMessagesThenIdle)
      const store = yield* Checkpoint.makeMemory
      yield* Watcher.watch({ client: Peer.clientOptions(peer.port), reconnect, sinceUid: 0 }).pipe(
        Stream.take(2),
        Stream.runDrain,
        Effect.provide(storeLayer(store))
      )
      assert.strictEqual(Option.getOrThrow(yield* store.get(key)).lastUid, 2)
    })
  )
})

describe("Watcher: UIDVALIDITY and reconnects", () => {
  it.live(
    "skipExisting: a checkpoint of another UIDVALIDITY reports the change, skips the existing messages and stores the new epoch",
    () =>
      Effect.gen(function* () {
        const commands: Array<string> = []
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          // UIDVALIDITY 7 now, UIDNEXT 5: messages 1-4 exist already.
          await acceptExamine(conn, 4)
          // `5:*` with nothing above 4 still returns the highest message (RFC 9051 6.4.8).
          await answer(conn, commands, fetched(4))
          await idleOnce(conn, "* 5 EXISTS")
          await answer(conn, commands, fetched(5))
          await idleUntilLogout(conn)
        })
        const store = yield* Checkpoint.makeMemory
        yield* store.set(key, { uidValidity: 3, lastUid: 40 })
        const events = yield* Watcher.watchEvents({
          client: Peer.clientOptions(peer.port),
          reconnect,
          onUidValidityChange: "skipExisting"
        }).pipe(Stream.take(3), Stream.runCollect, Effect.provide(storeLayer(store)))
        assert.deepStrictEqual(events[0], {
          _tag: "UidValidityChanged",
          mailbox: "INBOX",
          previous: 3,
          current: 7,
          policy: "skipExisting"
        })
        assert.deepStrictEqual(events[1], { _tag: "Watching", mailbox: "INBOX", uidValidity: 7, lastUid: 4 })
        assert.deepStrictEqual(
          events.slice(2).map((e) => (e._tag === "NewMessage" ? Number(e.uid) : e._tag)),
          [5]
        )
        assert.deepStrictEqual(
          commands.map((c) => /^UID FETCH (\S+) /.exec(c)?.[1]),
          ["5:*", "5:*"]
        )
        const stored = Option.getOrThrow(yield* store.get(key))
        assert.strictEqual(stored.uidValidity, 7)
        assert.strictEqual(stored.lastUid, 5)
      })
  )

  it.live("after a session that reached IDLE drops, the reconnect backoff starts again from its first delay", () =>
    Effect.gen(function* () {
      const delays: Array<number> = []
      const growing = Schedule.exponential("10 millis").pipe(
        Schedule.tap((m) => Effect.sync(() => delays.push(Duration.toMillis(m.duration))))
      )
      const peer = yield* Peer.scoped(async (conn, index) => {
        // Sessions 0, 1 and 3 are cut before IDLE; 2 reaches IDLE and is then cut; 4 stays.
        if (index === 0 || index === 1 || index === 3) return conn.destroy()
        await Peer.login(conn)
        await acceptExamine(conn, 0)
        await answer(conn, [])
        if (index === 2) {
          await Peer.acceptIdle(conn)
          await sleep(50)
          return conn.destroy()
        }
        await idleUntilLogout(conn)
      })
      const events = yield* Watcher.watchEvents({ client: Peer.clientOptions(peer.port), reconnect: growing }).pipe(
        Stream.take(6),
        Stream.runCollect,
        Effect.provide(Checkpoint.layerMemory)
      )
      assert.deepStrictEqual(
        events.map((e) => (e._tag === "Disconnected" ? `Disconnected ${e.attempt}` : e._tag)),
        ["Disconnected 1", "Disconnected 2", "Watching", "Disconnected 1", "Disconnected 2", "Watching"]
      )
      // Without the reset the last two waits would have been 40 and 80 ms.
      assert.deepStrictEqual(delays, [10, 20, 10, 20])
    })
  )
})
