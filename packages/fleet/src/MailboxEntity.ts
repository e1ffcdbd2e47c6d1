/**
 * One watched mailbox as a cluster entity. `Watch` starts the watcher and never completes while the
 * mailbox is watched: it is a persisted request, so when its runner dies or hands its shards over,
 * the next owner of the shard receives it again and resumes from the checkpoint. `Stop` completes
 * it (it runs beside the watch, not behind it). A watch's generation is its registry row's id: its
 * request's primary key, so the reconciler can send it again and again without a second watch.
 *
 * @module
 */
import { Checkpoint, ImapError, MessageSummary, Watcher } from "@pkg/client"
import * as Cause from "effect/Cause"
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as Entity from "effect/cluster/Entity"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Rpc from "effect/rpc/Rpc"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import * as Stream from "effect/Stream"
import * as Account from "./Account.ts"
import * as Outbox from "./Outbox.ts"
import * as Registry from "./Registry.ts"
import { Sink } from "./Sink.ts"
import * as SqlCheckpoints from "./SqlCheckpoints.ts"

const Target = { account: Schema.String, mailbox: Schema.String, generation: Schema.Number }

/** Watch a mailbox until stopped (never completes otherwise). */
export const Watch = Rpc.make("Watch", {
  payload: Target,
  primaryKey: ({ generation }) => String(generation)
})
  .annotate(ClusterSchema.Persisted, true)
  // A watch cannot finish on its own: when its runner lets the shard go, interrupt it at once
  // (the next owner resumes it) instead of waiting out the termination grace period.
  .annotate(ClusterSchema.InterruptOnTermination, true)

/** Stop watching generation `generation` (completes its `Watch`). */
export const Stop = Rpc.make("Stop", { payload: Target }).annotate(ClusterSchema.Persisted, true)

/** The entity type of watched mailboxes. */
export const MailboxEntity = Entity.make("ImapMailbox", [Watch, Stop])

/** The entity id of a mailbox: account and mailbox, neither of which can hold a NUL. */
export const entityId = (account: string, mailbox: string): string => JSON.stringify([account, mailbox])

type Target = typeof Watch.payloadSchema.Type

/** Runs one mailbox's watch: hands over what its last owner left, then every new message. */
const watchMailbox = (target: Target, runner: string) =>
  Effect.gen(function* () {
    const settings = yield* Registry.settings(target.account)
    if (settings === undefined) return
    const client = yield* Account.clientOptions(settings)
    const sink = yield* Sink
    const deliver = Outbox.drain(target.account, target.mailbox, sink.deliver)
    yield* deliver
    const key = Checkpoint.keyOf(client.host, client.auth?.user, target.mailbox)
    yield* Watcher.watchEvents({ client, mailbox: target.mailbox }).pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "NewMessage":
            return Outbox.record({
              account: target.account,
              mailbox: target.mailbox,
              uidValidity: event.uidValidity,
              uid: event.uid,
              message: JSON.stringify(MessageSummary.toJson(event)),
              checkpointKey: key,
              checkpoint: { uidValidity: event.uidValidity, lastUid: event.uid }
            }).pipe(Effect.andThen(deliver))
          case "Watching":
            return Registry.report(target.generation, runner, "watching")
          case "Disconnected":
            return Registry.report(target.generation, runner, "reconnecting", event.error.message)
          default:
            return Effect.void
        }
      })
    )
  })

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Between attempts after the database or the sink failed: 1 s doubling to at most 30 s. */
const retrySchedule = Schedule.min([Schedule.exponential("1 second"), Schedule.spaced("30 seconds")])

/** What one mailbox entity holds while alive: the generation it watches and how to stop it. */
interface Current {
  readonly generation: number
  readonly stopped: Deferred.Deferred<void>
}

/**
 * The entity's handlers on this runner. `runner` names it in `fleet status`. A watch whose
 * generation is no longer in the registry (removed while its request waited) ends at once.
 */
export const layer = (runner: string) =>
  MailboxEntity.toLayer(
    Effect.gen(function* () {
      let current: Current | undefined
      const context = yield* Effect.context<SqlClient.SqlClient | Sink | Checkpoint.CheckpointStore>()
      const failed = (target: Target) => (error: unknown) =>
        Registry.report(target.generation, runner, "failed", describe(error)).pipe(Effect.ignore)
      return MailboxEntity.of({
        Watch: ({ payload }) =>
          Rpc.fork(
            Effect.gen(function* () {
              if (current !== undefined && current.generation >= payload.generation) {
                // The same watch again, or an older one: it ends with (or before) the current one.
                if (current.generation === payload.generation) yield* Deferred.await(current.stopped)
                return
              }
              if (current !== undefined) yield* Deferred.succeed(current.stopped, undefined)
              if (!(yield* Registry.isWatched(payload.generation))) return
              const stopped = yield* Deferred.make<void>()
              const mine: Current = { generation: payload.generation, stopped }
              current = mine
              yield* Effect.raceFirst(
                watchMailbox(payload, runner).pipe(
                  // The database or the sink failing is passing trouble: try again, backing off. A
                  // watcher's own error reaches here only when retrying cannot help (a refused login).
                  Effect.tapError((error) =>
                    ImapError.isImapError(error)
                      ? Effect.void
                      : Registry.report(payload.generation, runner, "retrying", describe(error)).pipe(Effect.ignore)
                  ),
                  Effect.retry({ while: (error) => !ImapError.isImapError(error), schedule: retrySchedule }),
                  Effect.catchCause((cause) => failed(payload)(Cause.squash(cause)))
                ),
                Deferred.await(stopped)
              ).pipe(
                Effect.ensuring(
                  Effect.sync(() => {
                    if (current === mine) current = undefined
                  })
                )
              )
            }).pipe(Effect.orDie, Effect.provideContext(context))
          ),
        Stop: ({ payload }) =>
          Rpc.fork(
            Effect.gen(function* () {
              if (current?.generation === payload.generation) yield* Deferred.succeed(current.stopped, undefined)
            })
          )
      })
    }),
    { concurrency: "unbounded" }
  ).pipe(Layer.provide(SqlCheckpoints.layer))
