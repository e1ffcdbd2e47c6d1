/**
 * IDLE (RFC 2177) as a scoped Stream of typed mailbox events, shaped like `PgConnection.listen`:
 * the stream is ready only once the server answered `+` (whatever its text), every event is
 * delivered as it arrives, closing the scope sends DONE and waits for the tagged OK.
 *
 * Around the one IDLE command: re-issue before the server's cut-off (RFC 2177: 29 minutes), a
 * liveness probe when the connection has gone silent, DONE whenever another command is queued
 * (then IDLE resumes), and NOOP polling where the server has no IDLE.
 *
 * Internal to the package: both functions take the raw connection. Users reach IDLE through
 * `session.idle()`; the watcher runs `keepIdling` beside its own subscription. The events and
 * options users see are in Idle.ts.
 */
import { Command, type UntaggedData } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { identity } from "effect/Function"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as Commands from "../Commands.ts"
import type { ImapConnection } from "../ImapConnection.ts"
import { defaultReissueAfter, type IdleOptions, type MailboxEvent, toEvent } from "../Idle.ts"
import { fromReason, type ImapError, Timeout } from "../ImapError.ts"
import * as Deadline from "./Deadline.ts"
import * as FirstOf from "./FirstOf.ts"
import * as PullStream from "./PullStream.ts"

export type { IdleOptions, MailboxEvent } from "../Idle.ts"

const doneBytes = new TextEncoder().encode("DONE\r\n")

/**
 * One IDLE command: resolves `ready` on `+`, sends DONE when `stop` completes (the connection
 * completes it when another command is queued), and returns when the tagged reply arrived.
 */
const idleOnce = (connection: ImapConnection, stop: Deferred.Deferred<void>, ready: Deferred.Deferred<void>) =>
  connection.run(Commands.request(connection, Command.idle, { hold: { ready, release: stop, done: doneBytes } }))

/**
 * Keeps IDLE running on `connection` until the scope closes; fails if the connection dies. Returns
 * once the first IDLE is established (or polling has started).
 */
export const keepIdling = (
  connection: ImapConnection,
  greetingText: string,
  options?: IdleOptions
): Effect.Effect<Fiber.Fiber<never, ImapError>, ImapError, Scope.Scope> =>
  Effect.gen(function* () {
    const reissueAfter = options?.reissueAfter
      ? Duration.fromInputUnsafe(options.reissueAfter)
      : defaultReissueAfter(greetingText)
    const liveness = Duration.toMillis(Duration.fromInputUnsafe(options?.livenessDeadline ?? "5 minutes"))
    const probeTimeout = Duration.fromInputUnsafe(options?.probeTimeout ?? "10 seconds")
    const pollInterval = Duration.fromInputUnsafe(options?.pollInterval ?? "30 seconds")
    const firstReady = yield* Deferred.make<void, ImapError>()

    if (!connection.capabilities().has("IDLE")) {
      const noop = connection.run(Commands.request(connection, Command.noop))
      const fiber = yield* Effect.forkScoped(
        Effect.forever(Effect.andThen(Effect.sleep(pollInterval), noop)) as Effect.Effect<never, ImapError>
      )
      return fiber
    }

    // Re-issue and liveness on one timer (re-armed by traffic), run by the one fiber a cycle forks.
    const deadlines = Effect.map(
      Deadline.silenceOrLimit(liveness, Duration.toMillis(reissueAfter), connection.lastReceivedAt),
      (d) => (d === "limit" ? ("reissue" as const) : ("silent" as const))
    )

    const cycle = Effect.gen(function* () {
      const stop = yield* Deferred.make<void>()
      const ready = yield* Deferred.make<void>()
      // Detached so that interrupting the loop (the stream closing) still lets DONE go out and the
      // tagged OK come back: the onInterrupt below waits for exactly that.
      const command = yield* Effect.forkDetach(idleOnce(connection, stop, ready))
      const body = Effect.gen(function* () {
        const started = yield* FirstOf.firstOf<boolean, ImapError>([
          FirstOf.deferred(ready, () => Effect.succeed(true)),
          FirstOf.fiber(command, (exit) =>
            Exit.isSuccess(exit) ? Effect.succeed(false) : Effect.failCause(exit.cause)
          )
        ])
        // Refused or ended at once: try again, but not in a tight loop against a server that keeps
        // answering IDLE with OK (or NO) and no `+`.
        if (!started) return yield* Effect.sleep(Duration.seconds(1))
        yield* Deferred.succeed(firstReady, undefined)
        // One fiber for both deadlines, the signals watched by callback from this one: a race
        // forked a fiber per side (three, at first six) that lived as long as the IDLE (hours).
        const timer = yield* Effect.forkChild(deadlines)
        const why = yield* FirstOf.firstOf<"reissue" | "silent" | "wanted" | "ended", never>([
          FirstOf.fiber(timer, identity),
          FirstOf.deferred(stop, () => Effect.succeed("wanted" as const)),
          // "ended": the server completed IDLE on its own (or the connection died): start over / fail.
          FirstOf.fiber(command, () => Effect.succeed("ended" as const))
        ]).pipe(Effect.ensuring(Fiber.interrupt(timer)))
        yield* Deferred.succeed(stop, undefined)
        if (why === "silent") {
          // Liveness probe: the server must answer DONE (and then a NOOP) within the probe timeout.
          const probe = Effect.andThen(Fiber.join(command), connection.run(Commands.request(connection, Command.noop)))
          yield* probe.pipe(
            Effect.timeoutOrElse({
              duration: probeTimeout,
              orElse: () => {
                const error = fromReason(new Timeout({ phase: "idle", millis: Duration.toMillis(probeTimeout) }))
                // The IDLE is still pending: without this, every later command would queue behind it.
                connection.fail(error)
                return Effect.fail(error)
              }
            })
          )
        } else yield* Fiber.join(command)
      })
      yield* body.pipe(
        Effect.onInterrupt(() =>
          Deferred.succeed(stop, undefined).pipe(
            Effect.andThen(Fiber.await(command)),
            Effect.timeout(probeTimeout),
            Effect.ignore
          )
        )
      )
    })

    const loop = Effect.forever(cycle) as Effect.Effect<never, ImapError>
    const fiber = yield* Effect.forkScoped(loop.pipe(Effect.tapError((e) => Deferred.fail(firstReady, e))))
    yield* Deferred.await(firstReady)
    return fiber
  })

/**
 * The IDLE stream of a selected mailbox: mailbox events as they arrive. Ends with the connection's
 * error if it dies; closing the stream ends IDLE cleanly (DONE, tagged OK). A consumer that falls
 * behind holds the connection's reader (TCP backpressure) rather than a growing buffer, and a run
 * of EXISTS it has not taken is handed over as the newest count (ImapConnection.subscribe).
 */
export const stream = (
  connection: ImapConnection,
  greetingText: string,
  options?: IdleOptions
): Stream.Stream<MailboxEvent, ImapError> =>
  PullStream.make(
    Effect.gen(function* () {
      // Subscribed before IDLE starts: nothing the server says in between is lost.
      const events = yield* connection.subscribe({ accept: isEvent })
      const idler = yield* keepIdling(connection, greetingText, options)
      // The first failure of the loop or the connection ends the events: watched by callback, not
      // by a fiber racing two more for as long as the stream lives. Nothing to unregister when the
      // stream closes: the loop's fiber is forked in the stream's scope, so closing it ends that
      // fiber, which settles the wait and takes its waiter off `closed`.
      const endWith = (exit: Exit.Exit<unknown, ImapError>) => {
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        if (error?._tag === "Some") events.end(Exit.fail(error.value))
      }
      FirstOf.onFirst([FirstOf.fiber(idler, identity), FirstOf.deferred(connection.closed, identity)], endWith)
      return Effect.map(events.pull, toEvents)
    })
  )

const isEvent = (r: UntaggedData): boolean => toEvent(r) !== undefined

/** A batch the subscription let through (`isEvent`): each response has its event. */
const toEvents = (batch: NonEmptyReadonlyArray<UntaggedData>): NonEmptyReadonlyArray<MailboxEvent> =>
  batch.map((r) => toEvent(r)!) as unknown as NonEmptyReadonlyArray<MailboxEvent>
