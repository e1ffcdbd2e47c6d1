/**
 * The fleet's accounts and watched mailboxes, as `imap fleet add/remove/status` and the runners see
 * them. Each watched mailbox is a row whose id is its watch's generation; removing marks it (a
 * tombstone) until the runner watching it has stopped, so a runner that missed the removal is still
 * told.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as Account from "./Account.ts"
import { writeTransaction } from "./internal/WriteTransaction.ts"

/** A watched mailbox: its account, name, generation, and what its runner last reported. */
export interface Watched {
  readonly generation: number
  readonly account: string
  readonly mailbox: string
  readonly removed: boolean
  /** The runner (host:port) watching it, as that runner last wrote. */
  readonly runner: string | undefined
  readonly state: string
  readonly detail: string | undefined
}

interface Row {
  readonly id: number | string
  readonly account: string
  readonly mailbox: string
  readonly removed: boolean | number
  readonly runner: string | null
  readonly state: string
  readonly detail: string | null
}

const toWatched = (row: Row): Watched => ({
  generation: Number(row.id),
  account: row.account,
  mailbox: row.mailbox,
  removed: row.removed === true || row.removed === 1,
  runner: row.runner ?? undefined,
  state: row.state,
  detail: row.detail ?? undefined
})

const encodeSettings = Schema.encodeSync(Account.SettingsJson)
const decodeSettings = Schema.decodeUnknownEffect(Account.SettingsJson)

/**
 * Adds (or updates) account `name` and watches `mailboxes` of it. A mailbox already watched keeps
 * its generation; one removed, or whose watch failed, gets a new one (so it is watched again).
 */
export const add = (
  name: string,
  settings: Account.Settings,
  mailboxes: ReadonlyArray<string>
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const json = encodeSettings(settings)
    yield* writeTransaction(
      sql,
      Effect.gen(function* () {
        yield* sql`INSERT INTO imap_fleet_accounts (name, settings) VALUES (${name}, ${json})
          ON CONFLICT (name) DO UPDATE SET settings = excluded.settings`
        for (const mailbox of mailboxes) {
          // A tombstone, or a watch that ended failing (a refused login, now fixed): a new generation.
          yield* sql`DELETE FROM imap_fleet_mailboxes
            WHERE account = ${name} AND mailbox = ${mailbox} AND (removed = TRUE OR state = 'failed')`
          yield* sql`INSERT INTO imap_fleet_mailboxes (account, mailbox) VALUES (${name}, ${mailbox})
            ON CONFLICT (account, mailbox) DO NOTHING`
        }
      })
    )
  })

/**
 * Stops watching `mailbox` of account `name`, or every mailbox of it; the account goes once its
 * last mailbox's watch has stopped (`forget`). Whether anything was watched.
 */
export const remove = (name: string, mailbox?: string): Effect.Effect<boolean, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows =
      mailbox === undefined
        ? yield* sql<{ readonly id: unknown }>`UPDATE imap_fleet_mailboxes SET removed = TRUE
            WHERE account = ${name} AND removed = FALSE RETURNING id`
        : yield* sql<{ readonly id: unknown }>`UPDATE imap_fleet_mailboxes SET removed = TRUE
            WHERE account = ${name} AND mailbox = ${mailbox} AND removed = FALSE RETURNING id`
    return rows.length > 0
  })

/** Every watched mailbox and tombstone, by account and name. */
export const list: Effect.Effect<ReadonlyArray<Watched>, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<Row>`SELECT id, account, mailbox, removed, runner, state, detail
    FROM imap_fleet_mailboxes ORDER BY account, mailbox`
  return rows.map(toWatched)
})

/** The stored settings of account `name`; undefined when it is gone. */
export const settings = (
  name: string
): Effect.Effect<Account.Settings | undefined, SqlError | Schema.SchemaError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{
      readonly settings: string
    }>`SELECT settings FROM imap_fleet_accounts WHERE name = ${name}`
    const row = rows[0]
    return row === undefined ? undefined : yield* decodeSettings(row.settings)
  })

/** Whether generation `generation` is still to be watched (present and not removed). */
export const isWatched = (generation: number): Effect.Effect<boolean, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly id: unknown }>`SELECT id FROM imap_fleet_mailboxes
      WHERE id = ${generation} AND removed = FALSE`
    return rows.length > 0
  })

/** Records what the runner watching generation `generation` is doing, for `fleet status`. */
export const report = (
  generation: number,
  runner: string,
  state: string,
  detail?: string
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE imap_fleet_mailboxes SET runner = ${runner}, state = ${state}, detail = ${detail ?? null}
      WHERE id = ${generation}`
  })

/** Deletes a tombstone whose watch has stopped, and its account once no mailbox of it is left. */
export const forget = (generation: number): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* writeTransaction(
      sql,
      Effect.gen(function* () {
        const rows = yield* sql<{ readonly account: string }>`DELETE FROM imap_fleet_mailboxes
          WHERE id = ${generation} AND removed = TRUE RETURNING account`
        const account = rows[0]?.account
        if (account === undefined) return
        yield* sql`DELETE FROM imap_fleet_accounts WHERE name = ${account}
          AND NOT EXISTS (SELECT 1 FROM imap_fleet_mailboxes WHERE account = ${account})`
      })
    )
  })
