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
import type * as Context from "effect/Context"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as Commands from "../Commands.ts"
import type { Held, ImapConnection } from "../ImapConnection.ts"
import { defaultReissueAfter, type IdleOptions, type MailboxEvent, toEvent } from "../Idle.ts"
import { fromReason, type ImapError, Timeout } from "../ImapError.ts"
import * as Deadline from "./Deadline.ts"
import * as FirstOf from "./FirstOf.ts"
import * as PullStream from "./PullStream.ts"
import * as SharedClock from "./SharedClock.ts"

export type { IdleOptions, MailboxEvent } from "../Idle.ts"

const doneBytes = new TextEncoder().encode("DONE\r\n")

const ignore = (): void => {}

/**
 * Keeps IDLE running on `connection` until the scope closes; fails if the connection dies. Returns
 * once the first IDLE is established (or polling has started), with a fiber that fails with the
 * loop's error (it does nothing else: IDLE runs without it, see `startIdling`).
 */
export const keepIdling: (
  connection: ImapConnection,
  greetingText: string,
  options?: IdleOptions
) => Effect.Effect<Fiber.Fiber<never, ImapError>, ImapError, Scope.Scope> = Effect.fnUntraced(function* (
  connection: ImapConnection,
  greetingText: string,
  options?: IdleOptions
) {
  const ended = Deferred.makeUnsafe<never, ImapError>()
  yield* startIdling(connection, greetingText, options, (cause) => Deferred.doneUnsafe(ended, Exit.failCause(cause)))
  return yield* Effect.forkScoped(Deferred.await(ended))
})

/**
 * Starts IDLE on `connection` for as long as the scope lasts (closing it ends IDLE: DONE and the
 * tagged reply, within `probeTimeout`), and returns once the first IDLE holds the connection (or
 * polling has started). `onEnd` gets the loop's failure; it never ends otherwise.
 *
 * While IDLE holds the connection, no fiber runs for it: the command waits in the queue
 * (`runHeld`), what ends it (another command, the server, the re-issue and liveness deadlines on
 * the process's shared timer, SharedClock) is watched by callback, and a fiber is forked only to
 * end one IDLE and start the next. A fiber held per idle connection cost 3-4 KB each, for hours
 * (bench/session-memory.ts).
 */
export const startIdling: (
  connection: ImapConnection,
  greetingText: string,
  options: IdleOptions | undefined,
  onEnd: (cause: Cause.Cause<ImapError>) => void
) => Effect.Effect<void, ImapError, Scope.Scope> = Effect.fnUntraced(function* (
  connection: ImapConnection,
  greetingText: string,
  options: IdleOptions | undefined,
  onEnd: (cause: Cause.Cause<ImapError>) => void
) {
  const reissueAfter = options?.reissueAfter
    ? Duration.fromInputUnsafe(options.reissueAfter)
    : defaultReissueAfter(greetingText)
  const liveness = Duration.toMillis(Duration.fromInputUnsafe(options?.livenessDeadline ?? "5 minutes"))
  const probeTimeout = Duration.fromInputUnsafe(options?.probeTimeout ?? "10 seconds")
  const pollInterval = Duration.fromInputUnsafe(options?.pollInterval ?? "30 seconds")

  if (!connection.capabilities().has("IDLE")) {
    const noop = connection.run(Commands.request(connection, Command.noop))
    const fiber = yield* Effect.forkScoped(
      Effect.forever(Effect.andThen(Effect.sleep(pollInterval), noop)) as Effect.Effect<never, ImapError>
    )
    fiber.addObserver((exit) => {
      if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) onEnd(exit.cause)
    })
    return
  }

  const idler = new Idler(connection, yield* SharedClock.get, yield* Effect.context<never>(), onEnd, {
    liveness,
    reissueAfter: Duration.toMillis(reissueAfter),
    probeTimeout
  })
  idler.start()
  yield* Effect.addFinalizer(() => Effect.suspend(() => idler.close()))
  yield* Deferred.await(idler.firstReady)
})

interface Pacing {
  readonly liveness: number
  readonly reissueAfter: number
  readonly probeTimeout: Duration.Duration
}

/**
 * The IDLE loop as callbacks. One IDLE at a time; what ends it: another command wanting the
 * connection (the queue completes `release`), the re-issue deadline, silence (then a probe: DONE
 * and a NOOP answered within `probeTimeout`, else the connection is declared dead), or the server
 * ending it. A worker fiber runs only from there until the next IDLE holds the queue. A class: what
 * an idle session holds for hours is this object, its callbacks on the prototype.
 */
class Idler {
  /** The first IDLE holds the queue (or the loop failed first). */
  readonly firstReady = Deferred.makeUnsafe<void, ImapError>()
  private readonly connection: ImapConnection
  private readonly timers: SharedClock.SharedClock
  private readonly context: Context.Context<never>
  private readonly liveness: number
  private readonly reissueAfter: number
  private readonly probeMillis: number
  /** Gets the loop's failure, once. */
  private onEnd: ((cause: Cause.Cause<ImapError>) => void) | undefined
  private release: Deferred.Deferred<void> | undefined = undefined
  private held: Held | undefined = undefined
  private why: "silent" | "limit" | undefined = undefined
  private worker: Fiber.Fiber<void, ImapError> | undefined = undefined
  /** The worker is ending an IDLE (DONE, its reply, the probe's NOOP): let it finish. */
  private finishing = false
  private closing = false
  /** `close` is over (done, or gave up waiting after `probeTimeout`). */
  private closed = false
  private cancelDeadlines: (() => void) | undefined = undefined
  private cancelProbe: (() => void) | undefined = undefined
  private unwatch: (() => void) | undefined = undefined

  constructor(
    connection: ImapConnection,
    timers: SharedClock.SharedClock,
    context: Context.Context<never>,
    onEnd: (cause: Cause.Cause<ImapError>) => void,
    pacing: Pacing
  ) {
    this.connection = connection
    this.timers = timers
    this.context = context
    this.onEnd = onEnd
    // Numbers, not the options' objects: what an idle session holds for hours.
    this.liveness = pacing.liveness
    this.reissueAfter = pacing.reissueAfter
    this.probeMillis = Duration.toMillis(pacing.probeTimeout)
  }

  start(): void {
    this.fork(Effect.suspend(() => this.startIdle()))
  }

  /** Runs `effect` in a worker fiber, forked after the caller's synchronous work (it may be a callback). */
  private fork(effect: Effect.Effect<void, ImapError>): void {
    const fiber = Effect.runForkWith(this.context)(Effect.andThen(Effect.yieldNow, effect))
    this.worker = fiber
    fiber.addObserver((exit) => {
      if (this.worker === fiber) this.worker = undefined
      if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
        Deferred.doneUnsafe(this.firstReady, exit)
        const onEnd = this.onEnd
        this.onEnd = undefined
        onEnd?.(exit.cause)
      }
    })
  }

  /** Sends IDLE; the worker ends once it holds the queue (or retries after a pause if refused). */
  private startIdle(): Effect.Effect<void, ImapError> {
    this.finishing = false
    if (this.closing) return Effect.void
    this.why = undefined
    const release = Deferred.makeUnsafe<void>()
    this.release = release
    const request = Commands.request(this.connection, Command.idle, { hold: { release, done: doneBytes } })
    return Effect.flatMap(
      this.connection.runHeld(request, (held) => this.onHeld(held)),
      (tagged) =>
        // Refused or ended at once: try again, but not in a tight loop against a server that keeps
        // answering IDLE with OK (or NO) and no `+`.
        tagged === undefined
          ? Effect.void
          : Effect.andThen(
              Effect.sleep(Duration.seconds(1)),
              Effect.suspend(() => this.startIdle())
            )
    )
  }

  private onHeld(held: Held): void {
    Deferred.doneUnsafe(this.firstReady, Exit.void)
    // Its `+` came after `close` stopped waiting for it: it is still ended (DONE), never left
    // holding the connection (later commands, LOGOUT among them, would wait behind it).
    if (this.closed) {
      this.fork(Effect.asVoid(held.finish))
      return
    }
    this.held = held
    if (this.closing) return
    this.cancelDeadlines = Deadline.onSilenceOrLimit(
      this.timers,
      this.liveness,
      this.reissueAfter,
      () => this.connection.lastReceivedAt(),
      (why) => this.onDeadline(why)
    )
    this.unwatch = FirstOf.onFirst([FirstOf.deferred(this.release!, ignore), FirstOf.deferred(held.done, ignore)], () =>
      this.endIdle()
    )
  }

  private onDeadline(why: "silent" | "limit"): void {
    this.why = why
    // Liveness probe: the server must answer DONE (and then a NOOP) within the probe timeout.
    if (why === "silent") {
      this.cancelProbe = this.timers.after(this.probeMillis, () => this.probeTimedOut())
    }
    this.endIdle()
  }

  private probeTimedOut(): void {
    // The IDLE (or the NOOP) is still pending: without this, every later command would queue behind it.
    this.connection.fail(fromReason(new Timeout({ phase: "idle", millis: this.probeMillis })))
  }

  private stopWatching(): void {
    this.cancelDeadlines?.()
    this.unwatch?.()
    this.cancelDeadlines = this.unwatch = undefined
  }

  /** Something ended the IDLE: a worker sends DONE, awaits the reply (and the probe), starts the next. */
  private endIdle(): void {
    const held = this.held
    if (held === undefined || this.closing) return
    this.held = undefined
    this.stopWatching()
    this.finishing = true
    this.fork(
      Effect.andThen(
        held.finish,
        Effect.suspend(() => this.afterIdle())
      )
    )
  }

  private afterIdle(): Effect.Effect<void, ImapError> {
    if (this.why !== "silent") return this.startIdle()
    const noop = this.connection.run(Commands.request(this.connection, Command.noop))
    return noop.pipe(
      Effect.ensuring(Effect.sync(() => this.cancelProbe?.())),
      Effect.andThen(Effect.suspend(() => this.startIdle()))
    )
  }

  /** Ends IDLE: DONE and the tagged reply, bounded by `probeTimeout`; no IDLE starts after it. */
  close(): Effect.Effect<void> {
    this.closing = true
    this.stopWatching()
    this.cancelProbe?.()
    const worker = this.worker
    // A worker ending an IDLE is awaited (its DONE's reply); one starting one is interrupted (a
    // queued IDLE is withdrawn; one already sent gets its `+` and is then ended here).
    const settled = worker === undefined ? Effect.void : this.finishing ? Fiber.await(worker) : Fiber.interrupt(worker)
    return settled.pipe(
      Effect.andThen(
        Effect.suspend(() => {
          const held = this.held
          this.held = undefined
          return held === undefined ? Effect.void : held.finish
        })
      ),
      Effect.timeout(this.probeMillis),
      Effect.ignore,
      Effect.ensuring(
        Effect.sync(() => {
          this.closed = true
        })
      )
    )
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
): Stream.Stream<MailboxEvent, ImapError> => PullStream.make(openStream(connection, greetingText, options))

const openStream = Effect.fnUntraced(function* (
  connection: ImapConnection,
  greetingText: string,
  options: IdleOptions | undefined
) {
  // Subscribed before IDLE starts: nothing the server says in between is lost.
  const events = yield* connection.subscribe({ accept: isEvent })
  // The loop's failure ends the events (the connection's death ends them itself, after what
  // they hold): by callback, with no fiber or wait held for as long as the stream lives.
  yield* startIdling(connection, greetingText, options, (cause) => {
    const error = Cause.findErrorOption(cause)
    if (error._tag === "Some") events.end(Exit.fail(error.value))
  })
  return Effect.map(events.pull, toEvents)
})

const isEvent = (r: UntaggedData): boolean => toEvent(r) !== undefined

/** A batch the subscription let through (`isEvent`): each response has its event. */
const toEvents = (batch: NonEmptyReadonlyArray<UntaggedData>): NonEmptyReadonlyArray<MailboxEvent> =>
  batch.map((r) => toEvent(r)!) as unknown as NonEmptyReadonlyArray<MailboxEvent>
