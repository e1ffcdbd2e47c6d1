/**
 * Keeps the cluster's watches in step with the registry: one singleton in the whole fleet reads
 * the registry every `interval` and sends `Watch` for each watched mailbox it has not yet sent in
 * its lifetime (a persisted request whose primary key is its generation, so sending it again after
 * the singleton moved is harmless), and `Stop` for each tombstone, which it then forgets. `imap
 * fleet add/remove` only write the registry; they need no cluster connection.
 *
 * @module
 */
import * as Singleton from "effect/cluster/Singleton"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { entityId, MailboxEntity } from "./MailboxEntity.ts"
import * as Registry from "./Registry.ts"

/** One pass: what to send, given the registry and the generations already sent. */
export const plan = (
  rows: ReadonlyArray<Registry.Watched>,
  sent: ReadonlySet<number>
): { readonly watch: ReadonlyArray<Registry.Watched>; readonly stop: ReadonlyArray<Registry.Watched> } => ({
  watch: rows.filter((row) => !row.removed && !sent.has(row.generation)),
  stop: rows.filter((row) => row.removed)
})

const target = (row: Registry.Watched) => ({ account: row.account, mailbox: row.mailbox, generation: row.generation })

/** The singleton's loop. */
export const run = (interval: Duration.Input) =>
  Effect.gen(function* () {
    const client = yield* MailboxEntity.client
    const sent = new Set<number>()
    const pass = Effect.gen(function* () {
      const { watch, stop } = plan(yield* Registry.list, sent)
      yield* Effect.forEach(
        watch,
        (row) =>
          client(entityId(row.account, row.mailbox))
            .Watch(target(row), { discard: true })
            .pipe(Effect.tap(() => Effect.sync(() => sent.add(row.generation)))),
        { concurrency: 16, discard: true }
      )
      yield* Effect.forEach(
        stop,
        (row) =>
          client(entityId(row.account, row.mailbox))
            .Stop(target(row))
            .pipe(Effect.andThen(Registry.forget(row.generation))),
        { concurrency: 16, discard: true }
      )
    })
    // A failed pass (the database away, a shard between owners) is tried again at the next tick.
    yield* pass.pipe(
      Effect.catchCause((cause) => Effect.logWarning("fleet reconciler pass failed", cause)),
      Effect.repeat(Schedule.spaced(interval))
    )
  })

/** The reconciler as a cluster singleton (one in the fleet, moved with its shard). */
export const layer = (interval: Duration.Input = Duration.seconds(1)) =>
  Singleton.make("imap-fleet-reconciler", run(interval))
