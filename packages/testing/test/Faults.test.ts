/**
 * Faults injected into the test server (`TestServer.inject`), and what the real client makes of
 * them: a cut connection (after N bytes, mid-literal, mid-IDLE, before a tagged reply) is
 * ConnectionClosed; a stalled or slow answer a Timeout; BYE a ServerBye; a garbage line is kept as
 * Unknown data (Exchange sends such lines); a throttling refusal Throttled with the wait it names; an expired token
 * AuthenticationFailed, or a login with the provider's fresh token; withheld notifications reach
 * the client at its next command; a changed UIDVALIDITY ends the sessions selected on the mailbox.
 */
import { ImapClient, ImapConfig, type ImapError } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Schedule, Stream } from "effect"
import * as Fault from "../src/Fault.ts"
import * as TestServer from "../src/TestServer.ts"
import { idling, message, raw, take } from "./support.ts"

const accounts = [
  { user: "alice", password: "pw", mailboxes: { INBOX: { messages: [message("a", { body: "y".repeat(4000) })] } } }
]

const reason = <A, R>(effect: Effect.Effect<A, ImapError.ImapError, R>) =>
  Effect.map(Effect.flip(effect), (e) => e.reason)

const connected = (faults: ReadonlyArray<Fault.Fault> = [], timeouts?: ImapConfig.Timeouts) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make({ accounts })
    const client = yield* ImapClient.make({ ...server.config("alice"), timeouts })
    yield* client.select("INBOX")
    for (const f of faults) yield* server.inject(f)
    return { server, client }
  })

describe("cuts", () => {
  it.live("a cut after 10 bytes (mid-greeting) is ConnectionClosed", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts, faults: [{ _tag: "CutAfterBytes", bytes: 10 }] })
      assert.strictEqual((yield* reason(ImapClient.make(server.config("alice"))))._tag, "ConnectionClosed")
      // Spent: the next connection is served.
      yield* ImapClient.make(server.config("alice"))
    }).pipe(Effect.scoped)
  )

  it.live("a cut halfway through a FETCH literal fails the body stream with ConnectionClosed", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([{ _tag: "CutMidLiteral" }])
      const r = yield* reason(Stream.runDrain(client.fetchBody(SequenceSet.Uid(1))))
      assert.strictEqual(r._tag, "ConnectionClosed")
    }).pipe(Effect.scoped)
  )

  it.live("a cut right after IDLE's + fails the IDLE stream with ConnectionClosed", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([{ _tag: "CutMidIdle" }])
      assert.strictEqual((yield* reason(Stream.runDrain(client.idle())))._tag, "ConnectionClosed")
    }).pipe(Effect.scoped)
  )

  it.live("a cut before SELECT's tagged reply is ConnectionClosed", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([{ _tag: "CutBeforeTagged", on: "Select" }])
      assert.strictEqual((yield* reason(client.select("INBOX")))._tag, "ConnectionClosed")
    }).pipe(Effect.scoped)
  )
})

describe("silence and slowness", () => {
  it.live("a stalled NOOP is a Timeout of the command", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([{ _tag: "Stall", on: "Noop" }], { command: "300 millis" })
      assert.strictEqual((yield* reason(client.noop()))._tag, "Timeout")
    }).pipe(Effect.scoped)
  )

  it.live("a write slower than the command timeout is a Timeout; one within it is waited for", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make({ ...server.config("alice"), timeouts: { command: "300 millis" } })
      yield* server.inject({ _tag: "Slow", delay: "200 millis" })
      yield* client.create("Second")
      yield* server.clearFaults
      yield* server.inject({ _tag: "Slow", delay: "400 millis" })
      assert.strictEqual((yield* reason(client.noop()))._tag, "Timeout")
    }).pipe(Effect.scoped)
  )
})

describe("server replies", () => {
  it.live("BYE instead of answering SELECT is ServerBye with its text", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([Fault.bye("Select", "Shutting down for maintenance")])
      const r = yield* reason(client.select("INBOX"))
      assert.strictEqual(r._tag, "ServerBye")
      assert.strictEqual(
        r._tag === "ServerBye" ? (r as { readonly text: string }).text : "",
        "Shutting down for maintenance"
      )
    }).pipe(Effect.scoped)
  )

  it.live("BYE as the greeting fails the connection with ServerBye", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts, faults: [Fault.bye("Greeting", "Too busy")] })
      assert.strictEqual((yield* reason(ImapClient.make(server.config("alice"))))._tag, "ServerBye")
    }).pipe(Effect.scoped)
  )

  it.live("a garbage line before NOOP's reply is kept as Unknown data and NOOP still succeeds", () =>
    Effect.gen(function* () {
      const { client } = yield* connected([{ _tag: "Garbage", on: "Noop", line: "Server Unavailable. 15" }])
      const events = yield* Effect.forkChild(take(client.events, 1))
      yield* Effect.sleep("50 millis")
      yield* client.noop()
      const [event] = yield* Fiber.join(events)
      assert.strictEqual(event?._tag, "Unknown")
      assert.strictEqual(
        event?._tag === "Unknown" ? new TextDecoder().decode(event.raw).trim() : "",
        "Server Unavailable. 15"
      )
    }).pipe(Effect.scoped)
  )

  it.live("Microsoft 365's throttling refusal of LOGIN is Throttled with the backoff it names", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts, faults: [Fault.throttled("Login")] })
      const r = yield* reason(ImapClient.make(server.config("alice", { mechanism: "LOGIN" })))
      assert.strictEqual(r._tag, "Throttled")
      const wait = r._tag === "Throttled" ? r.retryAfter : undefined
      assert.strictEqual(wait === undefined ? undefined : Duration.toMillis(wait), 1000)
      // Once only: the next login is served.
      yield* ImapClient.make(server.config("alice", { mechanism: "LOGIN" }))
    }).pipe(Effect.scoped)
  )

  it.live("over the per-user connection limit, LOGIN is refused as Gmail does (Throttled)", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({
        accounts,
        behaviour: {
          maxConnectionsPerUser: {
            limit: 1,
            reply: { status: "NO", code: "ALERT", text: "Too many simultaneous connections. (Failure)" }
          }
        }
      })
      yield* ImapClient.make(server.config("alice"))
      assert.strictEqual((yield* reason(ImapClient.make(server.config("alice"))))._tag, "Throttled")
    }).pipe(Effect.scoped)
  )
})

describe("clients that go away", () => {
  it.live("a client that drops its socket while idling leaves no session behind", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({
        accounts,
        behaviour: {
          maxConnectionsPerUser: { limit: 1, reply: { status: "NO", text: "Too many simultaneous connections." } }
        }
      })
      const c = yield* raw(server.port)
      yield* c.send("a LOGIN alice pw\r\nb SELECT INBOX\r\nc IDLE\r\n")
      yield* c.until(/\+ idling/)
      c.socket.destroy()
      yield* server.connections.pipe(
        Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("10 millis") }),
        Effect.timeout("3 seconds")
      )
      // The idler's session is gone: the one connection allowed is free again.
      yield* ImapClient.make(server.config("alice"))
    }).pipe(Effect.scoped)
  )
})

describe("tokens", () => {
  it.live.each(["gmail", "microsoft"] as const)(
    "an expired token is AuthenticationFailed (%s's answer)",
    (oauthFailure) =>
      Effect.gen(function* () {
        const server = yield* TestServer.make({ accounts, behaviour: { oauthFailure } })
        const token = yield* server.issueToken("alice")
        yield* ImapClient.make(server.config("alice", { mechanism: "XOAUTH2", token }))
        yield* server.inject({ _tag: "ExpireToken", token })
        const r = yield* reason(ImapClient.make(server.config("alice", { mechanism: "XOAUTH2", token })))
        assert.strictEqual(r._tag, "AuthenticationFailed")
      }).pipe(Effect.scoped)
  )

  it.live("a token provider whose token expired is asked again, and its fresh token logs in", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const stale = yield* server.issueToken("alice")
      yield* server.inject({ _tag: "ExpireToken", token: stale })
      const fresh = yield* server.issueToken("alice")
      let asked = 0
      const provider = Effect.sync(() => Redacted.make(asked++ === 0 ? stale : fresh))
      yield* ImapClient.make({ ...server.config("alice"), auth: ImapConfig.oauth2("alice", provider) })
      assert.strictEqual(asked, 2)
    }).pipe(Effect.scoped)
  )
})

describe("notifications and UIDVALIDITY", () => {
  it.live("withheld notifications reach an idling client when its next command ends IDLE", () =>
    Effect.gen(function* () {
      const { server, client } = yield* connected([{ _tag: "WithholdExists" }])
      const events = yield* Effect.forkChild(take(client.idle(), 1))
      yield* idling(server)
      yield* server.deliver("alice", "INBOX", message("held back"))
      yield* Effect.sleep("200 millis")
      assert.isUndefined(events.pollUnsafe())
      yield* client.noop()
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Exists", count: 2 }])
    }).pipe(Effect.scoped)
  )

  it.live("DelayExists holds a notification to an idling client, which then gets it", () =>
    Effect.gen(function* () {
      const { server, client } = yield* connected([{ _tag: "DelayExists", delay: "1 second" }])
      const events = yield* Effect.forkChild(take(client.idle(), 1))
      yield* idling(server)
      yield* server.deliver("alice", "INBOX", message("late"))
      yield* Effect.sleep("300 millis")
      assert.isUndefined(events.pollUnsafe())
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Exists", count: 2 }])
    }).pipe(Effect.scoped)
  )

  it.live("a changed UIDVALIDITY ends the selected sessions with BYE; a new SELECT sees the new one", () =>
    Effect.gen(function* () {
      const { server, client } = yield* connected()
      const before = (yield* server.mailbox("alice", "INBOX"))?.uidValidity
      yield* server.inject({ _tag: "ChangeUidValidity", user: "alice", mailbox: "INBOX" })
      assert.strictEqual((yield* reason(client.noop()))._tag, "ServerBye")
      const again = yield* ImapClient.make(server.config("alice"))
      const snap = yield* again.select("INBOX")
      assert.notStrictEqual(snap.uidValidity, before)
    }).pipe(Effect.scoped)
  )
})
