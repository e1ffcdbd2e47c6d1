/**
 * One watcher session, the life of one connection, in three steps: open the mailbox and decide
 * where to start (`ResumePoint`), `resync` (CONDSTORE/QRESYNC: the flag changes and expunges missed
 * while disconnected), then `follow` (IDLE, and a FETCH of the new UIDs on every EXISTS) until the
 * connection fails. Everything found is handed to the watcher's `Delivery` with its checkpoint.
 */
import { SequenceSet, type UntaggedData, type VanishedData } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Checkpoint from "../Checkpoint.ts"
import type * as Idle from "../Idle.ts"
import type { ImapClientOptions } from "../ImapConfig.ts"
import type { EventSubscription } from "../ImapConnection.ts"
import {
  fromReason,
  type ImapError,
  MissingCapability,
  UidValidityChanged as UidValidityChangedError
} from "../ImapError.ts"
import * as ImapSession from "../ImapSession.ts"
import * as MessageSummary from "../MessageSummary.ts"
import type { UidValidityPolicy, WatchEvent } from "../Watcher.ts"
import type * as Delivery from "./Delivery.ts"
import * as FetchFilter from "./FetchFilter.ts"
import * as IdleLoop from "./IdleLoop.ts"
import * as ResumePoint from "./ResumePoint.ts"
import * as SessionConnection from "./SessionConnection.ts"

export interface SessionOptions {
  readonly client: ImapClientOptions
  readonly mailbox: string
  readonly sinceUid: number | undefined
  readonly policy: UidValidityPolicy
  readonly readOnly: boolean
  readonly idle: Idle.IdleOptions | undefined
  /** The stored checkpoint, read when the mailbox is open. */
  readonly stored: Effect.Effect<Option.Option<Checkpoint.Checkpoint>>
  readonly delivery: Delivery.Delivery<WatchEvent, ImapError>
  /** Called once the session is caught up and IDLE runs: the reconnect backoff starts again. */
  readonly onEstablished: () => void
}

/** An open session and where it stands: the UID delivered last and the mod-sequence delivered up to. */
interface Position {
  readonly client: ImapSession.ImapSession
  readonly options: SessionOptions
  readonly uidValidity: number
  lastUid: number
  highestModSeq: string | undefined
}

const checkpointOf = (p: Position): Checkpoint.Checkpoint => ({
  uidValidity: p.uidValidity,
  lastUid: p.lastUid,
  highestModSeq: p.highestModSeq
})

/** What a session acts on: EXISTS (new mail), live flag updates, live VANISHED. */
const watched = (r: UntaggedData): boolean =>
  r._tag === "Exists" || (r._tag === "Fetch" && FetchFilter.isFlagUpdate(r)) || (r._tag === "Vanished" && !r.earlier)

/** Runs one session until it fails (it never ends otherwise). */
export const run = (options: SessionOptions): Effect.Effect<void, ImapError> =>
  Effect.scoped(Effect.flatMap(open(options), followFrom))

/** What `follow` needs of an opened session; the rest of what opening it took is let go. */
interface Opened {
  readonly position: Position
  readonly events: EventSubscription
  readonly gone: ReadonlySet<number>
}

const followFrom = (o: Opened) => follow(o.position, o.events, o.gone)

/**
 * Opens the session, decides where to start, subscribes and resyncs. A generator of its own, ended
 * before `follow` starts: one that went on into `follow` would hold the mailbox snapshot, the
 * stored checkpoint and the resume decision for as long as the session lasts.
 */
const open = Effect.fnUntraced(function* (options: SessionOptions) {
  const { delivery, mailbox } = options
  // In `run`'s scope, which closes at once if opening fails: no child scope of its own.
  const client = yield* ImapSession.makeIn(options.client)
  const box = options.readOnly ? yield* client.examine(mailbox) : yield* client.select(mailbox)
  const uidValidity = box.uidValidity
  if (uidValidity === undefined) {
    // Without UIDVALIDITY no checkpoint can be trusted; reconnecting would not bring one.
    return yield* Effect.fail(
      fromReason(new MissingCapability({ capability: "UIDVALIDITY", operation: `watch ${mailbox}` }))
    )
  }
  const stored = yield* options.stored
  const start = ResumePoint.resume({
    mailbox,
    // Events already handed on count as delivered for the next session.
    known: delivery.produced() ?? Option.getOrUndefined(stored),
    uidValidity,
    highestUid: ResumePoint.highestUid(box) ?? (yield* maxUid(client)),
    sinceUid: options.sinceUid,
    policy: options.policy
  })
  if (start._tag === "Stop") {
    const { previous, current } = start.changed
    yield* delivery.emit(start.changed)
    return yield* Effect.fail(fromReason(new UidValidityChangedError({ mailbox, previous, current })))
  }
  const { lastUid, highestModSeq } = start.from
  const position: Position = { client, options, uidValidity, lastUid, highestModSeq }
  // The new epoch's starting point is committed once the consumer is past the event.
  if (start.changed !== undefined) yield* delivery.emit(start.changed, checkpointOf(position))
  else if (start.save) yield* delivery.advance(checkpointOf(position))
  // Subscribe before the first fetch: an EXISTS that arrives meanwhile is not lost.
  const events = yield* SessionConnection.of(client).subscribe({ accept: watched })
  const gone = yield* resync(position, box.highestModSeq)
  return { position, events, gone }
})

/**
 * CONDSTORE/QRESYNC: reports the flag changes and expunges missed while disconnected, and moves the
 * checkpoint's mod-sequence to the server's. Returns the UIDs reported gone, so a live VANISHED that
 * arrived meanwhile (it is in the resync's result too) is reported once.
 */
const resync: (p: Position, serverModSeq: bigint | undefined) => Effect.Effect<ReadonlySet<number>, ImapError> =
  Effect.fnUntraced(function* (p: Position, serverModSeq: bigint | undefined) {
    const { delivery, mailbox } = p.options
    const gone = new Set<number>()
    const plan = ResumePoint.resync(checkpointOf(p), serverModSeq)
    if (plan._tag === "UpToDate") return gone
    if (plan._tag === "Adopt") {
      p.highestModSeq = plan.highestModSeq
      yield* delivery.advance(checkpointOf(p))
      return gone
    }
    const last = p.lastUid
    const found = yield* p.client.changedSince(
      SequenceSet.range("uid", SequenceSet.Uid(1), SequenceSet.Uid(last)),
      plan.since,
      { vanished: true }
    )
    const events: Array<WatchEvent> = []
    for (const f of found.changed) {
      const uid = f.attributes.uid
      if (uid === undefined || uid > last) continue
      events.push({ _tag: "FlagsChanged", mailbox, uid, flags: f.attributes.flags ?? [], modSeq: f.attributes.modSeq })
    }
    for (const set of found.vanished) {
      const uids = expandUids(set)
      for (const uid of uids) gone.add(uid)
      events.push({ _tag: "Expunged", mailbox, uids })
    }
    p.highestModSeq = plan.until
    for (const [i, e] of events.entries()) {
      yield* delivery.emit(e, i === events.length - 1 ? checkpointOf(p) : undefined)
    }
    if (events.length === 0) yield* delivery.advance(checkpointOf(p))
    return gone
  })

/** Hands on the messages above the UID delivered last. */
const fetchNew = (p: Position): Effect.Effect<void, ImapError> =>
  // Suspended: each EXISTS fetches from the UID delivered last, not from where the session began.
  Effect.suspend(() =>
    p.client.fetch(SequenceSet.from("uid", SequenceSet.Uid(p.lastUid + 1)), MessageSummary.items).pipe(
      Stream.runForEach((f) => {
        const uid = f.attributes.uid
        // `n:*` also returns the highest message when n is past it (RFC 9051 6.4.8).
        if (uid === undefined || uid <= p.lastUid) return Effect.void
        p.lastUid = uid
        const message = MessageSummary.fromFetch(p.options.mailbox, p.uidValidity, f)
        return p.options.delivery.emit({ _tag: "NewMessage", ...message }, checkpointOf(p))
      })
    )
  )

/**
 * Catches up on new mail, then IDLEs: fetches on every EXISTS, reports live flag changes and
 * VANISHED, until the connection dies or IDLE fails (an unanswered liveness probe).
 */
const follow = (
  p: Position,
  events: EventSubscription,
  gone: ReadonlySet<number>
): Effect.Effect<never, ImapError, Scope.Scope> => Effect.andThen(startFollowing(p, events), eachBatch(p, events, gone))

/** Fetches what is new, starts IDLE, reports `Watching`; the IDLE loop's failure ends `events`. */
const startFollowing: (p: Position, events: EventSubscription) => Effect.Effect<void, ImapError, Scope.Scope> =
  Effect.fnUntraced(function* (p: Position, events: EventSubscription) {
    const { client, options } = p
    yield* fetchNew(p)
    // The IDLE loop's failure ends the subscription with that cause (after what it holds), by
    // callback; the connection's death ends it itself.
    yield* IdleLoop.startIdling(SessionConnection.of(client), client.greeting.text, options.idle, (cause) =>
      events.end(Exit.failCause(cause))
    )
    options.onEstablished()
    yield* options.delivery.emit({
      _tag: "Watching",
      mailbox: options.mailbox,
      uidValidity: p.uidValidity,
      lastUid: p.lastUid
    })
  })

/**
 * Each batch of the subscription, handled, then the next: never ends (the subscription fails with
 * the connection's error). A loop of flatMaps rather than a generator: what a watcher holds while it
 * waits for mail (hours) is one continuation, not a suspended generator and its registers.
 */
const eachBatch = (
  p: Position,
  events: EventSubscription,
  gone: ReadonlySet<number>
): Effect.Effect<never, ImapError> => {
  const pull = events.pull.pipe(Effect.catchIf(Cause.isDone, () => Effect.die("watcher subscription ended")))
  const next: Effect.Effect<never, ImapError> = Effect.flatMap(pull, (batch) =>
    Effect.andThen(handleBatch(p, batch, gone), next)
  )
  return next
}

/** Live flag changes and VANISHED reported; new mail fetched if the batch has an EXISTS. */
const handleBatch = Effect.fnUntraced(function* (
  p: Position,
  batch: NonEmptyReadonlyArray<UntaggedData>,
  gone: ReadonlySet<number>
) {
  const { delivery, mailbox } = p.options
  for (const r of batch) {
    // Live flag changes only (`watched`: a FETCH that carries more than UID/FLAGS/MODSEQ is data).
    if (r._tag === "Fetch") {
      const a = r.attributes
      if (a.uid === undefined || a.flags === undefined || a.uid > p.lastUid) continue
      if (a.modSeq !== undefined && (p.highestModSeq === undefined || a.modSeq > BigInt(p.highestModSeq))) {
        p.highestModSeq = a.modSeq.toString()
      }
      yield* delivery.emit(
        { _tag: "FlagsChanged", mailbox, uid: a.uid, flags: a.flags, modSeq: a.modSeq },
        checkpointOf(p)
      )
    } else if (r._tag === "Vanished") {
      const uids = expandUids(r.uids).filter((uid) => !gone.has(uid))
      if (uids.length > 0) yield* delivery.emit({ _tag: "Expunged", mailbox, uids }, checkpointOf(p))
    }
  }
  if (batch.some((r) => r._tag === "Exists")) yield* fetchNew(p)
})

/** UIDs of a VANISHED set; bounded, since a hostile server could name four billion. */
const maxExpunged = 1_000_000
const expandUids = (set: VanishedData["uids"]): ReadonlyArray<SequenceSet.Uid> =>
  SequenceSet.expand(set, SequenceSet.MAX, maxExpunged)

/** The highest UID in the selected mailbox (for servers that omit UIDNEXT, e.g. Courier). */
const maxUid = (client: ImapSession.ImapSession) =>
  client.fetch(SequenceSet.last("uid"), [{ _tag: "Uid" }]).pipe(
    Stream.runFold(
      () => 0,
      (acc, f) => Math.max(acc, f.attributes.uid ?? 0)
    )
  )
