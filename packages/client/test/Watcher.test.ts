/**
 * The watcher against a scripted peer, for what Dovecot cannot be made to show on cue: the UID
 * range each EXISTS fetches, and when the checkpoint moves relative to the consumer (never ahead of
 * a message the consumer has not finished, not for a message whose handler failed).
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, Watcher } from "@pkg/client"
import { Deferred, Effect, Exit, Fiber, Layer, Option, Schedule, Stream } from "effect"
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

/** Reads the next command, records its text, answers `lines` and a tagged OK. */
const answer = async (conn: Peer.PeerConnection, seen: Array<string>, ...lines: ReadonlyArray<string>) => {
  const [tag, text] = await conn.command()
  seen.push(text)
  await conn.send(...lines, `${tag} OK done`)
}

/** IDLE: `+`, then `pushed` (e.g. an EXISTS); waits for DONE and ends the IDLE. */
const idleOnce = async (conn: Peer.PeerConnection, ...pushed: ReadonlyArray<string>) => {
  const tag = await conn.expect("IDLE")
  await conn.send("+ idling", ...pushed)
  const done = await conn.line(10_000)
  if (done !== "DONE") throw new Error(`expected DONE, got ${done}`)
  await conn.send(`${tag} OK Idle completed.`)
}

/** IDLE until the client closes: DONE, then LOGOUT. */
const idleUntilLogout = async (conn: Peer.PeerConnection) => {
  await idleOnce(conn)
  await Peer.acceptLogout(conn)
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
          await conn.expect("IDLE")
          await conn.send("+ idling")
          // Both messages are buffered, the consumer is on the first: drop the connection.
          await sleep(100)
          conn.destroy()
          return
        }
        // HIGHESTMODSEQ moved (the two APPENDs): the resync finds no flag change to report.
        await acceptExamine(conn, 2, 12)
        await answer(conn, commands)
        await answer(conn, commands)
        const tag = await conn.expect("IDLE")
        await conn.send("+ idling")
        signal(secondSessionIdle)
        if ((await conn.line(10_000)) !== "DONE") throw new Error("expected DONE")
        await conn.send(`${tag} OK Idle completed.`)
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
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await acceptExamine(conn, 3)
        await answer(conn, [], fetched(1), fetched(2), fetched(3))
        await idleUntilLogout(conn)
      })
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
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await acceptExamine(conn, 3)
        await answer(conn, [], fetched(1), fetched(2), fetched(3))
        await idleUntilLogout(conn)
      })
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
