/**
 * The fleet's database from one setting: `sqlite:PATH` (one host: every runner opens the same
 * file) or a `postgres://` URL (many hosts). The fleet's tables are migrated when the layer is built.
 *
 * @module
 */
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as SqlClient from "effect/sql/SqlClient"
import * as Migrations from "./Migrations.ts"

/** Where the fleet's database is. */
export type Location =
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

/** A `--db` / `IMAP_FLEET_DB` value that is neither `sqlite:PATH` nor a `postgres://` URL. */
export class InvalidLocation extends Data.TaggedError("InvalidLocation")<{ readonly message: string }> {}

/**
 * Reads `sqlite:PATH` or `postgres://...` (also `postgresql://`). The URL may carry a password, so
 * it is kept `Redacted`.
 */
export const parse = (text: string): Effect.Effect<Location, InvalidLocation> => {
  if (text.startsWith("sqlite:")) {
    const filename = text.slice("sqlite:".length)
    if (filename.length > 0) return Effect.succeed({ _tag: "Sqlite", filename })
  } else if (/^postgres(ql)?:\/\//.test(text)) {
    return Effect.succeed({ _tag: "Postgres", url: Redacted.make(text) })
  }
  return Effect.fail(
    new InvalidLocation({ message: "expected sqlite:PATH or a postgres:// URL for the fleet's database" })
  )
}

/** A `SqlClient` for `location`, with the fleet's tables migrated. */
export const layer = (location: Location): Layer.Layer<SqlClient.SqlClient, unknown> => {
  const client =
    location._tag === "Sqlite"
      ? SqliteClient.layer({ filename: location.filename })
      : PgClient.layer({ url: location.url })
  return Layer.effectDiscard(Migrations.run).pipe(Layer.provideMerge(client))
}
