/**
 * The test server as a layer, the way an app's tests use it: `TestServer.layer` under
 * `ImapClient.layer` (the client's options read from the `TestServer` service), one server shared
 * by a block of tests through `@effect/vitest`'s `layer`, the handle seeding and delivering mail
 * while the app's code runs against `ImapClient`.
 */
import { ImapClient } from "@pkg/client"
import { SearchKey } from "@pkg/protocol"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as TestServer from "../src/TestServer.ts"
import { message } from "./support.ts"

/** An app's function: how many messages in INBOX are unseen. */
const unseenCount = Effect.gen(function* () {
  const client = yield* ImapClient.ImapClient
  yield* client.select("INBOX")
  return (yield* client.search(SearchKey.unseen)).length
})

const client = Layer.unwrap(Effect.map(TestServer.config("alice"), ImapClient.layer))
const testLayer = client.pipe(
  Layer.provideMerge(
    TestServer.layer({
      accounts: [{ user: "alice", password: "secret", mailboxes: { INBOX: { messages: [message("one")] } } }]
    })
  )
)

layer(testLayer)("TestServer.layer under ImapClient.layer", (it) => {
  it.effect("the app's code runs against the client the layers built", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* unseenCount, 1)
    })
  )

  it.effect("the handle delivers to the same server the client is connected to", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.TestServer
      yield* server.deliver("alice", "INBOX", message("two"))
      assert.strictEqual(yield* unseenCount, 2)
      assert.isAtLeast(yield* server.connections, 1)
    })
  )
})
