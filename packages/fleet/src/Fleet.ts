/**
 * A fleet of watched mailboxes on Effect's cluster: `layerSingle` runs every mailbox in this
 * process on a SQLite file; `layer` makes this process one runner of many, which find each other
 * through the shared database (a SQLite file on one host, Postgres across hosts) and talk over TCP.
 * Either needs a `Sink`, where each new message goes.
 *
 * The settings that decide how soon a dead runner's mailboxes are watched again (the cluster's own
 * defaults take about 36 s): runners check each other's health every 2 s; shard locks (lease rows on
 * SQLite, advisory locks on Postgres) are refreshed every 2 s and expire after 6 s; shard
 * assignments are re-read, and requests stored while a shard had no owner looked for, every second.
 *
 * @module
 */
import { NodeClusterSocket, NodeCrypto } from "@effect/platform-node"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import type * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as SingleRunner from "effect/cluster/SingleRunner"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Database from "./Database.ts"
import * as MailboxEntity from "./MailboxEntity.ts"
import * as Reconciler from "./Reconciler.ts"
import type { Sink } from "./Sink.ts"

/** The sharding settings, the same for SQLite and Postgres (see the module's description). */
export const shardingConfig: Partial<ShardingConfig.ShardingConfig["Service"]> = {
  runnerHealthCheckInterval: Duration.seconds(2),
  refreshAssignmentsInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.seconds(1),
  // Each watched mailbox is one resident entity: the default 10,000 would park the rest silently.
  maxResidentEntities: "unbounded",
  // SQLite holds a shard by a lease row; Postgres by an advisory lock whose session the server also
  // ends after this much idleness. With the default 35 s a kill -9 under 1,000 mailboxes took 31 s
  // to re-home on Postgres (6.8 s on SQLite with these values).
  shardLockRefreshInterval: Duration.seconds(2),
  shardLockExpiration: Duration.seconds(6)
}

/** Every watched mailbox in this one process, the fleet's state in a SQLite file. */
export const layerSingle = (filename: string): Layer.Layer<never, unknown, Sink> => {
  const location: Database.Location = { _tag: "Sqlite", filename }
  return Layer.mergeAll(MailboxEntity.layer("local"), Reconciler.layer()).pipe(
    Layer.provide(SingleRunner.layer({ shardingConfig, runnerStorage: "memory" })),
    Layer.provide(NodeCrypto.layerDigest),
    Layer.provide(Database.layer(location))
  )
}

/** Where this runner listens for the others (and the name `fleet status` shows for it). */
export interface Listen {
  readonly host: string
  readonly port: number
}

/** This process as one runner of a fleet sharing `location`. */
export const layer = (location: Database.Location, listen: Listen): Layer.Layer<never, unknown, Sink> =>
  Layer.mergeAll(MailboxEntity.layer(`${listen.host}:${listen.port}`), Reconciler.layer()).pipe(
    Layer.provide(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: {
          ...shardingConfig,
          runnerAddress: Option.some(RunnerAddress.make(listen.host, listen.port))
        }
      })
    ),
    Layer.provide(Database.layer(location))
  )
