/**
 * The file-backed checkpoint store: several stores (watchers of other mailboxes, or a restarted
 * process) sharing one file keep each other's keys; writes leave a whole JSON file and no temp
 * files; a file that is not a checkpoint file is a typed error.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint } from "@pkg/client"
import { Effect, Exit, Option } from "effect"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "effect-imap-checkpoint-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const at = (lastUid: number): Checkpoint.Checkpoint => ({ uidValidity: 7, lastUid })

describe("Checkpoint.makeFile", () => {
  it.effect("two stores on one file keep each other's keys", () =>
    Effect.gen(function* () {
      const file = path.join(yield* tempDir, "checkpoints.json")
      const inbox = yield* Checkpoint.makeFile(file)
      const archive = yield* Checkpoint.makeFile(file)
      yield* inbox.set("u@h/INBOX", at(10))
      yield* archive.set("u@h/Archive", at(3))
      yield* inbox.set("u@h/INBOX", at(11))
      const reopened = yield* Checkpoint.makeFile(file)
      assert.deepStrictEqual(Option.getOrThrow(yield* reopened.get("u@h/INBOX")), at(11))
      assert.deepStrictEqual(Option.getOrThrow(yield* reopened.get("u@h/Archive")), at(3))
      // A store sees what another wrote after it was opened.
      assert.deepStrictEqual(Option.getOrThrow(yield* archive.get("u@h/INBOX")), at(11))
    })
  )

  it.effect("concurrent writes from several stores in one process lose no key", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "checkpoints.json")
      const stores = yield* Effect.forEach([0, 1, 2], () => Checkpoint.makeFile(file))
      yield* Effect.forEach(
        Array.from({ length: 30 }, (_, i) => i),
        (i) => (stores[i % 3] as Checkpoint.CheckpointStore["Service"]).set(`key${i}`, at(i)),
        { concurrency: "unbounded" }
      )
      const json: Record<string, Checkpoint.Checkpoint> = JSON.parse(
        yield* Effect.promise(() => fs.readFile(file, "utf8"))
      )
      assert.strictEqual(Object.keys(json).length, 30)
      assert.deepStrictEqual(json.key17, at(17))
      // Every write went through a temp file that was renamed: none is left behind.
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), ["checkpoints.json"])
    })
  )

  it.effect("a file that is not a checkpoint file is a CheckpointError naming it", () =>
    Effect.gen(function* () {
      const file = path.join(yield* tempDir, "not-checkpoints.json")
      yield* Effect.promise(() => fs.writeFile(file, '{"u@h/INBOX": {"uidValidity": "seven"}}'))
      const exit = yield* Effect.exit(Checkpoint.makeFile(file))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.toString()
        assert.include(error, "CheckpointError")
        assert.include(error, "is not a checkpoint file")
      }
    })
  )

  it.effect("a file whose directory cannot be written is a CheckpointError at once, not at the first message", () =>
    Effect.gen(function* () {
      const file = path.join(yield* tempDir, "no-such-dir", "checkpoints.json")
      const exit = yield* Effect.exit(Checkpoint.makeFile(file))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(exit.cause.toString(), "not a writable directory")
    })
  )
})
