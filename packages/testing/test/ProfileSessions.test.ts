/**
 * Every quirk profile (Courier, Cyrus, Dovecot, Gmail, Microsoft 365) served by the test server
 * and used by the real client from login to IDLE: it logs in with what the profile offers, selects,
 * fetches, searches, and hears of mail delivered while it idles, whatever the profile's quirks
 * (no UIDNEXT, no MOVE, FETCH order, notification delay, dropped pipelined commands).
 */
import { ImapClient } from "@pkg/client"
import { Command, SearchKey, SequenceSet } from "@pkg/protocol"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import * as Profile from "../src/Profile.ts"
import * as TestServer from "../src/TestServer.ts"
import { idling, message, take } from "./support.ts"

describe("profiles with the client", () => {
  it.live.each(Object.keys(Profile.all) as Array<Profile.Name>)("%s: login, select, fetch, search, IDLE", (name) =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({
        behaviour: Profile.all[name],
        accounts: [{ user: "alice", password: "pw", mailboxes: { INBOX: { messages: [message("first")] } } }]
      })
      const client = yield* ImapClient.make(server.config("alice"))
      const snap = yield* client.select("INBOX")
      assert.strictEqual(snap.exists, 1)
      const fetched = yield* Stream.runCollect(
        client.fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.flags])
      )
      assert.deepStrictEqual(
        fetched.map((f) => f.attributes.uid),
        [SequenceSet.Uid(1)]
      )
      assert.deepStrictEqual(yield* client.search(SearchKey.all), [SequenceSet.Uid(1)])
      const events = yield* Effect.forkChild(take(client.idle(), 1))
      yield* idling(server)
      yield* server.deliver("alice", "INBOX", message("second"))
      assert.deepStrictEqual([...(yield* Fiber.join(events))], [{ _tag: "Exists", count: 2 }])
    }).pipe(Effect.scoped)
  )
})
