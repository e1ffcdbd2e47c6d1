/**
 * The behaviours a profile changes, each applied by the server: commands pipelined after LOGIN
 * dropped (Courier), FETCH items in a fixed order (Cyrus), the answer to an empty FETCH, no UIDNEXT
 * on SELECT, the greeting, capabilities that decide which commands exist (no MOVE: the client falls
 * back to COPY + STORE + UID EXPUNGE), IDLE cut after a time, keepalives during IDLE, refusals in the
 * behaviour, APPEND to the selected mailbox announced only at the next command, the continuation
 * texts. Exact bytes are read on a bare socket; the rest through the real client.
 */
import { ImapClient } from "@pkg/client"
import { Command, SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule, Stream } from "effect"
import * as tls from "node:tls"
import type * as Behaviour from "../src/Behaviour.ts"
import * as TestServer from "../src/TestServer.ts"
import { message, raw } from "./support.ts"

const server = (behaviour: Partial<Behaviour.ServerBehaviour>, messages: ReadonlyArray<string> = [message("a")]) =>
  TestServer.make({
    behaviour,
    tls: false,
    accounts: [{ user: "alice", password: "pw", mailboxes: { INBOX: { messages }, Archive: {} } }]
  })

describe("on the wire", () => {
  it.live.each([
    [true, false],
    [false, true]
  ] as const)("dropPipelinedAfterLogin %s: a NOOP in LOGIN's write answered: %s", ([drop, answered]) =>
    Effect.gen(function* () {
      const s = yield* server({ dropPipelinedAfterLogin: drop })
      const c = yield* raw(s.port)
      yield* c.send("a LOGIN alice pw\r\nb NOOP\r\n")
      yield* c.until(/a OK/)
      yield* c.send("c NOOP\r\n")
      const text = yield* c.until(/c OK/)
      assert.strictEqual(/\r\nb OK/.test(text), answered)
    }).pipe(Effect.scoped)
  )

  it.live('fetchItemOrder writes FLAGS before UID as Cyrus does; "request" keeps the client\'s order', () =>
    Effect.gen(function* () {
      for (const [order, expected] of [
        [["flags", "uid"], /\* 1 FETCH \(FLAGS \(\\Recent\) UID 1 RFC822\.SIZE \d+\)/],
        ["request", /\* 1 FETCH \(UID 1 RFC822\.SIZE \d+ FLAGS \(\\Recent\)\)/]
      ] as const) {
        const s = yield* server({ fetchItemOrder: order })
        const c = yield* raw(s.port)
        yield* c.send("a LOGIN alice pw\r\nb SELECT INBOX\r\nc UID FETCH 1 (RFC822.SIZE FLAGS)\r\n")
        assert.match(yield* c.until(/c OK/), expected)
      }
    }).pipe(Effect.scoped)
  )

  it.live.each([
    ["ok", /c OK/],
    [{ status: "NO", text: "No matching messages" }, /c NO No matching messages/],
    [{ status: "BAD", text: "Error in IMAP command FETCH: Invalid messageset" }, /c BAD Error in IMAP command FETCH/]
  ] as const)("emptyFetch %j answers FETCH 1:* on an empty mailbox", ([emptyFetch, expected]) =>
    Effect.gen(function* () {
      const s = yield* server({ emptyFetch }, [])
      const c = yield* raw(s.port)
      yield* c.send("a LOGIN alice pw\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS)\r\n")
      assert.match(yield* c.until(/\r\nc /), expected)
    }).pipe(Effect.scoped)
  )

  it.live("the greeting text and APPEND's continuation text are the behaviour's", () =>
    Effect.gen(function* () {
      const s = yield* server({
        greeting: "Cyrus IMAP ready",
        greetingCapabilities: false,
        literalContinuation: "go ahead"
      })
      const c = yield* raw(s.port)
      assert.match(yield* c.until(/\r\n/), /^\* OK Cyrus IMAP ready\r\n/)
      yield* c.send("a LOGIN alice pw\r\nb APPEND INBOX {3}\r\n")
      yield* c.until(/\+ go ahead\r\n/)
      yield* c.send("abc\r\n")
      assert.match(yield* c.until(/b OK/), /b OK \[APPENDUID \d+ 2\]/)
    }).pipe(Effect.scoped)
  )

  it.live("LOGINDISABLED before login refuses LOGIN; AUTHENTICATE PLAIN still logs in", () =>
    Effect.gen(function* () {
      const s = yield* server({ capabilitiesBeforeLogin: ["IMAP4rev1", "LOGINDISABLED", "AUTH=PLAIN"] })
      const c = yield* raw(s.port)
      yield* c.send("a LOGIN alice pw\r\n")
      assert.match(yield* c.until(/a (OK|NO)/), /a NO \[PRIVACYREQUIRED\]/)
      yield* c.send(`b AUTHENTICATE PLAIN ${Buffer.from("\u0000alice\u0000pw").toString("base64")}\r\n`)
      assert.match(yield* c.until(/b (OK|NO)/), /b OK/)
    }).pipe(Effect.scoped)
  )

  it.live("bytes sent in clear text after STARTTLS are dropped, not read as commands over TLS", () =>
    Effect.gen(function* () {
      const s = yield* TestServer.make({ accounts: [{ user: "alice", password: "pw" }] })
      const c = yield* raw(s.port)
      yield* c.send("a STARTTLS\r\nb LOGIN alice pw\r\n")
      yield* c.until(/a OK/)
      const socket = yield* Effect.callback<tls.TLSSocket>((resume) => {
        const t: tls.TLSSocket = tls.connect({ socket: c.socket, servername: "localhost", ca: s.ca }, () =>
          resume(Effect.succeed(t))
        )
      })
      let received = ""
      socket.on("data", (d) => {
        received += d.toString("utf8")
      })
      socket.write("c NOOP\r\n")
      yield* Effect.sync(() => received).pipe(
        Effect.repeat({ until: (r) => r.includes("c OK"), schedule: Schedule.spaced("5 millis") }),
        Effect.timeout("3 seconds")
      )
      assert.notInclude(received, "b OK")
      assert.notInclude(received, "b NO")
      assert.strictEqual((yield* s.received).filter((r) => r.command._tag === "Login").length, 0)
      socket.destroy()
    }).pipe(Effect.scoped)
  )

  it.live("idleKeepalive sends its untagged OK while IDLE lasts", () =>
    Effect.gen(function* () {
      const s = yield* server({ idleKeepalive: { every: "50 millis", text: "Still here" } })
      const c = yield* raw(s.port)
      yield* c.send("a LOGIN alice pw\r\nb SELECT INBOX\r\nc IDLE\r\n")
      yield* c.until(/\* OK Still here\r\n[\s\S]*\* OK Still here\r\n/)
      yield* c.send("DONE\r\n")
      yield* c.until(/c OK/)
    }).pipe(Effect.scoped)
  )
})

describe("through the client", () => {
  it.live("without UIDNEXT on SELECT the snapshot has none", () =>
    Effect.gen(function* () {
      const s = yield* server({ selectUidNext: false })
      const client = yield* ImapClient.make(s.config("alice"))
      assert.isUndefined((yield* client.select("INBOX")).uidNext)
    }).pipe(Effect.scoped)
  )

  it.live("without MOVE advertised, MOVE is BAD and the client moves with COPY, STORE and UID EXPUNGE", () =>
    Effect.gen(function* () {
      const s = yield* server({
        capabilitiesAfterLogin: ["IMAP4rev1", "UIDPLUS", "IDLE", "ENABLE", "NAMESPACE"]
      })
      const client = yield* ImapClient.make(s.config("alice"))
      yield* client.select("INBOX")
      const moved = yield* client.move(SequenceSet.single("uid", SequenceSet.Uid(1)), "Archive")
      assert.isTrue(moved.expunged)
      const commands = (yield* s.received).map((r) => r.command._tag)
      assert.includeMembers(commands, ["UidCopy", "UidStore", "UidExpunge"])
      assert.notInclude(commands, "UidMove")
      assert.strictEqual((yield* s.mailbox("alice", "Archive"))?.messages.length, 1)
    }).pipe(Effect.scoped)
  )

  it.live("a behaviour's refusal answers every matching command (Gmail's OVERQUOTA on FETCH is Throttled)", () =>
    Effect.gen(function* () {
      const s = yield* server({
        refusals: [
          { on: "UidFetch", status: "NO", code: "OVERQUOTA", text: "Account exceeded command or bandwidth limits." }
        ]
      })
      const client = yield* ImapClient.make(s.config("alice"))
      yield* client.select("INBOX")
      for (let i = 0; i < 2; i++) {
        const e = yield* Effect.flip(Stream.runDrain(client.fetch(SequenceSet.all("uid"), [Command.Attr.flags])))
        assert.strictEqual(e.reason._tag, "Throttled")
      }
    }).pipe(Effect.scoped)
  )

  it.live("idleLimit ends IDLE with the behaviour's BYE", () =>
    Effect.gen(function* () {
      const s = yield* server({ idleLimit: { after: "100 millis", bye: "IDLE timed out" } })
      const client = yield* ImapClient.make(s.config("alice"))
      yield* client.select("INBOX")
      const events = yield* Stream.runCollect(client.idle()).pipe(
        Effect.flip,
        Effect.map((e) => e.reason._tag)
      )
      assert.strictEqual(events, "ServerBye")
    }).pipe(Effect.scoped)
  )

  it.live("announceOwnAppend false: APPEND to the selected mailbox is told at the next command", () =>
    Effect.gen(function* () {
      const s = yield* server({ announceOwnAppend: false })
      const client = yield* ImapClient.make(s.config("alice"))
      yield* client.select("INBOX")
      const exists = Effect.map(client.currentState, (st) => (st._tag === "Selected" ? st.mailbox.exists : -1))
      yield* client.append("INBOX", message("mine"))
      assert.strictEqual(yield* exists, 1)
      yield* client.noop()
      assert.strictEqual(yield* exists, 2)
    }).pipe(Effect.scoped)
  )
})
