/**
 * The fleet's tables, created by effect/sql's migrator (which takes a table lock on Postgres, so
 * runners starting together migrate once): accounts and their watched mailboxes, one checkpoint per
 * watched mailbox, and the outbox of new messages. The same statements serve SQLite and Postgres;
 * only the outbox's generated id is spelled per dialect.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

const tables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE imap_fleet_accounts (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL
  )`
  const id = sql.onDialectOrElse({
    pg: () => sql.literal("BIGSERIAL PRIMARY KEY"),
    orElse: () => sql.literal("INTEGER PRIMARY KEY AUTOINCREMENT")
  })
  // `id` doubles as the watch's generation: a mailbox removed and added again is a new row, so its
  // new watch is not mistaken for the finished one. `removed` is a tombstone until its watch stops.
  yield* sql`CREATE TABLE imap_fleet_mailboxes (
    id ${id},
    account TEXT NOT NULL REFERENCES imap_fleet_accounts (name) ON DELETE CASCADE,
    mailbox TEXT NOT NULL,
    removed BOOLEAN NOT NULL DEFAULT FALSE,
    runner TEXT,
    state TEXT NOT NULL DEFAULT 'added',
    detail TEXT,
    UNIQUE (account, mailbox)
  )`
  yield* sql`CREATE TABLE imap_fleet_checkpoints (
    key TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    highest_modseq TEXT
  )`
  yield* sql`CREATE TABLE imap_fleet_outbox (
    id ${id},
    account TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    message TEXT NOT NULL,
    handled BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (account, mailbox, uid_validity, uid)
  )`
  yield* sql`CREATE INDEX imap_fleet_outbox_pending ON imap_fleet_outbox (handled, id)`
})

const migrator = Migrator.make({})

/**
 * Brings the database to the fleet's current tables. Another process migrating at the same moment
 * (SQLite has no table lock: the migrator then answers `Locked`) is waited for and the run retried.
 */
export const run: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = migrator({
  loader: Migrator.fromRecord({ "1_fleet": tables }),
  table: "imap_fleet_migrations"
}).pipe(
  Effect.retry({
    while: (error) => error._tag === "MigrationError" && error.kind === "Locked",
    schedule: Schedule.spaced("100 millis"),
    times: 50
  }),
  Effect.asVoid
)
