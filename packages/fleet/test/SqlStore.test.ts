/**
 * The fleet's tables on SQLite (a temp file) and on a private Postgres, alike: the migration runs
 * once however many runners start it together; a checkpoint never moves backwards within one
 * UIDVALIDITY (a late write from a runner that lost the mailbox loses) but follows a new
 * UIDVALIDITY down; a message recorded twice (delivered again after a crash) is one outbox row,
 * written in the same transaction as its checkpoint; a handler that fails leaves its entry pending
 * and the checkpoint of a failed record unmoved.
 */
import { assert, describe, layer } from "@effect/vitest"
import type { Checkpoint } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SqlClient from "effect/sql/SqlClient"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Postgres from "../../../test/support/Postgres.ts"
import * as Database from "../src/Database.ts"
import * as Migrations from "../src/Migrations.ts"
import * as Outbox from "../src/Outbox.ts"
import * as SqlCheckpoints from "../src/SqlCheckpoints.ts"

const sqlite = Layer.unwrap(
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => Database.layer({ _tag: "Sqlite", filename: path.join(dir, "fleet.db") })))
)

const postgres = Layer.unwrap(
  Effect.acquireRelease(
    Effect.promise(() => Postgres.start()),
    (pg) => Effect.promise(() => pg.stop())
  ).pipe(Effect.map((pg) => Database.layer({ _tag: "Postgres", url: Redacted.make(pg.url) })))
)

let counter = 0
const fresh = (name: string) => `${name}-${++counter}`

const entry = (key: string, uid: number, uidValidity = 7): Outbox.NewEntry => ({
  account: key,
  mailbox: "INBOX",
  uidValidity,
  uid,
  message: JSON.stringify({ uid, subject: `message ${uid}` }),
  checkpointKey: key,
  checkpoint: { uidValidity, lastUid: uid }
})

const lastUid = (key: string) =>
  SqlCheckpoints.get(key).pipe(Effect.map(Option.map((c: Checkpoint.Checkpoint) => `${c.uidValidity}/${c.lastUid}`)))

for (const [name, database] of [
  ["SQLite", sqlite],
  ["Postgres", postgres]
] as const) {
  describe(name, () => {
    layer(database, { timeout: "60 seconds" })((it) => {
      it.effect("the migration runs again and concurrently without error, tables kept", () =>
        Effect.gen(function* () {
          yield* Effect.all([Migrations.run, Migrations.run, Migrations.run], { concurrency: "unbounded" })
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM imap_fleet_migrations`
          assert.strictEqual(Number(rows[0]?.n), 1)
        })
      )

      it.effect("a checkpoint never moves back within one UIDVALIDITY, and follows a new UIDVALIDITY", () =>
        Effect.gen(function* () {
          const key = fresh("checkpoint")
          // [write uidValidity, write lastUid] -> stored [uidValidity, lastUid]
          const steps: ReadonlyArray<readonly [readonly [number, number], readonly [number, number]]> = [
            [
              [7, 10],
              [7, 10]
            ],
            [
              [7, 12],
              [7, 12]
            ],
            [
              [7, 11],
              [7, 12]
            ], // a late write from the runner that lost the mailbox
            [
              [7, 12],
              [7, 12]
            ],
            [
              [9, 3],
              [9, 3]
            ], // the mailbox was recreated: numbering starts again
            [
              [9, 2],
              [9, 3]
            ],
            [
              [7, 40],
              [7, 40]
            ] // a different UIDVALIDITY always replaces
          ]
          for (const [[uidValidity, uid], expected] of steps) {
            yield* SqlCheckpoints.set(key, { uidValidity, lastUid: uid })
            assert.deepStrictEqual(
              yield* lastUid(key),
              Option.some(expected.join("/")),
              `after writing ${uidValidity}/${uid}`
            )
          }
        })
      )

      it.effect("the mod-sequence is kept as the decimal string it was written as", () =>
        Effect.gen(function* () {
          const key = fresh("modseq")
          yield* SqlCheckpoints.set(key, { uidValidity: 1, lastUid: 5, highestModSeq: "9223372036854775807" })
          const stored = yield* SqlCheckpoints.get(key)
          assert.deepStrictEqual(
            stored,
            Option.some({ uidValidity: 1, lastUid: 5, highestModSeq: "9223372036854775807" })
          )
        })
      )

      it.effect("a message recorded twice is one outbox row; its checkpoint moved with it", () =>
        Effect.gen(function* () {
          const key = fresh("outbox")
          assert.isTrue(yield* Outbox.record(entry(key, 5)))
          assert.isFalse(yield* Outbox.record(entry(key, 5)))
          assert.isTrue(yield* Outbox.record(entry(key, 5, 8)), "the same UID under a new UIDVALIDITY is a new message")
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{
            readonly uid: number | string
          }>`SELECT uid FROM imap_fleet_outbox WHERE account = ${key}`
          assert.strictEqual(rows.length, 2)
          assert.deepStrictEqual(yield* lastUid(key), Option.some("8/5"))
        })
      )

      it.effect("a failed record moves neither the outbox nor the checkpoint", () =>
        Effect.gen(function* () {
          const key = fresh("rollback")
          yield* Outbox.record(entry(key, 1))
          const sql = yield* SqlClient.SqlClient
          // A checkpoint the NOT NULL column refuses: its statement fails after the outbox row was
          // inserted, and the transaction must take that row back.
          const bad = { ...entry(key, 2), checkpoint: { uidValidity: null as unknown as number, lastUid: 2 } }
          const result = yield* Effect.exit(Outbox.record(bad))
          assert.isTrue(result._tag === "Failure")
          assert.deepStrictEqual(yield* lastUid(key), Option.some("7/1"))
          const rows = yield* sql<{
            readonly uid: number | string
          }>`SELECT uid FROM imap_fleet_outbox WHERE account = ${key}`
          assert.deepStrictEqual(
            rows.map((r) => Number(r.uid)),
            [1]
          )
        })
      )

      it.effect("handleNext hands entries over in order, and a failing handler leaves its entry pending", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`UPDATE imap_fleet_outbox SET handled = TRUE`
          const key = fresh("handle")
          for (const uid of [1, 2, 3]) yield* Outbox.record(entry(key, uid))
          const seen: Array<number> = []
          const failed = yield* Effect.exit(Outbox.handleNext(() => Effect.fail("downstream refused")))
          assert.isTrue(failed._tag === "Failure")
          while (yield* Outbox.handleNext((e) => Effect.sync(() => void seen.push(e.uid)))) {}
          assert.deepStrictEqual(seen, [1, 2, 3])
          assert.deepStrictEqual(yield* Outbox.pending(10), [])
        })
      )
    })
  })
}
