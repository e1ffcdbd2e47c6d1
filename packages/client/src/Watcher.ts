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
 */
import {
  Address,
  DateTime,
  EncodedWord,
  type Envelope,
  type FetchData,
  SequenceSet,
  type UntaggedData
} from "@pkg/protocol"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Checkpoint from "./Checkpoint.ts"
import * as Idle from "./Idle.ts"
import type { ImapClientOptions } from "./ImapConfig.ts"
import {
  fromReason,
  type ImapError,
  InvalidInput,
  MissingCapability,
  retryAfter,
  UidValidityChanged as UidValidityChangedError
} from "./ImapError.ts"
import * as ImapSession from "./ImapSession.ts"
import * as FetchFilter from "./internal/FetchFilter.ts"

export interface NewMessage {
  readonly _tag: "NewMessage"
  readonly mailbox: string
  readonly uid: SequenceSet.Uid
  readonly uidValidity: number
  readonly seq: number
  /** Decoded from RFC 2047 encoded words. */
  readonly subject: string | undefined
  readonly from: ReadonlyArray<Address.MailAddress>
  /** The Date header, else the server's INTERNALDATE. */
  readonly date: Date | undefined
  readonly internalDate: Date | undefined
  readonly flags: ReadonlyArray<string>
  readonly size: number | undefined
  readonly envelope: Envelope | undefined
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

export type WatchEvent = NewMessage | FlagsChanged | Expunged | UidValidityChanged | Disconnected | Watching

/**
 * - `replay`: deliver every message of the new epoch from UID 1 (nothing lost; may repeat content).
 * - `skipExisting`: start after the messages present now (nothing repeated; messages that arrived
 *   during the change are skipped).
 * - `fail`: end the stream with a (non-retryable) `UidValidityChanged` error reason.
 */
export type UidValidityPolicy = "replay" | "skipExisting" | "fail"

export interface WatchOptions {
  readonly client: ImapClientOptions
  readonly mailbox?: string | undefined
  /** With no checkpoint: deliver messages with UID > sinceUid. Default: only mail arriving from now on. */
  readonly sinceUid?: number | undefined
  readonly onUidValidityChange?: UidValidityPolicy | undefined
  /** Backoff between reconnects. Default: exponential from 250 ms, jittered, capped at 30 s, forever. */
  readonly reconnect?: Schedule.Schedule<unknown, ImapError> | undefined
  readonly idle?: Idle.IdleOptions | undefined
  /** EXAMINE (default) leaves \Seen and \Recent alone. */
  readonly readOnly?: boolean | undefined
}

export const defaultReconnect: Schedule.Schedule<unknown, ImapError> = Schedule.min([
  Schedule.exponential("250 millis"),
  Schedule.spaced("30 seconds")
]).pipe(Schedule.jittered, Schedule.setInputType<ImapError>())

const fetchItems = [
  { _tag: "Uid" },
  { _tag: "Flags" },
  { _tag: "Envelope" },
  { _tag: "Rfc822Size" },
  { _tag: "InternalDate" }
] as const

/**
 * A FETCH response (with UID, as the client's FETCH guarantees when UID is asked for) as a message
 * summary. A response without UID is a caller's mistake, not a message with UID 0.
 */
export const toNewMessage = (mailbox: string, uidValidity: number, f: FetchData): NewMessage => {
  const a = f.attributes
  if (a.uid === undefined) throw new Error(`toNewMessage: the FETCH of message ${f.seq} carries no UID (ask for it)`)
  const envelope = a.envelope
  const internalDate = a.internalDate === undefined ? undefined : DateTime.parseInternalDate(a.internalDate)
  const sent = envelope?.date === undefined ? undefined : DateTime.parseEnvelopeDate(envelope.date)
  return {
    _tag: "NewMessage",
    mailbox,
    uid: a.uid,
    uidValidity,
    seq: f.seq,
    subject: EncodedWord.decode(envelope?.subject),
    from: envelope === undefined ? [] : Address.fromEnvelopeList(envelope.from),
    date: sent ?? internalDate,
    internalDate,
    flags: a.flags ?? [],
    size: a.size,
    envelope
  }
}

/**
 * Events buffered between the sessions and the consumer at most: past it the session waits (and so
 * does its FETCH's reading of the socket). One FETCH stream's worth of responses is buffered before it.
 */
export const handoffCapacity = 256

/** What a session acts on: EXISTS (new mail), live flag updates, live VANISHED. */
const watched = (r: UntaggedData): boolean =>
  r._tag === "Exists" || (r._tag === "Fetch" && FetchFilter.isFlagUpdate(r)) || (r._tag === "Vanished" && !r.earlier)

/** Everything the watcher reports, including reconnects and UIDVALIDITY changes. */
export const watchEvents = (options: WatchOptions): Stream.Stream<WatchEvent, ImapError, Checkpoint.CheckpointStore> =>
  Stream.unwrap(
    Effect.gen(function* () {
      // Checked before connecting: `sinceUid + 1:*` must be a UID the encoder can send.
      const since = options.sinceUid
      if (since !== undefined && !(Number.isInteger(since) && since >= 0 && since < SequenceSet.MAX)) {
        return yield* Effect.fail(
          fromReason(new InvalidInput({ message: `sinceUid: expected 0 to ${SequenceSet.MAX - 1}, got ${since}` }))
        )
      }
      const store = yield* Checkpoint.CheckpointStore
      const mailbox = options.mailbox ?? "INBOX"
      const user = options.client.auth?.user
      const key = Checkpoint.keyOf(options.client.host, user, mailbox)
      const policy = options.onUidValidityChange ?? "replay"

      // Hand-off buffer between the producer (sessions) and the consumer's pulls; each event carries
      // the checkpoint that becomes true once the consumer is done with it.
      // An entry without an event only moves the checkpoint, in order with the events before it.
      const buffer: Array<{
        readonly event: WatchEvent | undefined
        readonly checkpoint: Checkpoint.Checkpoint | undefined
      }> = []
      let wake: Deferred.Deferred<void> | undefined
      /** Set while the producer waits for room in `buffer`. */
      let room: Deferred.Deferred<void> | undefined
      let ended: Exit.Exit<never, ImapError> | undefined
      let uncommitted: Checkpoint.Checkpoint | undefined
      /** The checkpoint of the newest buffered event: where a reconnect resumes from. */
      let produced: Checkpoint.Checkpoint | undefined
      /** Buffers the event, waiting first while the buffer is full (the consumer is behind). */
      const emit = (event: WatchEvent | undefined, checkpoint?: Checkpoint.Checkpoint): Effect.Effect<void> =>
        Effect.suspend(function put(): Effect.Effect<void> {
          if (buffer.length >= handoffCapacity) {
            room ??= Deferred.makeUnsafe<void>()
            return Effect.andThen(Deferred.await(room), Effect.suspend(put))
          }
          buffer.push({ event, checkpoint })
          if (checkpoint !== undefined) produced = checkpoint
          if (wake) Deferred.doneUnsafe(wake, Exit.void)
          return Effect.void
        })
      // Uninterruptible, and cleared only once written: a consumer that stops while the write is in
      // flight must not leave the file behind what it was handed (the restart would repeat it).
      const commit: Effect.Effect<void> = Effect.uninterruptible(
        Effect.suspend(() => {
          const c = uncommitted
          if (c === undefined) return Effect.void
          return store.set(key, c).pipe(
            Effect.orDie,
            Effect.tap(() =>
              Effect.sync(() => {
                if (uncommitted === c) uncommitted = undefined
              })
            )
          )
        })
      )

      /**
       * Moves the stored checkpoint to `c` without delivering anything (a fresh start, a resync that
       * found nothing): written now if the consumer has committed everything handed out and nothing
       * with a checkpoint is buffered, else queued behind those and committed in order by `pull`.
       */
      const advance = (c: Checkpoint.Checkpoint): Effect.Effect<void> =>
        Effect.suspend(() => {
          produced = c
          if (uncommitted === undefined && !buffer.some((e) => e.checkpoint !== undefined)) {
            return store.set(key, c).pipe(Effect.orDie)
          }
          return emit(undefined, c)
        })

      /** One connection's life: select, catch up, IDLE, fetch on EXISTS, until it fails. */
      const session = (onEstablished: () => void) =>
        Effect.scoped(
          Effect.gen(function* () {
            const client = yield* ImapSession.make(options.client)
            const box = options.readOnly === false ? yield* client.select(mailbox) : yield* client.examine(mailbox)
            const uidValidity = box.uidValidity
            if (uidValidity === undefined) {
              // Without UIDVALIDITY no checkpoint can be trusted; reconnecting would not bring one.
              return yield* Effect.fail(
                fromReason(new MissingCapability({ capability: "UIDVALIDITY", operation: `watch ${mailbox}` }))
              )
            }
            const stored = yield* store.get(key).pipe(Effect.orDie)
            // Events already handed to the buffer count as delivered for the next session.
            const known = produced ?? Option.getOrUndefined(stored)
            // Without UIDNEXT (Courier), ask the server for its highest UID; an empty mailbox has none.
            const startAfter =
              box.uidNext !== undefined ? box.uidNext - 1 : box.exists === 0 ? 0 : yield* maxUid(client)
            const changed: UidValidityChanged | undefined =
              known === undefined || known.uidValidity === uidValidity
                ? undefined
                : { _tag: "UidValidityChanged", mailbox, previous: known.uidValidity, current: uidValidity, policy }
            if (changed !== undefined && policy === "fail") {
              yield* emit(changed)
              return yield* Effect.fail(
                fromReason(new UidValidityChangedError({ mailbox, previous: changed.previous, current: uidValidity }))
              )
            }
            let last =
              known === undefined
                ? (options.sinceUid ?? startAfter)
                : changed === undefined
                  ? known.lastUid
                  : policy === "replay"
                    ? 0
                    : startAfter
            let modSeqMark = changed === undefined ? known?.highestModSeq : undefined
            const checkpoint = (): Checkpoint.Checkpoint => ({ uidValidity, lastUid: last, highestModSeq: modSeqMark })
            // The new epoch's starting point is committed once the consumer is past the event.
            if (changed !== undefined) yield* emit(changed, checkpoint())
            else if (known === undefined) yield* advance(checkpoint())
            // Subscribe before the first fetch: an EXISTS that arrives meanwhile is not lost.
            const events = yield* client.connection.subscribe({ accept: watched })
            // Suspended: each EXISTS fetches from the UID delivered last, not from where the session began.
            const fetchNew = Effect.suspend(() =>
              client.fetch(SequenceSet.from("uid", SequenceSet.Uid(last + 1)), fetchItems).pipe(
                Stream.runForEach((f) => {
                  const uid = f.attributes.uid
                  // `n:*` also returns the highest message when n is past it (RFC 9051 6.4.8).
                  if (uid === undefined || uid <= last) return Effect.void
                  last = uid
                  return emit(toNewMessage(mailbox, uidValidity, f), checkpoint())
                })
              )
            )
            // CONDSTORE/QRESYNC: report the flag changes and expunges missed while disconnected.
            const reportedGone = new Set<number>()
            const serverModSeq = box.highestModSeq
            if (serverModSeq !== undefined && modSeqMark !== undefined && last > 0) {
              const since = BigInt(modSeqMark)
              if (serverModSeq > since) {
                const found = yield* client.changedSince(
                  SequenceSet.range("uid", SequenceSet.Uid(1), SequenceSet.Uid(last)),
                  since,
                  {
                    vanished: true
                  }
                )
                const events: Array<WatchEvent> = []
                for (const f of found.changed) {
                  const uid = f.attributes.uid
                  if (uid === undefined || uid > last) continue
                  events.push({
                    _tag: "FlagsChanged",
                    mailbox,
                    uid,
                    flags: f.attributes.flags ?? [],
                    modSeq: f.attributes.modSeq
                  })
                }
                for (const set of found.vanished) {
                  const uids = expandUids(set)
                  for (const uid of uids) reportedGone.add(uid)
                  events.push({ _tag: "Expunged", mailbox, uids })
                }
                modSeqMark = serverModSeq.toString()
                for (const [i, e] of events.entries()) {
                  yield* emit(e, i === events.length - 1 ? checkpoint() : undefined)
                }
                if (events.length === 0) yield* advance(checkpoint())
              }
            } else if (serverModSeq !== undefined && modSeqMark === undefined) {
              modSeqMark = serverModSeq.toString()
              yield* advance(checkpoint())
            }
            yield* fetchNew
            const idler = yield* Idle.keepIdling(client.connection, client.greeting.text, options.idle)
            onEstablished()
            yield* emit({ _tag: "Watching", mailbox, uidValidity, lastUid: last })
            // The session ends when the connection dies or IDLE fails (an unanswered liveness probe).
            const closed = Effect.raceFirst(Deferred.await(client.connection.closed), Fiber.join(idler))
            while (true) {
              // The subscription fails with the connection's error; it never ends otherwise.
              const batch = yield* Effect.raceFirst(
                events.pull.pipe(Effect.catchIf(Cause.isDone, () => Effect.die("watcher subscription ended"))),
                closed
              )
              for (const r of batch) {
                // Live flag changes only (`watched`: a FETCH that carries more than UID/FLAGS/MODSEQ is data).
                if (r._tag === "Fetch") {
                  const a = r.attributes
                  if (a.uid === undefined || a.flags === undefined || a.uid > last) continue
                  if (a.modSeq !== undefined && (modSeqMark === undefined || a.modSeq > BigInt(modSeqMark))) {
                    modSeqMark = a.modSeq.toString()
                  }
                  yield* emit(
                    { _tag: "FlagsChanged", mailbox, uid: a.uid, flags: a.flags, modSeq: a.modSeq },
                    checkpoint()
                  )
                } else if (r._tag === "Vanished") {
                  // A VANISHED that arrived during the resync is in its result too: report it once.
                  const uids = expandUids(r.uids).filter((uid) => !reportedGone.has(uid))
                  if (uids.length > 0) yield* emit({ _tag: "Expunged", mailbox, uids }, checkpoint())
                }
              }
              if (batch.some((r) => r._tag === "Exists")) yield* fetchNew
            }
          })
        )

      const supervise = Effect.gen(function* () {
        let step = yield* Schedule.toStepWithSleep(options.reconnect ?? defaultReconnect)
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
            step = yield* Schedule.toStepWithSleep(options.reconnect ?? defaultReconnect)
          }
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

      yield* Effect.forkScoped(
        supervise.pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              ended = Exit.isFailure(exit) ? exit : Exit.failCause(Cause.die("watcher ended"))
              if (wake) Deferred.doneUnsafe(wake, Exit.void)
            })
          )
        )
      )
      // A consumer that failed or was interrupted may not have finished the last event: keep it.
      yield* Effect.addFinalizer((exit) => (Exit.isSuccess(exit) ? commit : Effect.void))

      const pull: Effect.Effect<NonEmptyReadonlyArray<WatchEvent>, ImapError | Cause.Done> = Effect.gen(function* () {
        yield* commit
        while (true) {
          while (buffer.length === 0) {
            if (ended !== undefined) return yield* ended
            wake = Deferred.makeUnsafe<void>()
            yield* Deferred.await(wake)
            wake = undefined
          }
          const next = buffer.shift()!
          if (room !== undefined) {
            Deferred.doneUnsafe(room, Exit.void)
            room = undefined
          }
          if (next.checkpoint !== undefined) uncommitted = next.checkpoint
          if (next.event !== undefined) return [next.event] as const
          // Only a checkpoint: every event before it has been handled.
          yield* commit
        }
      })
      return Stream.fromPull(Effect.succeed(pull))
    })
  )

/** Only the new messages. */
export const watch = (options: WatchOptions): Stream.Stream<NewMessage, ImapError, Checkpoint.CheckpointStore> =>
  watchEvents(options).pipe(Stream.filter((e): e is NewMessage => e._tag === "NewMessage"))

/** UIDs of a VANISHED set; bounded, since a hostile server could name four billion. */
const maxExpunged = 1_000_000
const expandUids = (set: SequenceSet.SequenceSet<"uid">): ReadonlyArray<SequenceSet.Uid> =>
  SequenceSet.expand(set, SequenceSet.MAX, maxExpunged)

/** The highest UID in the selected mailbox (for servers that omit UIDNEXT, e.g. Courier). */
const maxUid = (client: ImapSession.ImapSession) =>
  client.fetch(SequenceSet.last("uid"), [{ _tag: "Uid" }]).pipe(
    Stream.runFold(
      () => 0,
      (acc, f) => Math.max(acc, f.attributes.uid ?? 0)
    )
  )
