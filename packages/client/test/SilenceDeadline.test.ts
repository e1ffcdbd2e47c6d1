/**
 * The command timeout is a deadline on silence, kept to the configured length: it counts from the
 * last byte the server sent (or the command's start), so a reply that stops after one byte fails the
 * connection at that byte + the timeout. It used to restart a whole period whenever bytes had come
 * since its last check, firing at about twice the configured silence. TestClock for the timers,
 * real sockets for the bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** Polls (in real time: the sockets are real) until `ready` holds, for at most `ms`. */
const until = (ready: () => boolean, ms = 5000) =>
  Effect.gen(function* () {
    for (let waited = 0; !ready() && waited < ms; waited += 10) yield* sleep(10)
    return ready()
  })

describe("command silence timeout (TestClock, real sockets)", () => {
  it.effect("fails the command the configured 2 s after the server's last byte, not a period later", () =>
    Effect.gen(function* () {
      const speak = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await Effect.runPromise(Deferred.await(speak))
        // One untagged line, then nothing: the NOOP is never answered.
        await conn.send("* OK Still here")
        await conn.ended
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
      const noop = yield* Effect.forkChild(client.noop())
      assert.isTrue(yield* until(() => peer.received.some((l) => l.endsWith(" NOOP"))))
      yield* TestClock.adjust("500 millis")
      const before = SessionConnection.of(client).bytesReceived()
      Deferred.doneUnsafe(speak, Exit.void)
      assert.isTrue(yield* until(() => SessionConnection.of(client).bytesReceived() > before))
      // 1.9 s of silence since the byte at 0.5 s: still waiting.
      yield* TestClock.adjust("1900 millis")
      yield* sleep(50)
      assert.isFalse(SessionConnection.of(client).isClosed())
      // 2.1 s of silence: failed (the old deadline would have come only at 4 s).
      yield* TestClock.adjust("200 millis")
      assert.isTrue(yield* until(() => SessionConnection.of(client).isClosed(), 2000))
      const exit = yield* Fiber.await(noop)
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      assert.include(String(error), "command timed out after 2000 ms (NOOP)")
    })
  )
})
