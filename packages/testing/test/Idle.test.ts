/**
 * IDLE on the test server against the real client: what another session does to the mailbox (APPEND,
 * STORE, EXPUNGE) and what the test delivers through the handle reach an idling session at once, as
 * EXISTS, FETCH FLAGS and VANISHED (EXPUNGE without QRESYNC); a session that is not idling hears of
 * them at the end of its next command (RFC 9051 7).
 */
import { ImapClient } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import * as TestServer from "../src/TestServer.ts"
import { idling, message, take } from "./support.ts"

const setUp = (options?: { readonly enable?: ReadonlyArray<string> }) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make({
      accounts: [{ user: "alice", password: "pw", mailboxes: { INBOX: { messages: [message("a"), message("b")] } } }]
    })
    const watcher = yield* ImapClient.make({ ...server.config("alice"), ...options })
    const other = yield* ImapClient.make(server.config("alice"))
    yield* watcher.select("INBOX")
    return { server, watcher, other }
  })

describe("IDLE", () => {
  it.live("another session's APPEND is pushed as EXISTS", () =>
    Effect.gen(function* () {
      const { server, watcher, other } = yield* setUp()
      const events = yield* Effect.forkChild(take(watcher.idle(), 1))
      yield* idling(server)
      yield* other.append("INBOX", message("new"))
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Exists", count: 3 }])
    }).pipe(Effect.scoped)
  )

  it.live("mail delivered through the handle is pushed as EXISTS", () =>
    Effect.gen(function* () {
      const { server, watcher } = yield* setUp()
      const events = yield* Effect.forkChild(take(watcher.idle(), 1))
      yield* idling(server)
      const uid = yield* server.deliver("alice", "INBOX", message("delivered"))
      assert.strictEqual(uid, 3)
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Exists", count: 3 }])
    }).pipe(Effect.scoped)
  )

  it.live("another session's STORE is pushed as FETCH FLAGS with UID and MODSEQ", () =>
    Effect.gen(function* () {
      const { server, watcher, other } = yield* setUp()
      yield* other.select("INBOX")
      const events = yield* Effect.forkChild(take(watcher.idle(), 1))
      yield* idling(server)
      yield* other.store(SequenceSet.single("uid", SequenceSet.Uid(2)), "add", ["\\Flagged"])
      const [event] = yield* Fiber.join(events)
      assert.strictEqual(event?._tag, "FlagsChanged")
      if (event?._tag === "FlagsChanged") {
        assert.deepStrictEqual([event.seq, event.uid, event.flags], [2, 2, ["\\Flagged", "\\Recent"]])
        assert.isDefined(event.modSeq)
      }
    }).pipe(Effect.scoped)
  )

  it.live("an expunge is pushed as VANISHED under QRESYNC", () =>
    Effect.gen(function* () {
      const { server, watcher } = yield* setUp()
      const events = yield* Effect.forkChild(take(watcher.idle(), 1))
      yield* idling(server)
      yield* server.expunge("alice", "INBOX", [1])
      const [event] = yield* Fiber.join(events)
      assert.strictEqual(event?._tag === "Vanished" ? SequenceSet.encode(event.uids) : event?._tag, "1")
    }).pipe(Effect.scoped)
  )

  it.live("an expunge is pushed as EXPUNGE with its sequence number without QRESYNC", () =>
    Effect.gen(function* () {
      const { server, watcher } = yield* setUp({ enable: [] })
      const events = yield* Effect.forkChild(take(watcher.idle(), 1))
      yield* idling(server)
      yield* server.expunge("alice", "INBOX", [2])
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Expunge", seq: 2 }])
    }).pipe(Effect.scoped)
  )

  it.live("a session that is not idling hears of new mail at the end of its next command", () =>
    Effect.gen(function* () {
      const { server, watcher } = yield* setUp()
      yield* server.deliver("alice", "INBOX", message("while busy"))
      const before = yield* watcher.currentState
      assert.strictEqual(before._tag === "Selected" ? before.mailbox.exists : -1, 2)
      yield* watcher.noop()
      const after = yield* watcher.currentState
      assert.strictEqual(after._tag === "Selected" ? after.mailbox.exists : -1, 3)
    }).pipe(Effect.scoped)
  )

  it.live("a session selected on another mailbox is told nothing", () =>
    Effect.gen(function* () {
      const { server, watcher } = yield* setUp()
      yield* server.createMailbox("alice", "Other")
      const events = yield* Effect.forkChild(take(watcher.idle(), 1, "300 millis").pipe(Effect.option))
      yield* idling(server)
      yield* server.deliver("alice", "Other", message("elsewhere"))
      assert.isTrue(Option.isNone(yield* Fiber.join(events)))
    }).pipe(Effect.scoped)
  )
})
