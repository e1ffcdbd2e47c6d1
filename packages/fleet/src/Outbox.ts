/**
 * New messages on their way downstream. A runner records each new message as a row unique on
 * (account, mailbox, UIDVALIDITY, UID) in the same transaction that moves the mailbox's checkpoint
 * past it, so a runner that dies before the commit leaves neither (the next owner delivers the
 * message again, once) and one that dies after leaves both (the next owner starts after it). A
 * consumer takes rows in id order and marks them handled.
 *
 * @module
 */
import type { Checkpoint } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { writeTransaction } from "./internal/WriteTransaction.ts"
import * as SqlCheckpoints from "./SqlCheckpoints.ts"

/** One new message as the outbox holds it: where it came from and its JSON summary. */
export interface Entry {
  readonly id: number
  readonly account: string
  readonly mailbox: string
  readonly uidValidity: number
  readonly uid: number
  /** The message's summary as JSON text (what `imap serve` prints, parsed by the consumer). */
  readonly message: string
}

/** What `record` stores: the entry without its id, and the checkpoint key of its mailbox. */
export interface NewEntry extends Omit<Entry, "id"> {
  readonly checkpointKey: string
  readonly checkpoint: Checkpoint.Checkpoint
}

/**
 * Records a new message and moves its mailbox's checkpoint in one transaction. A message already
 * recorded (the same account, mailbox, UIDVALIDITY and UID, delivered again after a crash) is kept
 * once; whether it was new is the result.
 */
export const record = (entry: NewEntry): Effect.Effect<boolean, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* writeTransaction(
      sql,
      Effect.gen(function* () {
        const inserted = yield* sql<{ readonly id: unknown }>`INSERT INTO imap_fleet_outbox
          (account, mailbox, uid_validity, uid, message)
          VALUES (${entry.account}, ${entry.mailbox}, ${entry.uidValidity}, ${entry.uid}, ${entry.message})
          ON CONFLICT (account, mailbox, uid_validity, uid) DO NOTHING
          RETURNING id`
        yield* SqlCheckpoints.set(entry.checkpointKey, entry.checkpoint)
        return inserted.length > 0
      })
    )
  })

interface Row {
  readonly id: number | string
  readonly account: string
  readonly mailbox: string
  readonly uid_validity: number | string
  readonly uid: number | string
  readonly message: string
}

const toEntry = (row: Row): Entry => ({
  id: Number(row.id),
  account: row.account,
  mailbox: row.mailbox,
  uidValidity: Number(row.uid_validity),
  uid: Number(row.uid),
  message: row.message
})

/** Up to `limit` entries not yet handled, oldest first. */
export const pending = (limit: number): Effect.Effect<ReadonlyArray<Entry>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Row>`SELECT id, account, mailbox, uid_validity, uid, message
      FROM imap_fleet_outbox WHERE handled = FALSE ORDER BY id LIMIT ${limit}`
    return rows.map(toEntry)
  })

/**
 * In one write transaction: takes the oldest pending entry (of one mailbox, or of any), runs
 * `handle` on it and marks it handled; whether there was one. `FOR UPDATE SKIP LOCKED` on Postgres
 * lets several consumers share the outbox; SQLite's write transaction already admits one.
 */
const handleOldest = <E, R>(
  sql: SqlClient.SqlClient,
  of: { readonly account: string; readonly mailbox: string } | undefined,
  handle: (entry: Entry) => Effect.Effect<void, E, R>
): Effect.Effect<boolean, E | SqlError, R> =>
  writeTransaction(
    sql,
    Effect.gen(function* () {
      const lock = sql.onDialectOrElse({
        pg: () => sql.literal("FOR UPDATE SKIP LOCKED"),
        orElse: () => sql.literal("")
      })
      const rows =
        of === undefined
          ? yield* sql<Row>`SELECT id, account, mailbox, uid_validity, uid, message
              FROM imap_fleet_outbox WHERE handled = FALSE ORDER BY id LIMIT 1 ${lock}`
          : yield* sql<Row>`SELECT id, account, mailbox, uid_validity, uid, message
              FROM imap_fleet_outbox WHERE account = ${of.account} AND mailbox = ${of.mailbox} AND handled = FALSE
              ORDER BY id LIMIT 1 ${lock}`
      const row = rows[0]
      if (row === undefined) return false
      yield* handle(toEntry(row))
      yield* sql`UPDATE imap_fleet_outbox SET handled = TRUE WHERE id = ${row.id}`
      return true
    })
  )

/**
 * Runs `handle` on the oldest pending entry and marks it handled in one transaction: a handler that
 * writes to the same database commits with the mark or not at all. Returns whether an entry was there.
 */
export const handleNext = <E, R>(
  handle: (entry: Entry) => Effect.Effect<void, E, R>
): Effect.Effect<boolean, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => handleOldest(sql, undefined, handle))

/**
 * Hands every pending entry of one mailbox to `handle`, oldest first, each marked handled in the
 * transaction that ran it. A runner calls it after each new message and when it takes a mailbox
 * over (entries its previous owner recorded but did not hand over). How many.
 */
export const drain = <E, R>(
  account: string,
  mailbox: string,
  handle: (entry: Entry) => Effect.Effect<void, E, R>
): Effect.Effect<number, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    let handled = 0
    while (yield* handleOldest(sql, { account, mailbox }, handle)) handled++
    return handled
  })
