/**
 * The connection core, shaped like `PgConnection`: one reader fiber, a writer that sends one
 * command's lines and literals at a time, the command queue (internal/CommandQueue.ts: pending
 * commands by tag, pipelining of independent commands, exclusive ones alone), and one place where the
 * connection dies (every waiter fails with the same error, once).
 *
 * Untagged data goes to the oldest pending command that claims it (its collector), always updates
 * the session state, and mailbox events go to each subscriber's inbox (IDLE, the watcher,
 * `session.events`): coalesced and bounded, with the reader paused while a subscriber is behind
 * and no command needs it (internal/EventInbox.ts).
 */
import type { Response, Tagged, UntaggedData, UntaggedStatus } from "@pkg/protocol"
import { type Framer, ResponseParser } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Context from "effect/Context"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Capabilities from "./Capabilities.ts"
import {
  ConnectionClosed,
  causeMessage,
  fromReason,
  ImapError,
  InvalidState,
  ProtocolFailed,
  Timeout
} from "./ImapError.ts"
import * as CommandQueue from "./internal/CommandQueue.ts"
import * as Deadline from "./internal/Deadline.ts"
import * as EventInbox from "./internal/EventInbox.ts"
import * as ReaderGate from "./internal/ReaderGate.ts"
import * as SharedClock from "./internal/SharedClock.ts"
import * as StateRef from "./internal/StateRef.ts"
import * as TraceBuffer from "./internal/TraceBuffer.ts"
import * as Unsolicited from "./internal/Unsolicited.ts"
import * as SessionState from "./SessionState.ts"
import * as Throttling from "./Throttling.ts"
import * as Trace from "./Trace.ts"
import type { Transport } from "./Transport.ts"

/** What the encoder produced: segments[0] goes at once, each later one after a `+` continuation. */
export interface Wire {
  readonly segments: ReadonlyArray<Uint8Array>
  readonly trace: string
}

export interface CommandRequest {
  /** Command name for errors and spans, e.g. `UID FETCH`; never arguments. */
  readonly name: string
  readonly encode: (tag: string) => Effect.Effect<Wire, ImapError>
  readonly allowedIn: ReadonlyArray<SessionState.StateName>
  /** Waits for every earlier command and holds back later ones until its tagged reply. */
  readonly exclusive?: boolean
  /** Claims untagged data belonging to this command; return true to consume it. */
  readonly collect?: (r: UntaggedData) => boolean
  /** AUTHENTICATE: answers a server challenge (`+ base64`) with the next line, CRLF included. */
  readonly onChallenge?: (text: string) => Effect.Effect<Uint8Array, ImapError>
  /** Runs synchronously in the reader when the tagged reply arrives (state transitions). */
  readonly onTagged?: (tagged: Tagged, state: SessionState.SessionState) => SessionState.SessionState
  /** The state to enter when the command is sent (SELECT leaves Selected at once: RFC 9051 6.3.2). */
  readonly onSend?: (state: SessionState.SessionState) => SessionState.SessionState
  /** Mark failures as authentication failures. */
  readonly authentication?: string
  /**
   * IDLE (`runHeld` only): after the server's `+`, the queue is held (nothing else is written) until
   * the holder's `finish` sends `done` (DONE). The connection completes `release` when another
   * command is queued, so the holder knows to end it.
   */
  readonly hold?: {
    readonly release: Deferred.Deferred<void>
    readonly done: Uint8Array
  }
}

/** A command holding the queue after its `+` (`runHeld`): its tagged reply, and the way to end it. */
export interface Held {
  /** The tagged reply: it came without DONE (the server ended the command), or the connection died. */
  readonly done: Deferred.Deferred<Tagged, ImapError>
  /** DONE (unless the reply came already), the queue given back, and the tagged reply. */
  readonly finish: Effect.Effect<Tagged, ImapError>
}

export interface ConnectionOptions {
  readonly commandTimeout: Duration.Duration
  readonly trace: Trace.TraceSink | undefined
  /** Responses already read (and parsed) by the handshake, dispatched before anything else. */
  readonly initial?: ReadonlyArray<Response> | undefined
}

/** One connection; its methods need their receiver (`connection.run(r)`, not detached). */
export interface ImapConnection {
  readonly run: (request: CommandRequest) => Effect.Effect<Tagged, ImapError>
  /**
   * IDLE without a fiber while it holds the queue (`request.hold` required; `run` does not hold): returns once the server
   * said `+` and `onHeld` got the command, or with the tagged reply if it came instead of `+`.
   */
  readonly runHeld: (
    request: CommandRequest,
    onHeld: (held: Held) => void
  ) => Effect.Effect<Tagged | undefined, ImapError>
  readonly state: SubscriptionRef.SubscriptionRef<SessionState.SessionState>
  readonly currentState: () => SessionState.SessionState
  readonly capabilities: () => ReadonlySet<string>
  readonly setCapabilities: (caps: ReadonlyArray<string>) => void
  /**
   * Unsolicited and mailbox data (EXISTS, EXPUNGE, VANISHED, FETCH flag updates, BYE, ALERT) from now
   * until the scope closes, coalesced and bounded (see `EventSubscription`). The consumer is resumed
   * once the reader has dispatched the chunk that brought the data (no fiber per event).
   */
  readonly subscribe: (options?: SubscribeOptions) => Effect.Effect<EventSubscription, never, Scope.Scope>
  /** Completes (with failure) when the connection dies; never succeeds. */
  readonly closed: Deferred.Deferred<never, ImapError>
  readonly isClosed: () => boolean
  /** Bytes received so far: lets long commands time out on silence rather than on length. */
  readonly bytesReceived: () => number
  /** When (the clock's milliseconds) the last read brought bytes: IDLE's liveness deadline counts from it. */
  readonly lastReceivedAt: () => number
  /** Declares the connection dead (an unanswered liveness probe): every waiter fails with `error`. */
  readonly fail: (error: ImapError) => void
  readonly write: (chunks: ReadonlyArray<Uint8Array>, trace: string) => Effect.Effect<void, ImapError>
  /**
   * Flow control for streamed results: while paused, the reader stops pulling from the socket (TCP
   * backpressure), unless another command needs the reader: then buffering wins over deadlock.
   */
  readonly pause: (key: object) => void
  readonly resume: (key: object) => void
}

export interface SubscribeOptions {
  /** Only these events are kept (the watcher needs no EXPUNGE, so EXISTS coalesce across them). */
  readonly accept?: ((r: UntaggedData) => boolean) | undefined
}

/**
 * One subscriber's events. A run of EXISTS (or RECENT) is held as the newest one, repeated flag
 * updates of a message as the newest, identical EXPUNGE lines as one counted entry; nothing moves
 * across an EXPUNGE. While the subscriber is `subscriptionHighWater` entries behind, the reader stops
 * reading the socket unless a command needs it; past `subscriptionLimit` entries (a flood coalescing
 * cannot shrink, while a command needed the reader) the subscription fails with `ProtocolFailed`.
 * It fails with the connection's error when the connection dies (after BYE is delivered).
 */
export interface EventSubscription {
  /** Waits for at least one event and takes everything held (at most 4,096 events). */
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<UntaggedData>, ImapError | Cause.Done>
  /** Ends the subscription (after what it holds, on success) with the subscriber's own outcome. */
  readonly end: (exit: Exit.Exit<unknown, ImapError>) => void
  /** Entries held now (a coalesced run counts once): what a consumer that stopped pulling costs. */
  readonly size: () => number
}

/** A subscriber this many entries behind pauses the reader (where no command needs it). */
export const subscriptionHighWater = 256
/**
 * Entries (after coalescing) at which a subscription fails: at about 100 bytes each, 10 MB. Reached
 * only where coalescing cannot shrink the flood (EXPUNGE and EXISTS alternating) and the reader must
 * keep reading for a command; a mass expunge (`* 1 EXPUNGE` repeated) is one counted entry.
 */
export const subscriptionLimit = 100_000

/**
 * Writes go out in slices of at most this many bytes, each bounded by the command timeout: a 32 MB
 * literal on a slow link may take minutes, but a server that accepts no slice for that long has
 * stopped reading (a deadline on progress, like the reader's on silence, not on length).
 */
const writeSlice = 256 * 1024

/** `chunks` as the writes to make: as given when small (one corked write), else zero-copy slices. */
const slices = (chunks: ReadonlyArray<Uint8Array>): ReadonlyArray<ReadonlyArray<Uint8Array>> => {
  let total = 0
  for (const c of chunks) total += c.length
  if (total <= writeSlice) return [chunks]
  const out: Array<ReadonlyArray<Uint8Array>> = []
  for (const c of chunks) {
    for (let at = 0; at < c.length; at += writeSlice) out.push([c.subarray(at, at + writeSlice)])
  }
  return out
}

/** The response code as the atom errors carry (`TRYCREATE`, `UNAVAILABLE`), if any. */
export const codeName = (r: Tagged | UntaggedStatus): string | undefined => {
  const code = r.code
  if (code === undefined) return undefined
  switch (code._tag) {
    case "Status":
      return code.code
    case "Other":
      return code.name
    default:
      return code._tag.toUpperCase()
  }
}

/** A ParseError (or anything thrown by the codec) as the connection's fatal error. */
export const protocolError = (e: unknown): ImapError => {
  const message = causeMessage(e)
  const excerpt = typeof e === "object" && e !== null && "excerpt" in e ? String(e.excerpt) : ""
  return fromReason(new ProtocolFailed({ message, excerpt, cause: e }))
}

/** What the reader, the writer and `run` share: one per connection, owned by `make`. */
interface Core {
  readonly transport: Transport
  readonly options: ConnectionOptions
  readonly clock: Clock.Clock
  /** The process's shared timer on `clock`: a command's silence deadline without a fiber of its own. */
  readonly timers: SharedClock.SharedClock
  readonly trace: TraceBuffer.TraceBuffer
  readonly queue: CommandQueue.CommandQueue<CommandRequest>
  readonly gate: ReaderGate.ReaderGate
  readonly inboxes: Set<EventInbox.Inbox<ImapError>>
  /** Published copy of `current` (for callers that watch the state). */
  readonly state: SubscriptionRef.SubscriptionRef<SessionState.SessionState>
  readonly closed: Deferred.Deferred<never, ImapError>
  current: SessionState.SessionState
  readonly capabilities: Capabilities.Store
  dead: ImapError | undefined
  /** Set when the caller's scope closes: the transport then ends the socket gracefully itself. */
  closing: boolean
  received: number
  /**
   * When the server last showed life (a read returned) or the reader left the gate: a command's
   * silence is counted from here, so it fails at the configured silence, not a whole period later.
   */
  heardAt: number
  /** When the last read returned (unlike `heardAt`, not moved by leaving the gate). */
  receivedAt: number
  /** Where the reader logs the trace from (only when debug logging is on: it holds the caller's services). */
  readonly logContext: Context.Context<never> | undefined
}

/** A command in the connection's queue, from its place in line to its tagged reply. */
type Pending = CommandQueue.Entry<CommandRequest>

/** The one place the connection dies: every command, waiter and subscriber fails with `error`, once. */
const die = (core: Core, error: ImapError): void => {
  if (core.dead !== undefined) return
  core.dead = error
  core.current = SessionState.logout
  core.queue.fail(error)
  for (const inbox of core.inboxes) inbox.end(Exit.fail(error))
  core.gate.open()
  Deferred.doneUnsafe(core.closed, Exit.fail(error))
  // A dead connection (timeout, BYE, protocol error, liveness probe) stops reading and lets go of
  // its socket now, not when the caller's scope (maybe the app's) closes; destroying it also fails
  // a write blocked on a full TCP window. A closing scope ends the socket gracefully itself.
  if (!core.closing) core.transport.destroy()
  publishState(core)
}

/** Publishes `current` to `state` if it changed (a command's caller may have published it already). */
const publishState = (core: Core): void => {
  // `state` is public, and a caller holding its permit across a wait (an updateEffect) must delay
  // the publication, never throw in the socket's data event: StateRef.publish forks the write to
  // queue on the permit if the permit exists, and applies it at once otherwise (no fork per read).
  if (SubscriptionRef.getUnsafe(core.state) !== core.current) StateRef.publish(core.state, core.current)
}

// ---------------------------------------------------------------------------------------------
// The reader: responses parsed and dispatched as the framer finds them, synchronously.
// ---------------------------------------------------------------------------------------------

const dispatchUntagged = (core: Core, r: UntaggedData): void => {
  core.capabilities.observe(r)
  core.current = SessionState.reduce(core.current, r)
  const consumed = core.queue.claim(r)
  if (Unsolicited.isPublished(r, consumed, core.current._tag)) {
    for (const inbox of core.inboxes) inbox.push(r)
  }
  if (Unsolicited.isBye(r) && Unsolicited.endsSession(r, consumed, () => core.queue.pendingNames())) {
    die(core, fromReason(Throttling.bye(r.text, codeName(r))))
  }
}

const dispatchTagged = (core: Core, r: Tagged) => {
  const p = core.queue.find(r.tag)
  if (p === undefined) {
    const excerpt = `${r.tag} ${r.status}`
    return die(core, fromReason(new ProtocolFailed({ message: `tagged reply for unknown tag ${r.tag}`, excerpt })))
  }
  core.capabilities.observe(r)
  if (p.request.onTagged) core.current = p.request.onTagged(r, core.current)
  p.continuation?.(undefined)
  core.queue.answered(p)
  if (r.status === "OK") Deferred.doneUnsafe(p.done, Exit.succeed(r))
  else {
    const refusal = { command: p.request.name, status: r.status, code: codeName(r), text: r.text }
    Deferred.doneUnsafe(p.done, Exit.fail(fromReason(Throttling.tagged(refusal, p.request.authentication))))
  }
}

const dispatch = (core: Core, r: Response) => {
  switch (r._tag) {
    case "Tagged":
      return dispatchTagged(core, r)
    case "Continuation":
      if (core.queue.continueWith(r.text)) return
      return die(
        core,
        fromReason(new ProtocolFailed({ message: "unexpected continuation request", excerpt: `+ ${r.text}` }))
      )
    default:
      return dispatchUntagged(core, r)
  }
}

/**
 * Starts reading: the socket's data events drive the framer and the dispatch, synchronously, until
 * the connection dies. No fiber waits on an idle socket (one cost 3-4 KB per session,
 * bench/session-memory.ts); the gate pauses the socket while consumers are behind.
 */
const startReader = (core: Core, framer: Framer.Framer): void => {
  /** One response, parsed and dispatched as the framer finds it (nothing more once dead). */
  const onFrame = (frame: Uint8Array): void => {
    if (core.dead !== undefined) return
    if (core.trace.enabled) core.trace.line("S", Trace.printable(frame))
    dispatch(core, ResponseParser.parse(frame))
  }
  const onData = (chunk: Uint8Array): void => {
    if (core.dead !== undefined) return
    core.heardAt = core.receivedAt = core.clock.currentTimeMillisUnsafe()
    core.received += chunk.length
    try {
      framer.each(chunk, onFrame)
    } catch (e) {
      die(core, protocolError(e))
      return
    }
    afterRead(core)
  }
  // Responses the handshake had already parsed past the greeting (sent in the same packet).
  for (const r of core.options.initial ?? []) dispatch(core, r)
  afterRead(core)
  if (core.dead === undefined) core.transport.listen(onData, (error) => die(core, error))
}

/** After each read: the trace logged, the state published, and the gate's say on reading on. */
const afterRead = (core: Core): void => {
  if (core.dead !== undefined) return
  if (core.logContext !== undefined) Effect.runForkWith(core.logContext)(core.trace.flush)
  publishState(core)
  core.gate.pass()
}

// ---------------------------------------------------------------------------------------------
// The writer: one command's segments at a time, each write and each wait for `+` bounded.
// ---------------------------------------------------------------------------------------------

/** Fails the connection (every waiter gets this error): the server was silent, or not reading, for `millis`. */
const timedOut = (core: Core, millis: number, command: string | undefined): Effect.Effect<never, ImapError> =>
  Effect.suspend(() => {
    const error = fromReason(new Timeout({ phase: "command", millis, command }))
    die(core, error)
    return Effect.fail(error)
  })

/** One slice, bounded: interrupting a half-written command is safe only because it kills the connection. */
const writeWithin = (core: Core, chunks: ReadonlyArray<Uint8Array>, command: string | undefined) =>
  Effect.suspend(() => {
    // A dead connection's socket is destroyed: a write to it would wait for a `drain` never to come.
    if (core.dead !== undefined) return Effect.fail(core.dead)
    const millis = Duration.toMillis(core.options.commandTimeout)
    const written = core.transport.write(chunks)
    // The socket took it all (Transport.write's `Effect.void`): nothing to wait for, so no race of
    // two forked fibers per command.
    if (written === Effect.void) return written
    return written.pipe(
      Effect.timeoutOption(millis),
      Effect.flatMap((o) => (o._tag === "Some" ? Effect.void : timedOut(core, millis, command)))
    )
  })

/**
 * Writes under the command timeout per slice: the writer runs uninterruptibly, so a server that
 * stops reading would otherwise hold it (and every caller queued behind it) forever.
 */
const write = (core: Core, chunks: ReadonlyArray<Uint8Array>, line: string, command?: string) =>
  Effect.suspend(() => {
    if (core.dead !== undefined) return Effect.fail(core.dead)
    if (core.trace.enabled) core.trace.line("C", line)
    const parts = slices(chunks)
    const writes =
      parts.length === 1
        ? writeWithin(core, parts[0]!, command)
        : Effect.forEach(parts, (slice) => writeWithin(core, slice, command), { discard: true })
    return core.trace.logging ? Effect.andThen(core.trace.flush, writes) : writes
  })

/** Waits for `d`, failing the connection only after `timeoutMillis` without a byte received. */
const untilSilent = <A, E extends ImapError>(
  core: Core,
  command: string,
  d: Deferred.Deferred<A, E>,
  timeoutMillis: number = Duration.toMillis(core.options.commandTimeout)
): Effect.Effect<A, ImapError> =>
  Effect.suspend(() => {
    // Times out on silence, not on length: a 50,000-message FETCH may take long but never stalls.
    // Silence is excused only while the reader is parked for a paused stream (the consumer's
    // pace, not the server's); once another command needs the reader, the server must answer.
    // It counts from the later of this wait's start and the last sign of life, to the millisecond.
    const since = core.clock.currentTimeMillisUnsafe()
    const check = (within: number): Effect.Effect<A, ImapError> =>
      SharedClock.awaitWithin(core.timers, d, within).pipe(
        Effect.flatMap((o) => {
          if (o._tag === "Some") return Effect.succeed(o.value)
          if (core.gate.isParked() && core.dead === undefined) return check(timeoutMillis)
          const left = Deadline.remaining(timeoutMillis, since, core.heardAt, core.clock.currentTimeMillisUnsafe())
          return left > 0 ? check(left) : timedOut(core, timeoutMillis, command)
        })
      )
    return check(timeoutMillis)
  })

/**
 * The server's `+` (its text), or undefined when the tagged reply came instead. Bounded like a
 * reply: a server silent for the command timeout fails the connection instead of hanging this
 * uninterruptible writer (and every caller behind it) forever.
 */
const awaitContinuation = (core: Core, p: Pending): Effect.Effect<string | undefined, ImapError> => {
  // Registered now, before the caller writes what provokes the `+`: a fast server's `+` must
  // never find nobody waiting (it would be an "unexpected continuation").
  const answer = Deferred.makeUnsafe<string | undefined>()
  const k = (text: string | undefined) => Deferred.doneUnsafe(answer, Exit.succeed(text))
  p.continuation = k
  return untilSilent(core, p.request.name, answer).pipe(
    Effect.ensuring(
      Effect.sync(() => {
        if (p.continuation === k) p.continuation = undefined
      })
    )
  )
}

/** An interruptible region's restore, as `Effect.uninterruptibleMask` gives it. */
type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/*
 * The writer's steps are generator functions defined once (`Effect.fnUntraced`), not an
 * `Effect.gen(function* () {...})` per call: each generator function made per call gets its own
 * prototype and object shape in V8, ~150 B per command step, alive for the command's round trip.
 */

/** Writes the command's segments, waiting for `+` between them, then answers challenges. Uninterruptible. */
const send = Effect.fnUntraced(function* (core: Core, p: Pending, wire: Wire) {
  const { name, onChallenge } = p.request
  const expectsMore = (i: number) => i < wire.segments.length - 1 || onChallenge !== undefined
  let next = expectsMore(0) ? awaitContinuation(core, p) : undefined
  yield* write(core, [wire.segments[0]!], wire.trace, name)
  for (let i = 1; i < wire.segments.length; i++) {
    const text = yield* next!
    if (text === undefined) return // the server answered with a tagged NO/BAD instead of `+`
    next = expectsMore(i) ? awaitContinuation(core, p) : undefined
    yield* write(core, [wire.segments[i]!], `(literal ${wire.segments[i]!.length} bytes)`, name)
  }
  if (next === undefined) return
  // AUTHENTICATE over (or refused): the tagged reply completes the command.
  const text = yield* next
  if (text === undefined) return
  if (onChallenge !== undefined) return yield* answerChallenges(core, p, onChallenge, text)
})

/** AUTHENTICATE: each server challenge (`+ base64`) gets the mechanism's next line, until the tagged reply. */
const answerChallenges = Effect.fnUntraced(function* (
  core: Core,
  p: Pending,
  onChallenge: NonNullable<CommandRequest["onChallenge"]>,
  first: string
) {
  let text: string | undefined = first
  while (text !== undefined) {
    const next = awaitContinuation(core, p)
    yield* write(core, [yield* onChallenge(text)], "(authentication response)", p.request.name)
    text = yield* next
  }
})

// ---------------------------------------------------------------------------------------------
// Commands and subscriptions: what callers use.
// ---------------------------------------------------------------------------------------------

/**
 * A command's way to the wire: queued, its turn (interruptible: an interrupted caller is withdrawn),
 * the session state checked, encoded, and marked sent. Runs inside the caller's uninterruptible region.
 */
const prepare = Effect.fnUntraced(function* (core: Core, request: CommandRequest, restore: Restore) {
  if (core.dead !== undefined) return yield* Effect.fail(core.dead)
  const p = core.queue.enqueue(request)
  // It needs the reader (for its turn or its reply): a reader parked for a paused stream goes on.
  if (!p.patient) core.gate.open()
  const turn = yield* restore(Deferred.await(p.turn)).pipe(Effect.exit)
  if (Exit.isFailure(turn)) {
    // Interrupted while queued (a turn granted meanwhile is given back), or the connection died.
    core.queue.withdraw(p)
    return yield* Effect.failCause(turn.cause)
  }
  if (core.dead !== undefined) return yield* Effect.fail(core.dead)
  if (!request.allowedIn.includes(core.current._tag)) {
    core.queue.withdraw(p)
    const refused = new InvalidState({
      command: request.name,
      state: core.current._tag,
      expected: request.allowedIn
    })
    return yield* Effect.fail(fromReason(refused))
  }
  const tag = core.queue.nextTag()
  const encoded = yield* request.encode(tag).pipe(Effect.exit)
  if (Exit.isFailure(encoded)) {
    core.queue.withdraw(p)
    return yield* Effect.failCause(encoded.cause)
  }
  core.queue.sent(p, tag)
  if (request.onSend) core.current = request.onSend(core.current)
  return { p, wire: encoded.value }
})

/** The writer is done with `p` (the next command may write); a failed write fails the connection. */
const writerDone = (core: Core, p: Pending, sent: Exit.Exit<unknown, ImapError>): Effect.Effect<void, ImapError> => {
  core.queue.written(p)
  if (Exit.isSuccess(sent)) return Effect.void
  const error = Cause.findErrorOption(sent.cause)
  if (error._tag === "Some") die(core, error.value)
  // A write cut short by the socket's destruction fails with what killed the connection.
  if (core.dead !== undefined) return Effect.fail(core.dead)
  return Effect.failCause(sent.cause)
}

/**
 * The tagged reply, bounded by silence. An interrupted caller leaves the pending entry in place: the
 * reader drains its reply. The reader publishes `state` once per read, possibly after this caller
 * resumes: published here too, so `state` already shows what the command did (Selected, or Logout
 * on death).
 */
const awaitReply = (core: Core, p: Pending): Effect.Effect<Tagged, ImapError> =>
  untilSilent(core, p.request.name, p.done).pipe(Effect.ensuring(Effect.sync(() => publishState(core))))

/**
 * The span of a command on the wire (`imap.SELECT`), the child of the operation's span. Without a
 * stack trace: it would only ever point here, and capturing it cost every command an Error and a
 * closure that lived as long as the reply took (bring-up's part of what is promoted to V8's old
 * space and dies there).
 */
const commandSpan =
  (name: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withSpan(self, `imap.${name}`, { attributes: { "imap.command": name }, captureStackTrace: false })

const runMasked = Effect.fnUntraced(function* (core: Core, request: CommandRequest, restore: Restore) {
  const { p, wire } = yield* prepare(core, request, restore)
  // Writing is not interruptible: half a command (or a literal announced but not sent) would
  // leave the server waiting and desynchronise every later command.
  yield* writerDone(core, p, yield* Effect.exit(send(core, p, wire)))
  return yield* restore(awaitReply(core, p))
})

const run = (core: Core, request: CommandRequest): Effect.Effect<Tagged, ImapError> =>
  Effect.uninterruptibleMask((restore) => runMasked(core, request, restore)).pipe(commandSpan(request.name))

/**
 * A command of one line that holds the queue after its `+` (IDLE), without a fiber waiting while it
 * holds: returns once `+` came, after `onHeld` got the way to end it, or with the tagged reply if
 * that came instead. Until `finish`, nothing else is written; `request.hold.release` completes when
 * another command is queued. The caller watches `release` and `done` by callback.
 */
const runHeld = (
  core: Core,
  request: CommandRequest,
  onHeld: (held: Held) => void
): Effect.Effect<Tagged | undefined, ImapError> =>
  Effect.uninterruptibleMask((restore) => runHeldMasked(core, request, onHeld, restore)).pipe(commandSpan(request.name))

const runHeldMasked = Effect.fnUntraced(function* (
  core: Core,
  request: CommandRequest,
  onHeld: (held: Held) => void,
  restore: Restore
) {
  const hold = request.hold!
  const { p, wire } = yield* prepare(core, request, restore)
  const plus = awaitContinuation(core, p)
  const sent = yield* Effect.exit(Effect.andThen(write(core, [wire.segments[0]!], wire.trace, request.name), plus))
  if (Exit.isFailure(sent) || sent.value === undefined) {
    // Refused (or ended) without `+`: the tagged reply is the answer.
    yield* writerDone(core, p, sent)
    return yield* restore(awaitReply(core, p))
  }
  core.queue.hold(p, () => Deferred.doneUnsafe(hold.release, Exit.void))
  onHeld(new HeldCommand(core, p, hold.done))
  return undefined
})

/** A held command as `onHeld` gets it: a class, its effect made when asked for (it is held for hours). */
class HeldCommand implements Held {
  private readonly core: Core
  private readonly p: Pending
  private readonly doneBytes: Uint8Array

  constructor(core: Core, p: Pending, doneBytes: Uint8Array) {
    this.core = core
    this.p = p
    this.doneBytes = doneBytes
  }

  get done(): Deferred.Deferred<Tagged, ImapError> {
    return this.p.done
  }

  get finish(): Effect.Effect<Tagged, ImapError> {
    return finishHeld(this.core, this.p, this.doneBytes)
  }
}

/** Ends a held command: DONE (unless the server ended it already), the queue given back, the tagged reply. */
const finishHeld = (core: Core, p: Pending, done: Uint8Array): Effect.Effect<Tagged, ImapError> =>
  Effect.uninterruptibleMask((restore) => finishHeldMasked(core, p, done, restore))

// Defined once: every IDLE cycle of every session ends here.
const finishHeldMasked = Effect.fnUntraced(function* (core: Core, p: Pending, done: Uint8Array, restore: Restore) {
  core.queue.unhold(p)
  // From DONE on, the tagged reply is due: a reader parked for a subscriber must go on.
  core.gate.open()
  const sent = Deferred.isDoneUnsafe(p.done)
    ? Exit.void
    : yield* Effect.exit(write(core, [done], "DONE", p.request.name))
  yield* writerDone(core, p, sent)
  return yield* restore(awaitReply(core, p))
})

const subscribe = (core: Core, options?: SubscribeOptions): Effect.Effect<EventSubscription, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const inbox: EventInbox.Inbox<ImapError> = EventInbox.make<ImapError>({
        accept: options?.accept,
        highWater: subscriptionHighWater,
        limit: subscriptionLimit,
        maxBatch: 4096,
        onPressure: (full) => core.gate.setFull(inbox, full),
        overflow: (held) =>
          fromReason(
            new ProtocolFailed({
              message: `more than ${subscriptionLimit} mailbox events the subscriber had not taken, while a command needed the connection (${held} held after coalescing)`,
              excerpt: ""
            })
          )
      })
      if (core.dead !== undefined) inbox.end(Exit.fail(core.dead))
      else core.inboxes.add(inbox)
      return inbox
    }),
    (inbox) =>
      Effect.sync(() => {
        core.inboxes.delete(inbox)
        core.gate.setFull(inbox, false)
      })
  )

/**
 * Starts the reader over an already greeted (and, if asked, upgraded) transport; `framer` keeps
 * whatever partial frame the handshake had already read.
 */
export const make: (
  transport: Transport,
  framer: Framer.Framer,
  initialState: SessionState.SessionState,
  initialCapabilities: ReadonlyArray<string>,
  options: ConnectionOptions
) => Effect.Effect<ImapConnection, never, Scope.Scope> = Effect.fnUntraced(function* (
  transport: Transport,
  framer: Framer.Framer,
  initialState: SessionState.SessionState,
  initialCapabilities: ReadonlyArray<string>,
  options: ConnectionOptions
) {
  const clock = yield* Clock.Clock
  const trace = yield* TraceBuffer.make(options.trace)
  const queue = CommandQueue.make<CommandRequest>()
  const core: Core = {
    transport,
    options,
    clock,
    timers: yield* SharedClock.get,
    trace,
    queue,
    gate: ReaderGate.make(
      () => ({
        dead: core.dead !== undefined,
        needsReader: queue.needsReader(),
        awaitingReply: queue.awaitingReply()
      }),
      {
        stop: () => transport.pause(),
        go: () => {
          core.heardAt = core.clock.currentTimeMillisUnsafe()
          transport.resume()
        }
      }
    ),
    inboxes: new Set(),
    state: yield* StateRef.make(initialState),
    closed: yield* Deferred.make<never, ImapError>(),
    current: initialState,
    capabilities: Capabilities.makeStore(initialCapabilities),
    dead: undefined,
    closing: false,
    received: 0,
    heardAt: clock.currentTimeMillisUnsafe(),
    receivedAt: clock.currentTimeMillisUnsafe(),
    logContext: trace.logging ? yield* Effect.context<never>() : undefined
  }
  startReader(core, framer)
  // Closing the scope must release every waiter (and stop the reader).
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      core.closing = true
      die(core, fromReason(new ConnectionClosed({ message: "connection closed by the client" })))
    })
  )
  return new Connection(core)
})

/**
 * What callers get: a class over the core rather than an object of fifteen closures (one connection
 * per session, thousands of sessions per process: bench/session-memory.ts). Its methods need their
 * receiver (`connection.run(r)`, not detached).
 */
class Connection implements ImapConnection {
  readonly state: SubscriptionRef.SubscriptionRef<SessionState.SessionState>
  readonly closed: Deferred.Deferred<never, ImapError>
  private readonly core: Core

  constructor(core: Core) {
    this.core = core
    this.state = core.state
    this.closed = core.closed
  }

  run(request: CommandRequest): Effect.Effect<Tagged, ImapError> {
    return run(this.core, request)
  }

  runHeld(request: CommandRequest, onHeld: (held: Held) => void): Effect.Effect<Tagged | undefined, ImapError> {
    return runHeld(this.core, request, onHeld)
  }

  currentState(): SessionState.SessionState {
    return this.core.current
  }

  capabilities(): ReadonlySet<string> {
    return this.core.capabilities.current()
  }

  setCapabilities(caps: ReadonlyArray<string>): void {
    this.core.capabilities.replace(caps)
  }

  subscribe(options?: SubscribeOptions): Effect.Effect<EventSubscription, never, Scope.Scope> {
    return subscribe(this.core, options)
  }

  isClosed(): boolean {
    return this.core.dead !== undefined
  }

  bytesReceived(): number {
    return this.core.received
  }

  lastReceivedAt(): number {
    return this.core.receivedAt
  }

  fail(error: ImapError): void {
    die(this.core, error)
  }

  write(chunks: ReadonlyArray<Uint8Array>, trace: string): Effect.Effect<void, ImapError> {
    return write(this.core, chunks, trace)
  }

  pause(key: object): void {
    this.core.gate.pause(key)
  }

  resume(key: object): void {
    this.core.gate.resume(key)
  }
}

export { ImapError }
