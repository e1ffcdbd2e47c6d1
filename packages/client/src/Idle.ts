/**
 * IDLE (RFC 2177) as a scoped Stream of typed mailbox events, shaped like `PgConnection.listen`:
 * the stream is ready only once the server answered `+` (whatever its text), every event is
 * delivered as it arrives, closing the scope sends DONE and waits for the tagged OK.
 *
 * Around the one IDLE command: re-issue before the server's cut-off (RFC 2177: 29 minutes), a
 * liveness probe when the connection has gone silent, DONE whenever another command is queued
 * (then IDLE resumes), and NOOP polling where the server has no IDLE.
 */
import { Command, type SequenceSet, type UntaggedData } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Commands from "./Commands.ts"
import type { ImapConnection } from "./ImapConnection.ts"
import { fromReason, type ImapError, Timeout } from "./ImapError.ts"

export type MailboxEvent =
  | { readonly _tag: "Exists"; readonly count: number }
  | { readonly _tag: "Expunge"; readonly seq: number }
  | { readonly _tag: "Vanished"; readonly uids: SequenceSet.SequenceSet<"uid">; readonly earlier: boolean }
  | {
      readonly _tag: "FlagsChanged"
      readonly seq: number
      readonly uid: number | undefined
      readonly flags: ReadonlyArray<string>
      readonly modSeq: bigint | undefined
    }
  | { readonly _tag: "Recent"; readonly count: number }
  | { readonly _tag: "Alert"; readonly text: string }
  | { readonly _tag: "Bye"; readonly text: string }

export const toEvent = (r: UntaggedData): MailboxEvent | undefined => {
  switch (r._tag) {
    case "Exists":
      return { _tag: "Exists", count: r.count }
    case "Expunge":
      return { _tag: "Expunge", seq: r.seq }
    case "Vanished":
      return { _tag: "Vanished", uids: r.uids, earlier: r.earlier }
    case "Recent":
      return { _tag: "Recent", count: r.count }
    case "Fetch":
      return r.attributes.flags === undefined
        ? undefined
        : {
            _tag: "FlagsChanged",
            seq: r.seq,
            uid: r.attributes.uid,
            flags: r.attributes.flags,
            modSeq: r.attributes.modSeq
          }
    case "UntaggedStatus":
      if (r.status === "BYE") return { _tag: "Bye", text: r.text }
      if (r.code?._tag === "Alert") return { _tag: "Alert", text: r.text }
      return undefined
    default:
      return undefined
  }
}

export interface IdleOptions {
  /** Re-issue IDLE after this long (RFC 2177: servers may cut at 30 minutes). Default 28 minutes. */
  readonly reissueAfter?: Duration.Input | undefined
  /** Probe (DONE + NOOP) when nothing was received for this long. Default 5 minutes. */
  readonly livenessDeadline?: Duration.Input | undefined
  /** How long a probe may take before the connection is declared dead. Default 10 seconds. */
  readonly probeTimeout?: Duration.Input | undefined
  /** Polling interval for servers without IDLE. Default 30 seconds. */
  readonly pollInterval?: Duration.Input | undefined
}

/** Known servers that cut IDLE early (imapflow and go-imap use the same figures). */
export const defaultReissueAfter = (greeting: string): Duration.Duration =>
  /gimap|gmail/i.test(greeting) ? Duration.minutes(9) : Duration.minutes(28)

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

    /** Completes when the connection has received nothing for `liveness` ms. */
    const silence = Effect.gen(function* () {
      let seen = connection.bytesReceived()
      let since = yield* Clock.currentTimeMillis
      while (true) {
        yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(liveness, 1000))))
        const now = yield* Clock.currentTimeMillis
        const bytes = connection.bytesReceived()
        if (bytes !== seen) {
          seen = bytes
          since = now
        } else if (now - since >= liveness) return "silent" as const
      }
    })

    const cycle = Effect.gen(function* () {
      const stop = yield* Deferred.make<void>()
      const ready = yield* Deferred.make<void>()
      // Detached so that interrupting the loop (the stream closing) still lets DONE go out and the
      // tagged OK come back: the onInterrupt below waits for exactly that.
      const command = yield* Effect.forkDetach(idleOnce(connection, stop, ready))
      const body = Effect.gen(function* () {
        const started = yield* Effect.raceFirst(
          Effect.as(Deferred.await(ready), true),
          Effect.as(Fiber.join(command), false)
        )
        // Refused or ended at once: try again, but not in a tight loop against a server that keeps
        // answering IDLE with OK (or NO) and no `+`.
        if (!started) return yield* Effect.sleep(Duration.seconds(1))
        yield* Deferred.succeed(firstReady, undefined)
        const why = yield* Effect.raceFirst(
          Effect.raceFirst(Effect.as(Effect.sleep(reissueAfter), "reissue" as const), silence),
          // "ended": the server completed IDLE on its own (or the connection died): start over / fail.
          Effect.raceFirst(
            Effect.as(Deferred.await(stop), "wanted" as const),
            Effect.as(Fiber.await(command), "ended" as const)
          )
        )
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
  Stream.unwrap(
    Effect.gen(function* () {
      // Subscribed before IDLE starts: nothing the server says in between is lost.
      const events = yield* connection.subscribe({ accept: (r) => toEvent(r) !== undefined })
      const idler = yield* keepIdling(connection, greetingText, options)
      yield* Effect.forkScoped(
        Effect.raceFirst(Fiber.join(idler), Deferred.await(connection.closed)).pipe(
          Effect.catch((e: ImapError) => Effect.sync(() => events.end(Exit.fail(e))))
        )
      )
      const pull = Effect.map(
        events.pull,
        (batch) => batch.map((r) => toEvent(r)!) as unknown as NonEmptyReadonlyArray<MailboxEvent>
      )
      return Stream.fromPull(Effect.succeed(pull))
    })
  )
