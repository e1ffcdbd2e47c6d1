/**
 * The new-mail watcher: a Stream of every new message in a mailbox, exactly once, across dropped
 * connections and restarts. It fetches by UID from the last delivered UID + 1 (never "the last
 * message by count"), keeps a checkpoint (UIDVALIDITY, last UID) in a `CheckpointStore`, and
 * reconnects on retryable errors with a `Schedule` whose backoff restarts after every session that
 * got as far as IDLE, waiting at least as long as a throttling server asked (`retryAfter`).
 *
 * Delivery contract: the checkpoint for a message is committed when the consumer pulls the next
 * element (it has finished with this one) or when the stream ends normally; a consumer that fails
 * or is interrupted while handling a message gets that message again after a restart. The store
 * never gets ahead of the consumer: a checkpoint with nothing to deliver (a resync after a
 * reconnect) waits behind the events still buffered. So a restart misses nothing that was not
 * handled, and repeats at most the one message being handled when the consumer stopped.
 *
 * Memory: the hand-off holds at most `handoffCapacity` events; a session that has more to deliver
 * (a replay of 50,000 messages) waits for the consumer, and while it waits its FETCH stops reading
 * the socket. The session's own subscription to the connection keeps only what it acts on (EXISTS,
 * live flag updates and VANISHED), coalesced: a flood of EXISTS is one fetch's worth of news.
 *
 * The parts: `internal/ResumePoint.ts` decides where a session starts (pure), `internal/WatchSession.ts`
 * runs one connection (resume, resync, follow), `internal/Delivery.ts` keeps the delivery contract.
 */
import { SequenceSet } from "@pkg/protocol"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Checkpoint from "./Checkpoint.ts"
import type * as Idle from "./Idle.ts"
import type { ImapClientOptions } from "./ImapConfig.ts"
import { fromReason, type ImapError, InvalidInput, retryAfter } from "./ImapError.ts"
import type * as MessageSummary from "./MessageSummary.ts"
import * as Delivery from "./internal/Delivery.ts"
import * as PullStream from "./internal/PullStream.ts"
import * as WatchSession from "./internal/WatchSession.ts"

/** A new message: its summary (`MessageSummary`), in the mailbox being watched. */
export interface NewMessage extends MessageSummary.MessageSummary {
  readonly _tag: "NewMessage"
}

/** UIDVALIDITY changed: every UID known before is void. `policy` says what the watcher did. */
export interface UidValidityChanged {
  readonly _tag: "UidValidityChanged"
  readonly mailbox: string
  readonly previous: number
  readonly current: number
  readonly policy: UidValidityPolicy
}

/** The connection was lost; the watcher is about to reconnect. */
export interface Disconnected {
  readonly _tag: "Disconnected"
  readonly error: ImapError
  readonly attempt: number
}

/** Connected (again), mailbox selected, caught up, IDLE running. */
export interface Watching {
  readonly _tag: "Watching"
  readonly mailbox: string
  readonly uidValidity: number
  readonly lastUid: number
}

/** A message's flags changed (seen live, or found by a CONDSTORE resync after a reconnect). */
export interface FlagsChanged {
  readonly _tag: "FlagsChanged"
  readonly mailbox: string
  readonly uid: SequenceSet.Uid
  readonly flags: ReadonlyArray<string>
  readonly modSeq: bigint | undefined
}

/** Messages were expunged (live VANISHED, or VANISHED (EARLIER) from a QRESYNC resync). */
export interface Expunged {
  readonly _tag: "Expunged"
  readonly mailbox: string
  readonly uids: ReadonlyArray<SequenceSet.Uid>
}

/**
 * Everything `watchEvents` reports: each new message once (`NewMessage`), flag changes and expunges
 * of delivered messages, a UIDVALIDITY change, each lost connection (`Disconnected`, before the
 * reconnect) and each time it is caught up and idling again (`Watching`).
 */
export type WatchEvent = NewMessage | FlagsChanged | Expunged | UidValidityChanged | Disconnected | Watching

/**
 * - `replay`: deliver every message of the new epoch from UID 1 (nothing lost; may repeat content).
 * - `skipExisting`: start after the messages present now (nothing repeated; messages that arrived
 *   during the change are skipped).
 * - `fail`: end the stream with a (non-retryable) `UidValidityChanged` error reason.
 */
export type UidValidityPolicy = "replay" | "skipExisting" | "fail"

/**
 * What to watch and how: the connection options (each reconnect opens a new session with them), the
 * mailbox, where to start without a checkpoint, and the policies for UIDVALIDITY changes, reconnects
 * and IDLE. The checkpoint store comes from the `CheckpointStore` service.
 */
export interface WatchOptions {
  readonly client: ImapClientOptions
  /** Default INBOX. */
  readonly mailbox?: string | undefined
  /** With no checkpoint: deliver messages with UID > sinceUid. Default: only mail arriving from now on. */
  readonly sinceUid?: number | undefined
  /** Default `replay`. */
  readonly onUidValidityChange?: UidValidityPolicy | undefined
  /** Backoff between reconnects. Default: exponential from 250 ms, jittered, capped at 30 s, forever. */
  readonly reconnect?: Schedule.Schedule<unknown, ImapError> | undefined
  readonly idle?: Idle.IdleOptions | undefined
  /** EXAMINE (default) leaves \Seen and \Recent alone. */
  readonly readOnly?: boolean | undefined
}

/**
 * The reconnect schedule used when `WatchOptions.reconnect` is not given: exponential from 250 ms,
 * jittered, at most 30 s apart, forever. Only retryable errors are retried (`ImapError.isRetryable`),
 * and never sooner than a throttling server's `retryAfter`.
 */
export const defaultReconnect: Schedule.Schedule<unknown, ImapError> = Schedule.min([
  Schedule.exponential("250 millis"),
  Schedule.spaced("30 seconds")
]).pipe(Schedule.jittered, Schedule.setInputType<ImapError>())

/**
 * Events buffered between the sessions and the consumer at most: past it the session waits (and so
 * does its FETCH's reading of the socket). One FETCH stream's worth of responses is buffered before it.
 */
export const handoffCapacity = 256

/**
 * Whether `n` can be `sinceUid`: the first FETCH asks for `n + 1:*`, so `n + 1` must still be a UID
 * (RFC 9051 2.3.1.1: 1..4294967295), which makes 0..4294967294.
 */
export const isSinceUid = (n: number): boolean => n === 0 || (SequenceSet.isValidNumber(n) && n < SequenceSet.MAX)

/** Everything the watcher reports, including reconnects and UIDVALIDITY changes. */
export const watchEvents = (options: WatchOptions): Stream.Stream<WatchEvent, ImapError, Checkpoint.CheckpointStore> =>
  PullStream.make(openWatch(options))

const openWatch = Effect.fnUntraced(function* (options: WatchOptions) {
  // Checked before connecting, not refused by the encoder after logging in.
  const since = options.sinceUid
  if (since !== undefined && !isSinceUid(since)) {
    return yield* Effect.fail(
      fromReason(new InvalidInput({ message: `sinceUid: expected 0 to ${SequenceSet.MAX - 1}, got ${since}` }))
    )
  }
  const store = yield* Checkpoint.CheckpointStore
  const mailbox = options.mailbox ?? "INBOX"
  const key = Checkpoint.keyOf(options.client.host, options.client.auth?.user, mailbox)
  const delivery = Delivery.make<WatchEvent, ImapError>({
    capacity: handoffCapacity,
    write: (c) => store.set(key, c).pipe(Effect.orDie)
  })
  const session = (onEstablished: () => void) =>
    WatchSession.run({
      client: options.client,
      mailbox,
      sinceUid: options.sinceUid,
      policy: options.onUidValidityChange ?? "replay",
      readOnly: options.readOnly !== false,
      idle: options.idle,
      stored: store.get(key).pipe(Effect.orDie),
      delivery,
      onEstablished
    })
  yield* Effect.forkScoped(
    supervise(session, (event) => delivery.emit(event), options.reconnect ?? defaultReconnect).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.sync(() => delivery.end(Exit.isFailure(exit) ? exit : Exit.failCause(Cause.die("watcher ended"))))
      )
    )
  )
  // A consumer that failed or was interrupted may not have finished the last event: keep it.
  yield* Effect.addFinalizer((exit) => (Exit.isSuccess(exit) ? delivery.commit : Effect.void))
  return delivery.pull
})

/**
 * Runs sessions one after another: a retryable failure is reported (`Disconnected`) and retried on
 * `reconnect`, whose backoff starts again after every session that got as far as IDLE; any other
 * failure ends the watcher.
 */
const supervise = Effect.fnUntraced(function* (
  session: (onEstablished: () => void) => Effect.Effect<void, ImapError>,
  emit: (event: WatchEvent) => Effect.Effect<void>,
  reconnect: Schedule.Schedule<unknown, ImapError>
) {
  // Made at the first failure (and again after each session that got as far as IDLE), not held
  // by every healthy watcher: a step of the default schedule is 1.3 KB (bench/heap-owners.ts).
  // A schedule's clock starts at its first step, not when the step function is made.
  let step: ((error: ImapError) => Effect.Effect<unknown, unknown>) | undefined
  let attempt = 0
  while (true) {
    let established = false
    const exit = yield* Effect.exit(
      session(() => {
        established = true
      })
    )
    if (Exit.isSuccess(exit)) continue
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
    if (!error.value.isRetryable) return yield* Effect.fail(error.value)
    if (established) {
      attempt = 0
      step = undefined
    }
    step ??= yield* Schedule.toStepWithSleep(reconnect)
    attempt++
    yield* emit({ _tag: "Disconnected", error: error.value, attempt })
    const started = yield* Clock.currentTimeMillis
    const waited = yield* Effect.exit(step(error.value))
    if (Exit.isFailure(waited)) return yield* Effect.fail(error.value)
    // A server that named its wait (throttling) gets at least that: coming back sooner only
    // earns another refusal, and may lengthen the penalty.
    const floor = retryAfter(error.value)
    if (floor !== undefined) {
      const left = Duration.toMillis(floor) - ((yield* Clock.currentTimeMillis) - started)
      if (left > 0) yield* Effect.sleep(Duration.millis(left))
    }
  }
})

/** Only the new messages. */
export const watch = (options: WatchOptions): Stream.Stream<NewMessage, ImapError, Checkpoint.CheckpointStore> =>
  watchEvents(options).pipe(Stream.filter((e): e is NewMessage => e._tag === "NewMessage"))
