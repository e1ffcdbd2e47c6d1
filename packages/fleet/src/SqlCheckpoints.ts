/**
 * The watcher's `CheckpointStore` in the fleet's database, so a mailbox that moves to another
 * runner resumes where the last one stopped. A write never moves the last UID backwards within one
 * UIDVALIDITY: a runner that lost its mailbox may still finish a write after the new owner has gone
 * further, and that late write must not make the new owner deliver again.
 *
 * @module
 */
import { Checkpoint } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

interface Row {
  readonly uid_validity: number | string | bigint
  readonly last_uid: number | string | bigint
  readonly highest_modseq: string | null
}

const toCheckpoint = (row: Row): Checkpoint.Checkpoint => ({
  uidValidity: Number(row.uid_validity),
  lastUid: Number(row.last_uid),
  ...(row.highest_modseq === null ? {} : { highestModSeq: row.highest_modseq })
})

const failure = (message: string) => (cause: SqlError) => new Checkpoint.CheckpointError({ message, cause })

/** The stored checkpoint under `key`, if any. */
export const get = (key: string): Effect.Effect<Option.Option<Checkpoint.Checkpoint>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Row>`SELECT uid_validity, last_uid, highest_modseq
      FROM imap_fleet_checkpoints WHERE key = ${key}`
    return Option.map(Option.fromNullishOr(rows[0]), toCheckpoint)
  })

/**
 * Stores `checkpoint` under `key` unless the stored one has the same UIDVALIDITY and a higher last
 * UID. One statement, so it holds between processes without a lock: the conditional upsert is
 * atomic in SQLite and Postgres alike.
 */
export const set = (
  key: string,
  checkpoint: Checkpoint.Checkpoint
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO imap_fleet_checkpoints (key, uid_validity, last_uid, highest_modseq)
      VALUES (${key}, ${checkpoint.uidValidity}, ${checkpoint.lastUid}, ${checkpoint.highestModSeq ?? null})
      ON CONFLICT (key) DO UPDATE SET
        uid_validity = excluded.uid_validity,
        last_uid = excluded.last_uid,
        highest_modseq = excluded.highest_modseq
      WHERE imap_fleet_checkpoints.uid_validity <> excluded.uid_validity
        OR imap_fleet_checkpoints.last_uid <= excluded.last_uid`
  })

/** `CheckpointStore` over the fleet's `imap_fleet_checkpoints` table (created by `Migrations.run`). */
export const layer: Layer.Layer<Checkpoint.CheckpointStore, never, SqlClient.SqlClient> = Layer.effect(
  Checkpoint.CheckpointStore,
  Effect.gen(function* () {
    const context = yield* Effect.context<SqlClient.SqlClient>()
    return Checkpoint.CheckpointStore.of({
      get: (key) =>
        get(key).pipe(Effect.mapError(failure(`cannot read the checkpoint of ${key}`)), Effect.provideContext(context)),
      set: (key, checkpoint) =>
        set(key, checkpoint).pipe(
          Effect.mapError(failure(`cannot write the checkpoint of ${key}`)),
          Effect.provideContext(context)
        )
    })
  })
)
