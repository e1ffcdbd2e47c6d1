/**
 * What `imap fleet status` shows: the runners the cluster knows, and for each watched mailbox its
 * owner (as that runner last reported), state and checkpoint.
 *
 * @module
 */
import { Checkpoint } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as Registry from "./Registry.ts"
import * as SqlCheckpoints from "./SqlCheckpoints.ts"

/** A runner as the cluster's runner table has it. */
export interface Runner {
  readonly address: string
  readonly healthy: boolean
  readonly lastHeartbeat: string
}

/** A watched mailbox with its checkpoint. */
export interface Mailbox extends Registry.Watched {
  readonly checkpoint: Checkpoint.Checkpoint | undefined
}

/** The whole picture. */
export interface Status {
  readonly runners: ReadonlyArray<Runner>
  readonly mailboxes: ReadonlyArray<Mailbox>
}

// The cluster creates its runner table when the first runner starts: before that, there is none.
const runners = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{
    readonly address: string
    readonly healthy: boolean | number
    readonly last_heartbeat: string | Date
  }>`SELECT address, healthy, last_heartbeat FROM cluster_runners ORDER BY address`
  return rows.map(
    (r): Runner => ({
      address: r.address,
      healthy: r.healthy === true || r.healthy === 1,
      lastHeartbeat: r.last_heartbeat instanceof Date ? r.last_heartbeat.toISOString() : String(r.last_heartbeat)
    })
  )
}).pipe(Effect.catch(() => Effect.succeed([] as ReadonlyArray<Runner>)))

/** Reads the runners, the registry and the checkpoints. */
export const read: Effect.Effect<Status, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const rows = yield* Registry.list
  const mailboxes = yield* Effect.forEach(rows, (row) =>
    Effect.gen(function* () {
      const settings = yield* Registry.settings(row.account).pipe(Effect.orElseSucceed(() => undefined))
      const checkpoint =
        settings === undefined
          ? Option.none()
          : yield* SqlCheckpoints.get(Checkpoint.keyOf(settings.host, settings.user, row.mailbox))
      return { ...row, checkpoint: Option.getOrUndefined(checkpoint) }
    })
  )
  return { runners: yield* runners, mailboxes }
})
