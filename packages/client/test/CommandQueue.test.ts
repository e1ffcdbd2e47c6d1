/**
 * The connection's command queue: independent commands are pipelined (all written before any reply),
 * state-changing ones run alone, replies are routed by tag and by content even when the server
 * answers out of order, a command refused by the session state never reaches the wire, a caller that
 * gives up leaves its reply to be drained, and a synchronising literal waits for `+` (or for the
 * tagged NO that replaces it).
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig, type SessionState } from "@pkg/client"
import { SearchKey, SequenceSet } from "@pkg/protocol"
import { Deferred, Effect, Exit, Fiber, Stream, SubscriptionRef } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

/** Forks `effect` and runs it until it suspends: a command is queued by the time this returns. */
const startNow = <A, E>(effect: Effect.Effect<A, E>) => Effect.forkChild(effect, { startImmediately: true })

/** Capabilities without LITERAL+: every literal is synchronising (Courier). */
const noLiteralPlus = "IMAP4rev1 IDLE UIDPLUS"

describe("pipelining", () => {
  it.live("writes two independent commands before either reply arrives", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        // Both lines must arrive while neither has been answered.
        const first = await conn.line(1000)
        const second = await conn.line(1000)
        const lines = [first, second].sort()
        if (lines[0] !== "A2 STATUS a (MESSAGES)" || lines[1] !== "A3 STATUS b (MESSAGES)") {
          throw new Error(`unexpected ${JSON.stringify(lines)}`)
        }
        await conn.send("* STATUS a (MESSAGES 1)", "A2 OK done", "* STATUS b (MESSAGES 2)", "A3 OK done")
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const [a, b] = yield* Effect.all([client.status("a", ["MESSAGES"]), client.status("b", ["MESSAGES"])], {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual([a.messages, b.messages], [1, 2])
        })
      )
    })
  )

  it.live("routes NOOP and CAPABILITY replies answered out of order to their own commands", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const [t1, r1] = await conn.command(1000)
        const [t2, r2] = await conn.command(1000)
        const capTag = r1 === "CAPABILITY" ? t1 : t2
        const noopTag = r1 === "NOOP" ? t1 : r2 === "NOOP" ? t2 : ""
        if (noopTag === "") throw new Error(`expected NOOP and CAPABILITY, got ${r1}, ${r2}`)
        // The later command is answered first.
        const [early, late] = capTag === t2 ? ["cap", "noop"] : ["noop", "cap"]
        for (const which of [early, late]) {
          if (which === "cap") await conn.send("* CAPABILITY IMAP4rev1 IDLE LITERAL+ XFOO", `${capTag} OK done`)
          else await conn.send(`${noopTag} OK done`)
        }
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const [, caps] = yield* Effect.all([client.noop(), client.refreshCapabilities], { concurrency: "unbounded" })
          assert.isTrue(caps.has("XFOO"))
        })
      )
    })
  )

  it.live("gives each STATUS its own data when the server answers the second one first", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const a = await conn.expect("STATUS a (MESSAGES)", 1000)
        const b = await conn.expect("STATUS b (MESSAGES)", 1000)
        await conn.send("* STATUS b (MESSAGES 2)", `${b} OK done`, "* STATUS a (MESSAGES 1)", `${a} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          // Started at once, so a is queued (and tagged) before b.
          const a = yield* startNow(client.status("a", ["MESSAGES"]))
          const b = yield* client.status("b", ["MESSAGES"])
          assert.deepStrictEqual([(yield* Fiber.join(a)).messages, b.messages], [1, 2])
        })
      )
    })
  )

  it.live("holds SELECT back until earlier commands are answered, and later commands until SELECT is", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const status = await conn.expect("STATUS a (MESSAGES)")
        await conn.expectSilence(150)
        await conn.send("* STATUS a (MESSAGES 1)", `${status} OK done`)
        const select = await conn.expect("SELECT INBOX")
        await conn.expectSilence(150)
        await conn.send("* 0 EXISTS", "* OK [UIDVALIDITY 7] ok", `${select} OK [READ-WRITE] done`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const status = yield* startNow(client.status("a", ["MESSAGES"]))
          const select = yield* startNow(client.select("INBOX"))
          yield* client.noop()
          assert.strictEqual((yield* Fiber.join(status)).messages, 1)
          assert.strictEqual((yield* Fiber.join(select)).uidValidity, 7)
        })
      )
    })
  )
})

describe("session state", () => {
  it.live("fails a command not allowed in the current state with InvalidState before writing anything", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        // The very next line is the NOOP: SEARCH and EXPUNGE never reached the wire.
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(
            Peer.clientOptions(peer.port, { trace: (d, l) => lines.push(`${d}: ${l}`) })
          )
          const search = yield* client.search(SearchKey.all).pipe(Effect.flip)
          assert.strictEqual(search.reason._tag, "InvalidState")
          assert.isFalse(search.isRetryable)
          if (search.reason._tag === "InvalidState") {
            assert.strictEqual(search.reason.state, "Authenticated")
            assert.deepStrictEqual(search.reason.expected, ["Selected"])
          }
          const expunge = yield* client.expunge().pipe(Effect.flip)
          assert.strictEqual(expunge.reason._tag, "InvalidState")
          const login = yield* client.login(ImapConfig.password("u", "p")).pipe(Effect.flip)
          assert.strictEqual(login.reason._tag, "InvalidState")
          yield* client.noop()
          assert.isFalse(lines.some((l) => /SEARCH|EXPUNGE/.test(l)))
          assert.strictEqual(lines.filter((l) => l.includes("LOGIN")).length, 1)
        })
      )
    })
  )
})

describe("state transitions", () => {
  it.live("a failed SELECT leaves the session Authenticated (RFC 9051 6.3.2), so SEARCH is refused locally", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 1)
        const select = await conn.expect("SELECT Nope")
        await conn.send(`${select} NO [NONEXISTENT] Mailbox doesn't exist: Nope`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const error = yield* client.select("Nope").pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "CommandFailed")
          if (error.reason._tag === "CommandFailed") assert.strictEqual(error.reason.code, "NONEXISTENT")
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          assert.strictEqual((yield* client.search(SearchKey.all).pipe(Effect.flip)).reason._tag, "InvalidState")
          yield* client.noop()
        })
      )
    })
  )

  for (const command of ["CLOSE", "UNSELECT"] as const) {
    it.live(`${command} returns the session to Authenticated, so SEARCH is refused locally`, () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn, "IMAP4rev1 UNSELECT")
          await Peer.acceptSelect(conn, 1)
          const tag = await conn.expect(command)
          await conn.send(`${tag} OK ${command} completed`)
          const noop = await conn.expect("NOOP")
          await conn.send(`${noop} OK done`)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            yield* command === "CLOSE" ? client.close() : client.unselect()
            assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
            assert.strictEqual((yield* client.search(SearchKey.all).pipe(Effect.flip)).reason._tag, "InvalidState")
            yield* client.noop()
          })
        )
      })
    )
  }

  it.live("the state SubscriptionRef follows the session: Selected after SELECT, Logout once the connection dies", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 1)
        await conn.expect("NOOP")
        await conn.ended
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "200 millis" } }))
      yield* client.select("INBOX")
      assert.strictEqual((yield* SubscriptionRef.get(client.state))._tag, "Selected")
      yield* client.noop().pipe(Effect.flip)
      assert.strictEqual((yield* client.currentState)._tag, "Logout")
      assert.strictEqual((yield* SubscriptionRef.get(client.state))._tag, "Logout")
    })
  )

  it.live("SubscriptionRef.changes(state) gives the current state first, then each change", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 1)
        await Peer.answer(conn, [], /^UNSELECT$/)
        await Peer.acceptSelect(conn, 2)
        await conn.expect("NOOP")
        await conn.ended
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "200 millis" } }))
      const tags = (states: ReadonlyArray<SessionState.SessionState>) =>
        states.map((s) => (s._tag === "Selected" ? `Selected ${s.mailbox.exists}` : s._tag))
      // Subscribed before anything changed: the state as it is, then every change.
      const early = yield* SubscriptionRef.changes(client.state).pipe(
        Stream.takeUntil((s) => s._tag === "Logout"),
        Stream.runCollect,
        startNow
      )
      yield* client.select("INBOX")
      yield* client.unselect()
      yield* client.select("INBOX")
      // Subscribed late: the state now first (Selected), then what follows.
      const late = yield* SubscriptionRef.changes(client.state).pipe(
        Stream.takeUntil((s) => s._tag === "Logout"),
        Stream.runCollect,
        startNow
      )
      yield* client.noop().pipe(Effect.flip)
      assert.deepStrictEqual(tags(yield* Fiber.join(early)), [
        "Authenticated",
        "Selected 1",
        "Authenticated",
        "Selected 2",
        "Logout"
      ])
      assert.deepStrictEqual(tags(yield* Fiber.join(late)), ["Selected 2", "Logout"])
    })
  )
})

describe("callers that give up", () => {
  it.live("drains the reply of a command whose caller timed out; the next command gets its own reply", () =>
    Effect.gen(function* () {
      const gaveUp = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const first = await conn.expect("STATUS a (MESSAGES)")
        await Effect.runPromise(Deferred.await(gaveUp))
        await conn.send("* STATUS a (MESSAGES 1)", `${first} OK late`)
        const second = await conn.expect("STATUS b (MESSAGES)")
        await conn.send("* STATUS b (MESSAGES 2)", `${second} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const timedOut = yield* client.status("a", ["MESSAGES"]).pipe(Effect.timeout("100 millis"), Effect.flip)
          assert.strictEqual(timedOut._tag, "TimeoutError")
          yield* Deferred.succeed(gaveUp, undefined)
          const b = yield* client.status("b", ["MESSAGES"])
          assert.strictEqual(b.messages, 2)
          assert.isFalse(SessionConnection.of(client).isClosed())
        })
      )
    })
  )

  it.live("drains the reply of an interrupted command and keeps the session usable", () =>
    Effect.gen(function* () {
      const received = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const first = await conn.expect("NOOP")
        Deferred.doneUnsafe(received, Exit.void)
        await Effect.runPromise(Deferred.await(interrupted))
        await conn.send(`${first} OK late`)
        const second = await conn.expect("NOOP")
        await conn.send(`${second} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const fiber = yield* Effect.forkChild(client.noop())
          yield* Deferred.await(received)
          yield* Fiber.interrupt(fiber)
          yield* Deferred.succeed(interrupted, undefined)
          yield* client.noop()
        })
      )
    })
  )

  it.live("a command interrupted while queued behind SELECT is never sent", () =>
    Effect.gen(function* () {
      const selectSeen = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const select = await conn.expect("SELECT INBOX")
        Deferred.doneUnsafe(selectSeen, Exit.void)
        await Effect.runPromise(Deferred.await(interrupted))
        await conn.send("* 0 EXISTS", `${select} OK [READ-WRITE] done`)
        // Not the interrupted STATUS: the next line is the NOOP issued afterwards.
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const select = yield* Effect.forkChild(client.select("INBOX"))
          yield* Deferred.await(selectSeen)
          const queued = yield* startNow(client.status("a", ["MESSAGES"]))
          yield* Fiber.interrupt(queued)
          yield* Deferred.succeed(interrupted, undefined)
          yield* Fiber.join(select)
          yield* client.noop()
        })
      )
    })
  )
})

describe("APPEND with a synchronising literal", () => {
  it.live("sends the message only after the server's `+`", () =>
    Effect.gen(function* () {
      const message = "Subject: hi\r\n\r\nbody\r\n"
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, noLiteralPlus)
        const [tag, rest] = await conn.command()
        if (rest !== `APPEND INBOX {${message.length}}`) throw new Error(`unexpected ${rest}`)
        await conn.expectSilence(150)
        await conn.send("+ Ready for literal data")
        const bytes = await conn.bytes(message.length + 2)
        if (bytes.toString("utf8") !== `${message}\r\n`) throw new Error("message differs")
        await conn.send(`${tag} OK [APPENDUID 9 4] Append completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const result = yield* client.append("INBOX", message)
          assert.deepStrictEqual([result.uidValidity, Number(result.uid)], [9, 4])
        })
      )
    })
  )

  it.live("fails with CommandFailed(TRYCREATE) when the server answers NO instead of `+`, and stays usable", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, noLiteralPlus)
        const tag = await conn.expect(/^APPEND Nowhere \{\d+\}$/)
        await conn.send(`${tag} NO [TRYCREATE] no such mailbox`)
        // The message bytes were never sent: the next line is the NOOP.
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const error = yield* client.append("Nowhere", "Subject: x\r\n\r\ny\r\n").pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "CommandFailed")
          if (error.reason._tag === "CommandFailed") {
            assert.strictEqual(error.reason.code, "TRYCREATE")
            assert.strictEqual(error.reason.status, "NO")
            assert.strictEqual(error.reason.command, "APPEND")
          }
          assert.isFalse(error.isRetryable)
          yield* client.noop()
        })
      )
    })
  )

  it.live("expunges by UID only with UIDPLUS and refuses UID EXPUNGE without it, sending nothing", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, "IMAP4rev1")
        await Peer.acceptSelect(conn, 1)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const error = yield* client.expunge(SequenceSet.single("uid", SequenceSet.Uid(1))).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "MissingCapability")
          yield* client.noop()
        })
      )
    })
  )
})
