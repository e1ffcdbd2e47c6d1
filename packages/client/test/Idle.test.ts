/**
 * IDLE (RFC 2177) against a scripted peer: ready only after `+` whatever its text, events streamed
 * as they arrive, DONE before any other command and IDLE again after it, DONE and the tagged OK
 * when the stream closes, NOOP polling on servers without IDLE, re-issue before the server's cut-off
 * and a liveness probe on silence (both on the TestClock: the sockets are real, only the timers are
 * virtual; a quiet session starts no timer before the liveness deadline, and traffic moves that
 * deadline), a dead connection ending the stream instead of stalling it, and an IDLE closed before
 * its `+` still ended with DONE once the `+` comes.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as CountingClock from "../../../test/support/CountingClock.ts"
import * as Idle from "../src/internal/IdleLoop.ts"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const signal = (d: Deferred.Deferred<void>) => Deferred.doneUnsafe(d, Exit.void)
const waitFor = (d: Deferred.Deferred<void>) => Effect.runPromise(Deferred.await(d))

describe("starting IDLE", () => {
  for (const continuation of ["+ idling", "+ OK", "+ entering ENHANCED idle mode"]) {
    it.live(`is ready only once the server sent \`${continuation}\``, () =>
      Effect.gen(function* () {
        let continuationSent = false
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          await Peer.acceptSelect(conn, 2)
          const tag = await conn.expect("IDLE")
          await sleep(100)
          continuationSent = true
          await conn.send(continuation)
          await Peer.acceptDone(conn, tag)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            yield* Effect.scoped(
              Effect.gen(function* () {
                yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text)
                assert.isTrue(continuationSent)
              })
            )
          })
        )
      })
    )
  }

  it.live("fails with CommandFailed when the server refuses IDLE, without retrying in a loop", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 0)
        const tag = await conn.expect("IDLE")
        await conn.send(`${tag} NO [LIMIT] Too many IDLE sessions`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const error = yield* Effect.scoped(Idle.keepIdling(SessionConnection.of(client), client.greeting.text)).pipe(
            Effect.flip
          )
          assert.strictEqual(error.reason._tag, "CommandFailed")
          if (error.reason._tag === "CommandFailed") assert.strictEqual(error.reason.code, "LIMIT")
          yield* client.noop()
        })
      )
    })
  )
})

describe("the IDLE stream", () => {
  it.live("delivers EXISTS while idling, before any tagged reply, and closing it sends DONE", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const tag = await Peer.acceptIdle(conn)
        await conn.send("* 3 EXISTS")
        // The tagged OK only follows DONE, which the client sends once it has its event.
        await Peer.acceptDone(conn, tag)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const events = yield* Idle.stream(SessionConnection.of(client), client.greeting.text).pipe(
            Stream.take(1),
            Stream.runCollect
          )
          assert.deepStrictEqual(events, [{ _tag: "Exists", count: 3 }])
          const state = yield* client.currentState
          assert.strictEqual(state._tag === "Selected" ? state.mailbox.exists : -1, 3)
        })
      )
    })
  )

  it.live("a stream closed, three times over, leaves no waiter of its own on the connection's end", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        for (const count of [3, 4, 5]) {
          const tag = await Peer.acceptIdle(conn, "+ idling", `* ${count} EXISTS`)
          await Peer.acceptDone(conn, tag)
        }
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const closed = SessionConnection.of(client).closed
          const waiters = () => closed.resumes?.length ?? 0
          const before = waiters()
          const seen: Array<number> = []
          for (let i = 0; i < 3; i++) {
            const events = yield* client.idle().pipe(Stream.take(1), Stream.runCollect)
            for (const e of events) if (e._tag === "Exists") seen.push(e.count)
            assert.strictEqual(waiters(), before)
          }
          assert.deepStrictEqual(seen, [3, 4, 5])
        })
      )
    })
  )

  it.live("closing the stream waits for the tagged OK that follows DONE", () =>
    Effect.gen(function* () {
      let okSent = false
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const tag = await Peer.acceptIdle(conn)
        await conn.send("* 1 EXPUNGE")
        const done = await conn.line()
        if (done !== "DONE") throw new Error(`expected DONE, got ${done}`)
        await sleep(100)
        okSent = true
        await conn.send("* 0 RECENT", `${tag} OK Idle completed.`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const events = yield* Idle.stream(SessionConnection.of(client), client.greeting.text).pipe(
            Stream.take(1),
            Stream.runCollect
          )
          assert.deepStrictEqual(events, [{ _tag: "Expunge", seq: 1 }])
          assert.isTrue(okSent)
          yield* client.noop()
        })
      )
    })
  )

  it.live("a command issued while idling sends DONE, runs, and IDLE starts again", () =>
    Effect.gen(function* () {
      const idlingAgain = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const first = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, first)
        const status = await conn.expect("STATUS Archive (MESSAGES)")
        await conn.send("* STATUS Archive (MESSAGES 4)", `${status} OK done`)
        const second = await Peer.acceptIdle(conn)
        signal(idlingAgain)
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          yield* Effect.scoped(
            Effect.gen(function* () {
              yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text)
              const status = yield* client.status("Archive", ["MESSAGES"])
              assert.strictEqual(status.messages, 4)
              yield* Deferred.await(idlingAgain)
            })
          )
        })
      )
      assert.deepStrictEqual(
        peer.received.slice(2).map((l) => l.replace(/^A\d+ /, "")),
        ["IDLE", "DONE", "STATUS Archive (MESSAGES)", "IDLE", "DONE", "LOGOUT"]
      )
    })
  )

  it.live("a command queued after IDLE was sent but before its `+` arrived still ends IDLE", () =>
    Effect.gen(function* () {
      const idleRead = yield* Deferred.make<void>()
      const noopQueued = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const tag = await conn.expect("IDLE")
        signal(idleRead)
        await waitFor(noopQueued)
        await conn.send("+ idling")
        await Peer.acceptDone(conn, tag)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        // IDLE again, ended by the scope closing.
        const again = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, again)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          yield* Effect.scoped(
            Effect.gen(function* () {
              const idler = yield* Effect.forkChild(Idle.keepIdling(SessionConnection.of(client), client.greeting.text))
              yield* Deferred.await(idleRead)
              const noop = yield* Effect.forkChild(client.noop(), { startImmediately: true })
              yield* Deferred.succeed(noopQueued, undefined)
              yield* Fiber.join(noop).pipe(Effect.timeout("2 seconds"))
              yield* Fiber.join(idler)
            })
          )
        })
      )
    })
  )

  it.live("fails with ConnectionClosed, instead of stalling, when the connection dies while idling", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        await Peer.acceptIdle(conn)
        await conn.send("* 3 EXISTS")
        conn.destroy()
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
      yield* client.select("INBOX")
      const seen: Array<Idle.MailboxEvent> = []
      const error = yield* Idle.stream(SessionConnection.of(client), client.greeting.text).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e))),
        Effect.timeout("3 seconds"),
        Effect.flip
      )
      assert.deepStrictEqual(seen, [{ _tag: "Exists", count: 3 }])
      assert.strictEqual(error._tag, "ImapError")
      if (error._tag === "ImapError") assert.strictEqual(error.reason._tag, "ConnectionClosed")
    })
  )
})

describe("servers without IDLE", () => {
  it.live("polls with NOOP at the poll interval and streams what the NOOPs bring", () =>
    Effect.gen(function* () {
      const times: Array<number> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, "IMAP4rev1")
        await Peer.acceptSelect(conn, 3)
        for (let i = 0; ; i++) {
          const [tag, rest] = await conn.command()
          if (rest === "LOGOUT") {
            await conn.send("* BYE bye", `${tag} OK done`)
            conn.close()
            return
          }
          if (rest !== "NOOP") throw new Error(`expected NOOP, got ${rest}`)
          times.push(Date.now())
          await conn.send(...(i === 1 ? ["* 4 EXISTS"] : []), `${tag} OK NOOP completed.`)
        }
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const started = Date.now()
          const events = yield* Idle.stream(SessionConnection.of(client), client.greeting.text, {
            pollInterval: "100 millis"
          }).pipe(Stream.take(1), Stream.runCollect)
          assert.deepStrictEqual(events, [{ _tag: "Exists", count: 4 }])
          assert.isAtLeast(times.length, 2)
          assert.isAtLeast(times[0]! - started, 90)
          assert.isAtLeast(times[1]! - times[0]!, 90)
        })
      )
    })
  )
})

describe("IDLE timers (TestClock, real sockets)", () => {
  it.effect("re-issues IDLE (DONE, then IDLE again) when reissueAfter elapses", () =>
    Effect.gen(function* () {
      const reissued = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const first = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, first)
        const second = await Peer.acceptIdle(conn)
        signal(reissued)
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
          yield* client.select("INBOX")
          const scope = yield* Scope.make()
          yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text, {
            reissueAfter: "28 minutes",
            livenessDeadline: "1 hour"
          }).pipe(Scope.provide(scope))
          assert.deepStrictEqual(peer.received.slice(-1), ["A3 IDLE"])
          yield* TestClock.adjust("28 minutes")
          yield* Deferred.await(reissued)
          yield* Scope.close(scope, Exit.void)
        })
      )
    })
  )

  it.effect(
    "probes a silent connection after livenessDeadline and fails with Timeout(idle) if DONE goes unanswered",
    () =>
      Effect.gen(function* () {
        const doneSeen = yield* Deferred.make<void>()
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          await Peer.acceptSelect(conn, 2)
          await Peer.acceptIdle(conn)
          const done = await conn.line()
          if (done !== "DONE") throw new Error(`expected DONE, got ${done}`)
          signal(doneSeen)
          // A dead server: nothing more is ever answered.
          await conn.ended
        })
        const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
        yield* client.select("INBOX")
        const idler = yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text, {
          livenessDeadline: "5 minutes",
          probeTimeout: "10 seconds"
        })
        yield* TestClock.adjust("5 minutes")
        yield* Deferred.await(doneSeen)
        yield* TestClock.adjust("10 seconds")
        const exit = yield* Fiber.await(idler)
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(Option.isSome(error) ? error.value.reason._tag : "none", "Timeout")
        if (Option.isSome(error) && error.value.reason._tag === "Timeout") {
          assert.strictEqual(error.value.reason.phase, "idle")
        }
        // The connection is declared dead with that error: nothing queues behind the dead IDLE.
        assert.isTrue(SessionConnection.of(client).isClosed())
        assert.strictEqual((yield* client.noop().pipe(Effect.flip)).reason._tag, "Timeout")
      })
  )
})

describe("IDLE while nothing happens (TestClock, real sockets)", () => {
  it.effect("a quiet IDLE session starts no timer in 60 s of silence, and still probes at the liveness deadline", () =>
    Effect.gen(function* () {
      const probed = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const first = await Peer.acceptIdle(conn)
        await Peer.acceptDone(conn, first, 10_000)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        const second = await Peer.acceptIdle(conn)
        // The probe answered and IDLE resumed: the scope may close now.
        signal(probed)
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
          yield* client.select("INBOX")
          const counting = yield* CountingClock.make
          const scope = yield* Scope.make()
          yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text, {
            livenessDeadline: "5 minutes"
          }).pipe(CountingClock.provide(counting), Scope.provide(scope))
          // keepIdling returns on `+`: let its loop arm the re-issue and liveness timers first.
          yield* Effect.promise(() => sleep(50))
          const armed = counting.started()
          // The old liveness check looked once a second: 60 timers here.
          yield* TestClock.adjust("60 seconds")
          assert.strictEqual(counting.started() - armed, 0)
          yield* TestClock.adjust("240 seconds")
          yield* Deferred.await(probed)
          yield* Scope.close(scope, Exit.void)
        })
      )
    })
  )

  it.effect("traffic while idling moves the liveness probe to livenessDeadline after the last byte", () =>
    Effect.gen(function* () {
      const speak = yield* Deferred.make<void>()
      const probed = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const first = await Peer.acceptIdle(conn)
        await waitFor(speak)
        // Dovecot's keep-alive while idling (imap_idle_notify_interval): traffic, no event.
        await conn.send("* OK Still here")
        await Peer.acceptDone(conn, first, 10_000)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        const second = await Peer.acceptIdle(conn)
        // The probe answered and IDLE resumed: the scope may close now.
        signal(probed)
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
          yield* client.select("INBOX")
          const connection = SessionConnection.of(client)
          const scope = yield* Scope.make()
          yield* Idle.keepIdling(connection, client.greeting.text, { livenessDeadline: "5 minutes" }).pipe(
            Scope.provide(scope)
          )
          yield* TestClock.adjust("200 seconds")
          const before = connection.bytesReceived()
          signal(speak)
          for (let waited = 0; connection.bytesReceived() === before && waited < 5000; waited += 5) {
            yield* Effect.promise(() => sleep(5))
          }
          assert.isAbove(connection.bytesReceived(), before)
          // 299 s after the last byte (and 499 s after IDLE began): no probe yet.
          yield* TestClock.adjust("299 seconds")
          yield* Effect.promise(() => sleep(100))
          assert.deepStrictEqual(idleTraffic(peer), ["IDLE"])
          yield* TestClock.adjust("1 second")
          yield* Deferred.await(probed)
          yield* Scope.close(scope, Exit.void)
        })
      )
    })
  )
})

describe("IDLE without an answer", () => {
  it.live("fails with Timeout(command) when the server never answers IDLE with `+`", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 0)
        await conn.expect("IDLE")
        await conn.ended
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "300 millis" } }))
      yield* client.select("INBOX")
      const error = yield* Effect.scoped(Idle.keepIdling(SessionConnection.of(client), client.greeting.text)).pipe(
        Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.die("IDLE hung") }),
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "Timeout")
      if (error.reason._tag === "Timeout") assert.strictEqual(error.reason.command, "IDLE")
    })
  )
})

describe("IDLE closed before its `+`", () => {
  it.live("an IDLE whose `+` comes after the close stopped waiting for it is still ended with DONE", () =>
    Effect.gen(function* () {
      const closed = yield* Deferred.make<void>()
      const idleSent = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const tag = await conn.expect("IDLE")
        signal(idleSent)
        // The `+` only once the client gave up waiting for it (the probe timeout, 200 ms).
        await waitFor(closed)
        await conn.send("+ idling")
        await Peer.acceptDone(conn, tag)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
          yield* client.select("INBOX")
          const scope = yield* Scope.make()
          const idling = yield* Effect.forkChild(
            Idle.keepIdling(SessionConnection.of(client), client.greeting.text, { probeTimeout: "200 millis" }).pipe(
              Scope.provide(scope)
            )
          )
          yield* Deferred.await(idleSent)
          yield* Fiber.interrupt(idling)
          yield* Scope.close(scope, Exit.void)
          signal(closed)
        })
      )
    })
  )
})

describe("IDLE ended by the server", () => {
  it.live("re-issues IDLE, without a stray DONE, when the server completes IDLE on its own", () =>
    Effect.gen(function* () {
      const reissued = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 0)
        const first = await Peer.acceptIdle(conn)
        await conn.send(`${first} OK IDLE terminated (timeout)`)
        // The next thing the client sends must be a new IDLE, not DONE.
        const second = await conn.expect("IDLE", 2000)
        await conn.send("+ idling")
        signal(reissued)
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          yield* Effect.scoped(
            Effect.gen(function* () {
              yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text)
              yield* Deferred.await(reissued)
            })
          )
        })
      )
    })
  )

  it.live("keepIdling's fiber fails with ConnectionClosed as soon as the connection drops while idling", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 0)
        await Peer.acceptIdle(conn)
        conn.destroy()
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
      yield* client.select("INBOX")
      const idler = yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text)
      const exit = yield* Fiber.await(idler).pipe(
        Effect.timeoutOrElse({ duration: "2 seconds", orElse: () => Effect.die("keepIdling kept going") })
      )
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
      assert.strictEqual(Option.isSome(error) ? error.value.reason._tag : "none", "ConnectionClosed")
    })
  )
})

/** Gmail's greeting carries no capabilities, so the client asks before LOGIN. */
const loginToGmail = async (conn: Peer.PeerConnection) => {
  await conn.send("* OK Gimap ready for requests from 127.0.0.1 a1mb2345678xyz")
  const tag = await conn.expect("CAPABILITY")
  await conn.send(
    "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1",
    `${tag} OK Thats all`
  )
  await Peer.acceptLogin(conn)
}

/** What the client sent of IDLE and DONE, tags removed. */
const idleTraffic = (peer: Peer.ScriptedPeer) =>
  peer.received.map((l) => l.replace(/^A\d+ /, "")).filter((l) => l === "IDLE" || l === "DONE")

describe("IDLE re-issue defaults (TestClock, real sockets)", () => {
  for (const [server, login, minutes] of [
    ["other servers", (conn: Peer.PeerConnection) => Peer.login(conn), 28],
    ["Gmail (greeting says Gimap)", loginToGmail, 9]
  ] as const) {
    it.effect(
      `without reissueAfter, re-issues IDLE after ${minutes} minutes on ${server}, and not a second before`,
      () =>
        Effect.gen(function* () {
          const reissued = yield* Deferred.make<void>()
          const peer = yield* Peer.scoped(async (conn) => {
            await login(conn)
            await Peer.acceptSelect(conn, 2)
            const first = await Peer.acceptIdle(conn)
            await Peer.acceptDone(conn, first)
            const second = await Peer.acceptIdle(conn)
            signal(reissued)
            await Peer.acceptDone(conn, second)
            await Peer.acceptLogout(conn)
          })
          yield* Peer.check(
            peer,
            Effect.gen(function* () {
              const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
              yield* client.select("INBOX")
              const scope = yield* Scope.make()
              // The liveness probe is pushed out of the way: only the re-issue timer may end this IDLE.
              yield* Idle.keepIdling(SessionConnection.of(client), client.greeting.text, {
                livenessDeadline: "1 hour"
              }).pipe(Scope.provide(scope))
              yield* TestClock.adjust(`${minutes * 60 - 1} seconds`)
              // Real time for a premature DONE to reach the peer.
              yield* Effect.promise(() => sleep(100))
              assert.deepStrictEqual(idleTraffic(peer), ["IDLE"])
              yield* TestClock.adjust("1 second")
              yield* Deferred.await(reissued)
              yield* Scope.close(scope, Exit.void)
            })
          )
        })
    )
  }
})

describe("the liveness probe answered (TestClock, real sockets)", () => {
  it.effect("a silent connection that answers DONE and NOOP goes back to IDLE and keeps delivering events", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const first = await conn.expect("IDLE")
        // One write: the EXISTS is counted as received before the silence timer starts.
        await conn.send("+ idling", "* 3 EXISTS")
        // Then silence, until the client probes.
        await Peer.acceptDone(conn, first)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        const second = await Peer.acceptIdle(conn)
        await conn.send("* 4 EXISTS")
        await Peer.acceptDone(conn, second)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "1 hour" } }))
          yield* client.select("INBOX")
          const firstEvent = yield* Deferred.make<void>()
          const seen: Array<Idle.MailboxEvent> = []
          const consumer = yield* Idle.stream(SessionConnection.of(client), client.greeting.text, {
            livenessDeadline: "5 minutes",
            probeTimeout: "10 seconds"
          }).pipe(
            Stream.tap((e) => Effect.sync(() => seen.push(e))),
            Stream.tap(() => Deferred.succeed(firstEvent, undefined)),
            Stream.take(2),
            Stream.runDrain,
            Effect.forkChild
          )
          // The first event came after `+`: IDLE is established and its silence timer running.
          yield* Deferred.await(firstEvent)
          // Past the deadline (300 s after the last byte), and well short of the probe's own
          // 10-second timeout, which must not run out while the peer's answers are on the wire.
          yield* TestClock.adjust("301 seconds")
          yield* Fiber.join(consumer)
          assert.deepStrictEqual(seen, [
            { _tag: "Exists", count: 3 },
            { _tag: "Exists", count: 4 }
          ])
          assert.isFalse(SessionConnection.of(client).isClosed())
        })
      )
      assert.deepStrictEqual(
        peer.received.slice(2).map((l) => l.replace(/^A\d+ /, "")),
        ["IDLE", "DONE", "NOOP", "IDLE", "DONE", "LOGOUT"]
      )
    })
  )
})

describe("IDLE events besides EXISTS and EXPUNGE", () => {
  it.live(
    "VANISHED, a flag change (with and without MODSEQ) and an ALERT arrive as typed events; other OKs do not",
    () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          await Peer.acceptSelect(conn, 4)
          const tag = await Peer.acceptIdle(conn)
          await conn.send(
            "* VANISHED 5:7",
            "* OK Still here",
            "* 3 FETCH (UID 9 FLAGS (\\Seen))",
            "* 4 FETCH (UID 10 FLAGS (\\Flagged $Important) MODSEQ (12345678901234))",
            "* OK [ALERT] Mailbox is at 95% of quota"
          )
          await Peer.acceptDone(conn, tag)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            const events = yield* Idle.stream(SessionConnection.of(client), client.greeting.text).pipe(
              Stream.take(4),
              Stream.runCollect
            )
            const shown = events.map((e) => (e._tag === "Vanished" ? { ...e, uids: SequenceSet.encode(e.uids) } : e))
            assert.deepStrictEqual(shown, [
              { _tag: "Vanished", uids: "5:7", earlier: false },
              { _tag: "FlagsChanged", seq: 3, uid: 9, flags: ["\\Seen"], modSeq: undefined },
              { _tag: "FlagsChanged", seq: 4, uid: 10, flags: ["\\Flagged", "$Important"], modSeq: 12345678901234n },
              { _tag: "Alert", text: "Mailbox is at 95% of quota" }
            ])
          })
        )
      })
  )

  it.live("a BYE while idling is delivered as a Bye event, then the stream fails with ServerBye", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        await Peer.acceptIdle(conn)
        await conn.send("* 3 EXISTS", "* BYE Server shutting down")
        conn.close()
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
      yield* client.select("INBOX")
      const seen: Array<Idle.MailboxEvent> = []
      const error = yield* Idle.stream(SessionConnection.of(client), client.greeting.text).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e))),
        Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.die("the stream outlived BYE") }),
        Effect.flip
      )
      assert.deepStrictEqual(seen, [
        { _tag: "Exists", count: 3 },
        { _tag: "Bye", text: "Server shutting down" }
      ])
      assert.strictEqual(error.reason._tag, "ServerBye")
      if (error.reason._tag === "ServerBye") assert.strictEqual(error.reason.text, "Server shutting down")
      assert.isTrue(SessionConnection.of(client).isClosed())
    })
  )
})
