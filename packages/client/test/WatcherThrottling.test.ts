/**
 * The watcher against a throttling server: a LOGIN refused with "Too many simultaneous connections"
 * or "Request is throttled" is retried (it used to end the watcher as AuthenticationFailed), and the
 * wait the server suggested is honoured as a floor under the reconnect schedule. Time is the
 * TestClock's: the test moves it and counts the connections the peer saw.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, Watcher } from "@pkg/client"
import { Effect, Fiber, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Real time passes (sockets, fibers) while the TestClock stands still. */
const settle = (ms = 150) => Effect.promise(() => sleep(ms))

/** Polls in real time until `done` holds (or fails after 5 s). */
const until = (what: string, done: () => boolean) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 5000
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await sleep(10)
    }
  })

/** EXAMINE of an empty INBOX, then IDLE until the client leaves (DONE, LOGOUT) or goes. */
const watchEmpty = async (conn: Peer.PeerConnection) => {
  const examine = await conn.expect("EXAMINE INBOX")
  await conn.send("* 0 EXISTS", "* OK [UIDVALIDITY 7] UIDs valid", "* OK [UIDNEXT 1] Next", `${examine} OK Done`)
  await Peer.answer(conn, [], /^UID FETCH 1:\* /)
  const tag = await Peer.acceptIdle(conn)
  await Peer.acceptDone(conn, tag, 10_000)
  await Peer.acceptLogout(conn)
}

const refuseLogin = async (conn: Peer.PeerConnection, reply: string) => {
  await Peer.greet(conn)
  const tag = await conn.expect("LOGIN u p")
  await conn.send(`${tag} ${reply}`)
  await conn.ended
}

describe("the watcher and a throttling server", () => {
  it.effect("waits the server's suggested backoff before logging in again, then watches", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn, index) => {
        if (index === 0)
          return refuseLogin(conn, "NO Request is throttled. Suggested Backoff Time: 300000 milliseconds")
        await Peer.login(conn)
        await watchEmpty(conn)
      })
      const events: Array<Watcher.WatchEvent> = []
      const fiber = yield* Watcher.watchEvents({
        client: Peer.clientOptions(peer.port),
        reconnect: Schedule.spaced("1 second")
      }).pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(e))),
        Effect.provide(Checkpoint.layerMemory),
        Effect.forkChild
      )
      yield* until("the refusal", () => events.some((e) => e._tag === "Disconnected"))
      const refused = events.find((e) => e._tag === "Disconnected")
      assert.strictEqual(refused?._tag === "Disconnected" ? refused.error.reason._tag : undefined, "Throttled")
      // The schedule alone would reconnect after 1 s; the server asked for 300 s.
      yield* TestClock.adjust("1 second")
      yield* settle()
      yield* TestClock.adjust("298 seconds")
      yield* settle()
      assert.strictEqual(peer.connections(), 1)
      yield* TestClock.adjust("1 second")
      yield* until("the second connection's IDLE", () => events.some((e) => e._tag === "Watching"))
      assert.strictEqual(peer.connections(), 2)
      yield* Fiber.interrupt(fiber)
      yield* Peer.finished(peer)
    })
  )

  it.effect("keeps retrying Gmail's too-many-connections refusal on the reconnect schedule until it logs in", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn, index) => {
        if (index < 3) return refuseLogin(conn, "NO [ALERT] Too many simultaneous connections. (Failure)")
        await Peer.login(conn)
        await watchEmpty(conn)
      })
      const events: Array<Watcher.WatchEvent> = []
      const fiber = yield* Watcher.watchEvents({
        client: Peer.clientOptions(peer.port),
        reconnect: Schedule.spaced("10 seconds")
      }).pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(e))),
        Effect.provide(Checkpoint.layerMemory),
        Effect.forkChild
      )
      for (let attempt = 1; attempt <= 3; attempt++) {
        yield* until(`refusal ${attempt}`, () => events.filter((e) => e._tag === "Disconnected").length === attempt)
        assert.strictEqual(peer.connections(), attempt)
        yield* TestClock.adjust("10 seconds")
      }
      yield* until("IDLE after the refusals", () => events.some((e) => e._tag === "Watching"))
      assert.strictEqual(peer.connections(), 4)
      assert.deepStrictEqual(
        events.flatMap((e) => (e._tag === "Disconnected" ? [[e.attempt, e.error.reason._tag]] : [])),
        [
          [1, "Throttled"],
          [2, "Throttled"],
          [3, "Throttled"]
        ]
      )
      yield* Fiber.interrupt(fiber)
      yield* Peer.finished(peer)
    })
  )
})
