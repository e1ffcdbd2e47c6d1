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
import { Command } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { identity } from "effect/Function"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Commands from "../Commands.ts"
import type { ImapConnection } from "../ImapConnection.ts"
import { defaultReissueAfter, type IdleOptions, type MailboxEvent, toEvent } from "../Idle.ts"
import { fromReason, type ImapError, Timeout } from "../ImapError.ts"
import * as Deadline from "./Deadline.ts"
import * as FirstOf from "./FirstOf.ts"
import * as SharedClock from "./SharedClock.ts"

export type { IdleOptions, MailboxEvent } from "../Idle.ts"

const doneBytes = new TextEncoder().encode("DONE\r\n")

/**
 * Keeps IDLE running on `connection` until the scope closes; fails if the connection dies. Returns
 * once the first IDLE is established (or polling has started).
 *
 * One fiber in all, the loop's: it waits inside the IDLE command itself (`run` holds the queue
 * until released), and the re-issue, liveness and probe deadlines are callbacks on the process's
 * shared timer (SharedClock). A fiber for the command and one for its timer cost 3-4 KB each per
 * connection, for as long as IDLE lasts (bench/session-memory.ts).
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

    const timers = yield* SharedClock.get
    const cycle = Effect.suspend(
      () => new Cycle(connection, timers, liveness, reissueAfter, probeTimeout, firstReady).run
    )
    const loop = Effect.forever(cycle) as Effect.Effect<never, ImapError>
    const fiber = yield* Effect.forkScoped(loop.pipe(Effect.tapError((e) => Deferred.fail(firstReady, e))))
    yield* Deferred.await(firstReady)
    return fiber
  })

/**
 * One IDLE command and what ends it: another command wanting the connection (the queue releases
 * it), the re-issue deadline, silence (then a probe: DONE and a NOOP answered within
 * `probeTimeout`, else the connection is declared dead), or the server ending it. A class: what a
 * cycle holds for hours is one object, its callbacks on the prototype.
 */
class Cycle {
  private readonly release = Deferred.makeUnsafe<void>()
  private started = false
  private why: "silent" | "limit" | undefined = undefined
  private cancelDeadlines: (() => void) | undefined = undefined
  private cancelProbe: (() => void) | undefined = undefined
  private readonly connection: ImapConnection
  private readonly timers: SharedClock.SharedClock
  private readonly liveness: number
  private readonly reissueAfter: Duration.Duration
  private readonly probeTimeout: Duration.Duration
  private readonly firstReady: Deferred.Deferred<void, ImapError>
  readonly run: Effect.Effect<void, ImapError>

  constructor(
    connection: ImapConnection,
    timers: SharedClock.SharedClock,
    liveness: number,
    reissueAfter: Duration.Duration,
    probeTimeout: Duration.Duration,
    firstReady: Deferred.Deferred<void, ImapError>
  ) {
    this.connection = connection
    this.timers = timers
    this.liveness = liveness
    this.reissueAfter = reissueAfter
    this.probeTimeout = probeTimeout
    this.firstReady = firstReady
    const request = Commands.request(connection, Command.idle, {
      hold: {
        onReady: () => this.onReady(),
        release: this.release,
        done: doneBytes,
        settleMillis: Duration.toMillis(probeTimeout)
      }
    })
    this.run = connection.run(request).pipe(
      Effect.andThen(() => this.after()),
      Effect.ensuring(Effect.sync(() => this.cancel()))
    )
  }

  private onReady(): void {
    this.started = true
    Deferred.doneUnsafe(this.firstReady, Exit.void)
    this.cancelDeadlines = Deadline.onSilenceOrLimit(
      this.timers,
      this.liveness,
      Duration.toMillis(this.reissueAfter),
      this.connection.lastReceivedAt,
      (why) => this.onDeadline(why)
    )
  }

  private onDeadline(why: "silent" | "limit"): void {
    this.why = why
    // Liveness probe: the server must answer DONE (and then a NOOP) within the probe timeout.
    if (why === "silent")
      this.cancelProbe = this.timers.after(Duration.toMillis(this.probeTimeout), () => this.probeTimedOut())
    Deferred.doneUnsafe(this.release, Exit.void)
  }

  private probeTimedOut(): void {
    // The IDLE (or the NOOP) is still pending: without this, every later command would queue behind it.
    this.connection.fail(fromReason(new Timeout({ phase: "idle", millis: Duration.toMillis(this.probeTimeout) })))
  }

  /** After the tagged reply: the probe's NOOP, or a pause when IDLE did not start. */
  private after(): Effect.Effect<void, ImapError> {
    // Refused or ended at once: try again, but not in a tight loop against a server that keeps
    // answering IDLE with OK (or NO) and no `+`.
    if (!this.started) return Effect.sleep(Duration.seconds(1))
    if (this.why === "silent")
      return Effect.asVoid(this.connection.run(Commands.request(this.connection, Command.noop)))
    return Effect.void
  }

  private cancel(): void {
    this.cancelDeadlines?.()
    this.cancelProbe?.()
  }
}

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
  Stream.unwrap(
    Effect.gen(function* () {
      // Subscribed before IDLE starts: nothing the server says in between is lost.
      const events = yield* connection.subscribe({ accept: (r) => toEvent(r) !== undefined })
      const idler = yield* keepIdling(connection, greetingText, options)
      // The first failure of the loop or the connection ends the events: watched by callback, not
      // by a fiber racing two more for as long as the stream lives.
      const endWith = (exit: Exit.Exit<unknown, ImapError>) => {
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        if (error?._tag === "Some") events.end(Exit.fail(error.value))
      }
      const unwatch = FirstOf.onFirst(
        [FirstOf.fiber(idler, identity), FirstOf.deferred(connection.closed, identity)],
        endWith
      )
      yield* Effect.addFinalizer(() => Effect.sync(unwatch))
      const pull = Effect.map(
        events.pull,
        (batch) => batch.map((r) => toEvent(r)!) as unknown as NonEmptyReadonlyArray<MailboxEvent>
      )
      return Stream.fromPull(Effect.succeed(pull))
    })
  )
