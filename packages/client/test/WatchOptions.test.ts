/**
 * Watcher options a server could never be asked for are refused before connecting, as InvalidInput:
 * `sinceUid` must leave room for `sinceUid + 1:*` (RFC 9051 9: UIDs are 1..2^32-1).
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, Watcher } from "@pkg/client"
import { Effect, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

describe("watcher options", () => {
  for (const sinceUid of [4294967295, -1, 1.5]) {
    it.live(`sinceUid ${sinceUid} fails with InvalidInput and no connection`, () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async () => {})
        const error = yield* Watcher.watch({ client: Peer.clientOptions(peer.port), sinceUid }).pipe(
          Stream.runDrain,
          Effect.provide(Checkpoint.layerMemory),
          Effect.flip
        )
        assert.strictEqual(error.reason._tag, "InvalidInput")
        assert.include(error.message, `got ${sinceUid}`)
        assert.strictEqual(peer.connections(), 0)
      })
    )
  }
})
