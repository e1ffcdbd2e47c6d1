/**
 * What a session shows and what it keeps inside. Users see no raw connection: not as a property,
 * not among its keys, not in a spread; the package's own modules (the watcher, IDLE, tests) reach
 * it through internal/SessionConnection, which refuses an object that is not a session. The `Idle`
 * namespace users import holds the events and options, not the loop that takes a raw connection.
 * And LOGIN's outcome says explicitly whether the reply carried the new capabilities, in each shape
 * servers use (tagged OK code, untagged CAPABILITY before a plain OK, neither).
 */
import { assert, describe, it } from "@effect/vitest"
import { Idle, ImapClient, ImapConfig } from "@pkg/client"
import { Effect } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"
import * as SessionContext from "../src/internal/SessionContext.ts"
import * as Login from "../src/Login.ts"

describe("the public session", () => {
  it.live("has no connection property; the internal accessor finds the connection behind it", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          assert.isFalse("connection" in client)
          assert.notInclude(Object.keys(client), "connection")
          assert.lengthOf(
            Object.keys(client).filter((k) => k.toLowerCase().includes("connection")),
            0
          )
          const connection = SessionConnection.of(client)
          assert.strictEqual(connection.currentState()._tag, "Authenticated")
          assert.isTrue(connection.capabilities().has("IDLE"))
          assert.throws(() => SessionConnection.of({ ...client }), TypeError)
        })
      )
    })
  )

  it.live("its operations work taken off it (destructured), each bound to its own session", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 3)
        await Peer.answer(conn, [], /^NOOP$/)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const { select, noop, currentState, greeting } = yield* ImapClient.make(Peer.clientOptions(peer.port))
          assert.strictEqual((yield* select("INBOX")).exists, 3)
          yield* noop()
          assert.strictEqual((yield* currentState)._tag, "Selected")
          assert.strictEqual(greeting.status, "OK")
        })
      )
      const commands = peer.received.map((line) => line.slice(line.indexOf(" ") + 1))
      assert.deepStrictEqual(commands.slice(1, 3), ["SELECT INBOX", "NOOP"])
    })
  )

  it("refuses an object that is not a session", () => {
    assert.throws(() => SessionConnection.of({}), TypeError, "not a session made by ImapSession.make")
  })

  it("exports IDLE's events and options as `Idle`, not the loop over a raw connection", () => {
    assert.deepStrictEqual(Object.keys(Idle).sort(), ["defaultReissueAfter", "toEvent"])
  })
})

describe("what LOGIN's reply said about capabilities", () => {
  const shapes: ReadonlyArray<readonly [string, (tag: string) => ReadonlyArray<string>, boolean]> = [
    ["a CAPABILITY code on the tagged OK", (tag) => [`${tag} OK [CAPABILITY IMAP4rev1 MOVE] Logged in`], true],
    ["an untagged CAPABILITY before a plain OK", (tag) => ["* CAPABILITY IMAP4rev1 MOVE", `${tag} OK Logged in`], true],
    ["a plain OK alone", (tag) => [`${tag} OK Logged in`], false]
  ]
  for (const [shape, reply, carried] of shapes) {
    it.live(`${shape}: capabilitiesCarried is ${carried}`, () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.greet(conn)
          const tag = await conn.expect("LOGIN u p")
          await conn.send(...reply(tag))
          await Peer.acceptLogout(conn)
        })
        const options = Peer.clientOptions(peer.port, { auth: undefined })
        const result = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(options)
            const ctx = SessionContext.make(SessionConnection.of(client), ImapConfig.resolve(options))
            return yield* Login.authenticate(ctx, ImapConfig.password("u", "p"))
          })
        )
        assert.deepStrictEqual(result, { capabilitiesCarried: carried })
      })
    )
  }
})
