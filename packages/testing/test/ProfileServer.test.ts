/**
 * The quirk profiles on the running test server, seen on the wire and through the real client:
 * Courier drops a command pipelined behind LOGIN, answers literals `+ OK`, has no UIDNEXT, no
 * LITERAL+ and no AUTH= (the client logs in with LOGIN and still works); Cyrus writes FLAGS before
 * UID, refuses an empty FETCH with NO and lists LOGINDISABLED after login (the client ignores it);
 * Dovecot refuses an eleventh connection of a user with `[UNAVAILABLE]` (the client: Throttled) and
 * still tells an idling client of new mail after its 500 ms hold; Gmail's greeting makes the client
 * re-issue IDLE before Gmail cuts it, and its sixteenth connection is refused; Microsoft 365
 * searches US-ASCII only, and its throttling and "Server Unavailable" refusals reach the client as
 * Throttled with the wait they name.
 */
import { assert, describe, it } from "@effect/vitest"
import { Idle, ImapClient } from "@pkg/client"
import { SearchKey, SequenceSet } from "@pkg/protocol"
import { Duration, Effect, Fiber } from "effect"
import * as Behaviour from "../src/Behaviour.ts"
import * as Profile from "../src/Profile.ts"
import * as TestServer from "../src/TestServer.ts"
import { idling, message, take } from "./support.ts"
import * as Wire from "./Wire.ts"

const accounts = [{ user: "alice", password: "pw", mailboxes: { INBOX: { messages: [message("first")] }, Empty: {} } }]

const serve = (behaviour: Behaviour.ServerBehaviour) => TestServer.make({ accounts, behaviour })

const reason = <A, R>(effect: Effect.Effect<A, { readonly reason: { readonly _tag: string } }, R>) =>
  Effect.map(Effect.flip(effect), (e) => e.reason)

/** Logs in on the wire and returns the connection. */
const loggedIn = (port: number) =>
  Effect.gen(function* () {
    const wire = yield* Wire.open(port)
    yield* wire.send("a1 LOGIN alice pw\r\n")
    const reply = yield* wire.until("a1 ")
    assert.match(reply.at(-1) ?? "", /^a1 OK/)
    return wire
  })

describe("Courier", () => {
  it.live("drops a command pipelined behind LOGIN and answers the next one", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.courier)
      const wire = yield* Wire.open(server.port)
      yield* wire.send("p001 LOGIN alice pw\r\np002 NOOP\r\n")
      assert.match((yield* wire.until("p001 ")).at(-1) ?? "", /^p001 OK/)
      yield* wire.send("p003 NOOP\r\n")
      // Commands are answered in order: had p002 been kept, its reply would come before p003's.
      const after = yield* wire.until("p003 ")
      assert.isFalse(
        after.some((l) => l.startsWith("p002 ")),
        after.join("\n")
      )
    }).pipe(Effect.scoped)
  )

  it.live("answers a literal with `+ OK` and SELECT without UIDNEXT", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.courier)
      const wire = yield* loggedIn(server.port)
      yield* wire.send("a2 APPEND INBOX {4}\r\n")
      assert.deepStrictEqual(yield* wire.until("+"), ["+ OK"])
      yield* wire.send("x\r\ny\r\n")
      assert.match((yield* wire.until("a2 ")).at(-1) ?? "", /^a2 OK/)
      yield* wire.send("a3 SELECT INBOX\r\n")
      const select = yield* wire.until("a3 ")
      assert.isFalse(
        select.some((l) => l.includes("UIDNEXT")),
        select.join("\n")
      )
    }).pipe(Effect.scoped)
  )

  it.live("the client logs in with LOGIN (no AUTH=), selects without UIDNEXT, appends and fetches", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.courier)
      const client = yield* ImapClient.make(server.config("alice"))
      assert.isFalse((yield* client.capabilities).has("LITERAL+"))
      const snapshot = yield* client.select("INBOX")
      assert.strictEqual(snapshot.uidNext, undefined)
      const appended = yield* client.append("INBOX", message("second"))
      assert.strictEqual(Number(appended.uid), 2)
      yield* client.noop()
      const found = yield* client.search(SearchKey.subject("second"))
      assert.deepStrictEqual(found.map(Number), [2])
      const commands = (yield* server.received).map((r) => r.command._tag)
      assert.include(commands, "Login")
      assert.notInclude(commands, "Authenticate")
    }).pipe(Effect.scoped)
  )
})

describe("Cyrus", () => {
  it.live("writes FLAGS before UID, refuses FETCH of an empty mailbox with NO, and UID FETCH with OK", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.cyrus)
      const wire = yield* loggedIn(server.port)
      yield* wire.send("a2 SELECT INBOX\r\n")
      yield* wire.until("a2 ")
      yield* wire.send("a3 FETCH 1 (UID FLAGS)\r\n")
      const fetch = yield* wire.until("a3 ")
      assert.match(fetch[0] ?? "", /^\* 1 FETCH \(FLAGS \([^)]*\) UID 1\)$/)
      yield* wire.send("a4 EXAMINE Empty\r\n")
      yield* wire.until("a4 ")
      yield* wire.send("a5 FETCH 1:* (UID FLAGS)\r\n")
      assert.deepStrictEqual(yield* wire.until("a5 "), ["a5 NO No matching messages"])
      yield* wire.send("a6 UID FETCH 1:* (FLAGS)\r\n")
      assert.match((yield* wire.until("a6 ")).at(-1) ?? "", /^a6 OK/)
    }).pipe(Effect.scoped)
  )

  it.live("the client ignores LOGINDISABLED after login and reads FETCH items in Cyrus' order", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.cyrus)
      const client = yield* ImapClient.make(server.config("alice"))
      assert.isTrue((yield* client.capabilities).has("LOGINDISABLED"))
      yield* client.select("INBOX")
      const [first] = yield* take(client.fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Flags" }]), 1)
      assert.strictEqual(Number(first?.attributes.uid), 1)
    }).pipe(Effect.scoped)
  )
})

describe("Dovecot", () => {
  it.live("refuses a user's eleventh connection with [UNAVAILABLE], which the client reads as Throttled", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.dovecot)
      for (let i = 0; i < 10; i++) yield* ImapClient.make(server.config("alice"))
      const refused = yield* reason(ImapClient.make(server.config("alice")))
      assert.strictEqual(refused._tag, "Throttled")
    }).pipe(Effect.scoped)
  )

  it.live("tells an idling client of delivered mail after its notification hold", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.dovecot)
      const client = yield* ImapClient.make(server.config("alice"))
      yield* client.select("INBOX")
      const collected = yield* Effect.forkChild(take(client.idle(), 1))
      yield* idling(server)
      yield* server.deliver("alice", "INBOX", message("news"))
      const events = yield* Fiber.join(collected)
      assert.strictEqual(events.length, 1)
    }).pipe(Effect.scoped)
  )
})

describe("Gmail", () => {
  it.live("greets as Gimap, so the client re-issues IDLE before Gmail's cut", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.gmail)
      const wire = yield* Wire.open(server.port)
      const reissue = Idle.defaultReissueAfter(wire.greeting)
      const cut = Profile.gmail.idleLimit?.after
      assert.isDefined(cut)
      assert.isTrue(Duration.isLessThan(reissue, Duration.fromInputUnsafe(cut ?? 0)))
    }).pipe(Effect.scoped)
  )

  it.live("refuses the sixteenth connection with [ALERT] Too many simultaneous connections", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.gmail)
      const first = yield* ImapClient.make(server.config("alice"))
      assert.isTrue((yield* first.capabilities).has("X-GM-EXT-1"))
      for (let i = 1; i < 15; i++) yield* ImapClient.make(server.config("alice"))
      const refused = yield* reason(ImapClient.make(server.config("alice")))
      assert.strictEqual(refused._tag, "Throttled")
    }).pipe(Effect.scoped)
  )
})

describe("Microsoft 365", () => {
  it.live("refuses a UTF-8 search with [BADCHARSET (US-ASCII)] and answers an ASCII one", () =>
    Effect.gen(function* () {
      const server = yield* serve(Profile.microsoft365)
      const client = yield* ImapClient.make(server.config("alice"))
      yield* client.select("INBOX")
      assert.deepStrictEqual((yield* client.search(SearchKey.subject("first"))).map(Number), [1])
      const refused = yield* reason(client.search(SearchKey.subject("Köln")))
      assert.strictEqual(refused._tag, "CommandFailed")
      assert.strictEqual((refused as unknown as { code: string }).code, "BADCHARSET")
    }).pipe(Effect.scoped)
  )

  it.live("throttling added as a refusal reaches the client as Throttled with the backoff it names", () =>
    Effect.gen(function* () {
      const server = yield* serve(
        Behaviour.make({ refusals: [{ ...Profile.refusals.microsoftThrottled, on: "Noop" }] }, Profile.microsoft365)
      )
      const client = yield* ImapClient.make(server.config("alice"))
      const refused = yield* reason(client.noop())
      assert.strictEqual(refused._tag, "Throttled")
      const wait = (refused as unknown as { retryAfter: Duration.Duration | undefined }).retryAfter
      assert.strictEqual(wait === undefined ? undefined : Duration.toMillis(wait), 299609)
    }).pipe(Effect.scoped)
  )

  it.live("`Server Unavailable. 15` on SELECT reaches the client as Throttled", () =>
    Effect.gen(function* () {
      const server = yield* serve(
        Behaviour.make({ refusals: [Profile.refusals.microsoftUnavailable] }, Profile.microsoft365)
      )
      const client = yield* ImapClient.make(server.config("alice"))
      assert.strictEqual((yield* reason(client.select("INBOX")))._tag, "Throttled")
    }).pipe(Effect.scoped)
  )
})
