/**
 * The test server against the real client (`ImapClient.make`) over loopback, for the commands about
 * the session and its mailboxes: LOGIN and AUTHENTICATE PLAIN / XOAUTH2 / OAUTHBEARER, refused
 * credentials, CAPABILITY and ENABLE, ID, NAMESPACE, LIST with special use and LIST-STATUS,
 * STATUS, SELECT / EXAMINE, CREATE / RENAME / DELETE, and the typed commands the server records.
 */
import { ImapClient } from "@pkg/client"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as TestServer from "../src/TestServer.ts"
import { message } from "./support.ts"

const accounts = [
  {
    user: "alice",
    password: "secret",
    mailboxes: { Sent: { specialUse: "\\Sent" }, Archive: { messages: [message("old")] } }
  }
]

const reasonOf = <A, R>(effect: Effect.Effect<A, { readonly reason: { readonly _tag: string } }, R>) =>
  Effect.flip(effect).pipe(Effect.map((e) => e.reason._tag))

describe("authentication", () => {
  it.live.each(["LOGIN", "PLAIN"] as const)("a password logs in with %s", (mechanism) =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice", { mechanism }))
      assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
      const sent = (yield* server.received).map((r) => r.command._tag)
      assert.include(sent, mechanism === "LOGIN" ? "Login" : "Authenticate")
    }).pipe(Effect.scoped)
  )

  it.live.each(["XOAUTH2", "OAUTHBEARER"] as const)("an access token logs in with %s", (mechanism) =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice", { mechanism }))
      assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
    }).pipe(Effect.scoped)
  )

  it.live("a wrong password is AuthenticationFailed, and the secret is recorded redacted", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const options = server.config("alice", { mechanism: "LOGIN" })
      const wrong = { ...options, auth: { ...options.auth, password: Redacted.make("nope") } }
      const reason = yield* reasonOf(ImapClient.make(wrong as never))
      assert.strictEqual(reason, "AuthenticationFailed")
      const login = (yield* server.received).find((r) => r.command._tag === "Login")
      assert.notInclude(JSON.stringify(login), "nope")
    }).pipe(Effect.scoped)
  )

  it.live("an unknown token is AuthenticationFailed", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const reason = yield* reasonOf(
        ImapClient.make(server.config("alice", { mechanism: "XOAUTH2", token: "never-issued" }))
      )
      assert.strictEqual(reason, "AuthenticationFailed")
    }).pipe(Effect.scoped)
  )
})

describe("session", () => {
  it.live("capabilities grow after login, and CONDSTORE, QRESYNC are ENABLEd", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice"))
      const caps = yield* client.capabilities
      assert.isTrue(caps.has("MOVE") && caps.has("UIDPLUS") && caps.has("ESEARCH"))
      assert.isFalse(caps.has("STARTTLS"))
      const enabled = yield* client.enabled
      assert.isTrue(enabled.has("CONDSTORE") && enabled.has("QRESYNC"))
      const commands = (yield* server.received).map((r) => r.command._tag)
      assert.include(commands, "Id")
    }).pipe(Effect.scoped)
  )

  it.live("NAMESPACE names the personal namespace with the behaviour's delimiter", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts, behaviour: { delimiter: "." } })
      const client = yield* ImapClient.make(server.config("alice"))
      const ns = yield* client.namespace()
      assert.deepStrictEqual(ns.personal, [{ prefix: "", delimiter: "." }])
    }).pipe(Effect.scoped)
  )

  it.live("LIST gives every mailbox with its special use, and LIST-STATUS counters", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice"))
      const boxes = yield* client.list("*", { status: ["MESSAGES", "UIDNEXT"] })
      const byName = new Map(boxes.map((b) => [b.name, b]))
      assert.deepStrictEqual([...byName.keys()].sort(), ["Archive", "INBOX", "Sent"])
      assert.strictEqual(byName.get("Sent")?.specialUse, "\\Sent")
      assert.deepStrictEqual(byName.get("Archive")?.status, { messages: 1, uidNext: 2 })
      const list = (yield* server.received).find((r) => r.command._tag === "List")
      assert.deepStrictEqual(list?.command, {
        _tag: "List",
        reference: "",
        patterns: ["*"],
        returnOptions: { specialUse: true, status: ["MESSAGES", "UIDNEXT"] }
      })
    }).pipe(Effect.scoped)
  )

  it.live("STATUS of a mailbox that does not exist is a CommandFailed NO [NONEXISTENT]", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice"))
      const status = yield* client.status("Archive")
      assert.strictEqual(status.messages, 1)
      const e = yield* Effect.flip(client.status("Nowhere"))
      assert.strictEqual(e.reason._tag, "CommandFailed")
      assert.strictEqual(e.reason._tag === "CommandFailed" ? e.reason.code : undefined, "NONEXISTENT")
    }).pipe(Effect.scoped)
  )

  it.live("SELECT reports EXISTS, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ; EXAMINE is read-only", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice"))
      const stored = yield* server.mailbox("alice", "Archive")
      const snap = yield* client.select("Archive")
      assert.strictEqual(snap.exists, 1)
      assert.strictEqual(snap.uidValidity, stored?.uidValidity)
      assert.strictEqual(snap.uidNext, 2)
      assert.strictEqual(snap.highestModSeq, stored?.highestModSeq)
      assert.isFalse(snap.readOnly)
      const examined = yield* client.examine("INBOX")
      assert.isTrue(examined.readOnly)
      assert.strictEqual(examined.exists, 0)
    }).pipe(Effect.scoped)
  )

  it.live("CREATE, RENAME and DELETE change what LIST shows", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice"))
      yield* client.create("Projects")
      yield* client.rename("Projects", "Work")
      const names = (yield* client.list()).map((b) => b.name)
      assert.include(names, "Work")
      assert.notInclude(names, "Projects")
      yield* client.delete("Work")
      assert.notInclude(
        (yield* client.list()).map((b) => b.name),
        "Work"
      )
      const again = yield* Effect.flip(client.create("Archive"))
      assert.strictEqual(again.reason._tag === "CommandFailed" ? again.reason.code : undefined, "ALREADYEXISTS")
    }).pipe(Effect.scoped)
  )
})
