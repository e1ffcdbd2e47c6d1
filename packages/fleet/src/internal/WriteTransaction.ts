/**
 * A transaction that will write. On SQLite it begins IMMEDIATE: a deferred transaction that reads
 * first and then writes can meet another process's writer and fail with SQLITE_BUSY at once (the
 * busy timeout does not apply to a lock upgrade), where IMMEDIATE waits for the write lock up front.
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

export const writeTransaction = <A, E, R>(
  sql: SqlClient.SqlClient,
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError, R> =>
  sql
    .withTransaction(self)
    .pipe(
      Effect.provideService(
        SqlClient.BeginTransaction,
        sql.onDialectOrElse({ sqlite: () => "BEGIN IMMEDIATE", orElse: () => undefined })
      )
    )
