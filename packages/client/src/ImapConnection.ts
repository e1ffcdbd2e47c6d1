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
import type * as Fiber from "effect/Fiber"
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
import * as FirstOf from "./internal/FirstOf.ts"
import * as ReaderGate from "./internal/ReaderGate.ts"
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
   * IDLE: after the server's `+` (which completes `ready`), hold the queue (nothing else is written)
   * until `release` completes, then send `done` (DONE). The connection completes `release` itself
   * when another command is queued; the holder may complete it too (re-issue, liveness probe).
   */
  readonly hold?: {
    readonly ready: Deferred.Deferred<void>
    readonly release: Deferred.Deferred<void>
    readonly done: Uint8Array
  }
}

export interface ConnectionOptions {
  readonly commandTimeout: Duration.Duration
  readonly trace: Trace.TraceSink | undefined
  /** Responses already read (and parsed) by the handshake, dispatched before anything else. */
  readonly initial?: ReadonlyArray<Response> | undefined
}

export interface ImapConnection {
  readonly run: (request: CommandRequest) => Effect.Effect<Tagged, ImapError>
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
  readerFiber: Fiber.Fiber<unknown, unknown> | undefined
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
  // A connection declared dead (timeout, liveness probe) stops reading at once.
  core.readerFiber?.interruptUnsafe()
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

/** Reads until the connection dies, then lets go of the socket. */
const readLoop = (core: Core, framer: Framer.Framer): Effect.Effect<void> => {
  /** One response, parsed and dispatched as the framer finds it (nothing more once dead). */
  const onFrame = (frame: Uint8Array): void => {
    if (core.dead !== undefined) return
    if (core.trace.enabled) core.trace.line("S", Trace.printable(frame))
    dispatch(core, ResponseParser.parse(frame))
  }
  const leaveGate = () => {
    core.heardAt = core.clock.currentTimeMillisUnsafe()
  }
  return Effect.gen(function* () {
    // Responses the handshake had already parsed past the greeting (sent in the same packet).
    for (const r of core.options.initial ?? []) dispatch(core, r)
    while (core.dead === undefined) {
      const chunks = yield* core.transport.pull
      core.heardAt = core.receivedAt = core.clock.currentTimeMillisUnsafe()
      for (const chunk of chunks) {
        core.received += chunk.length
        try {
          framer.each(chunk, onFrame)
        } catch (e) {
          return die(core, protocolError(e))
        }
        if (core.dead !== undefined) break
      }
      if (core.trace.logging) yield* core.trace.flush
      // Compared with what `state` holds (a command's caller may have published it already).
      if (SubscriptionRef.getUnsafe(core.state) !== core.current) yield* StateRef.set(core.state, core.current)
      yield* core.gate.pass(leaveGate)
    }
  }).pipe(
    Effect.catch((e: ImapError) => Effect.sync(() => die(core, e))),
    Effect.ensuring(
      Effect.suspend(() => {
        die(core, fromReason(new ConnectionClosed({ message: "connection closed" })))
        // Every death ends the reader, so this is where a dead connection (timeout, BYE, protocol
        // error) lets go of its socket: now, not when the caller's scope (maybe the app's) closes.
        // Destroying it also fails a write blocked on a full TCP window.
        return Effect.andThen(core.closing ? Effect.void : core.transport.close, StateRef.set(core.state, core.current))
      })
    )
  )
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
    return core.transport.write(chunks).pipe(
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

/** Waits for `wait`, failing the connection only after `timeoutMillis` without a byte received. */
const untilSilent = <A>(
  core: Core,
  command: string,
  wait: Effect.Effect<A, ImapError>,
  timeoutMillis: number = Duration.toMillis(core.options.commandTimeout)
): Effect.Effect<A, ImapError> =>
  Effect.suspend(() => {
    // Times out on silence, not on length: a 50,000-message FETCH may take long but never stalls.
    // Silence is excused only while the reader is parked for a paused stream (the consumer's
    // pace, not the server's); once another command needs the reader, the server must answer.
    // It counts from the later of this wait's start and the last sign of life, to the millisecond.
    const since = core.clock.currentTimeMillisUnsafe()
    const check = (within: number): Effect.Effect<A, ImapError> =>
      wait.pipe(
        Effect.timeoutOption(within),
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
  return untilSilent(core, p.request.name, Deferred.await(answer)).pipe(
    Effect.ensuring(
      Effect.sync(() => {
        if (p.continuation === k) p.continuation = undefined
      })
    )
  )
}

/** Writes the command's segments, waiting for `+` between them, then holds the queue or answers challenges. */
const send = (core: Core, p: Pending, wire: Wire): Effect.Effect<void, ImapError> =>
  Effect.gen(function* () {
    const { hold, name, onChallenge } = p.request
    const expectsMore = (i: number) => i < wire.segments.length - 1 || hold !== undefined || onChallenge !== undefined
    let next = expectsMore(0) ? awaitContinuation(core, p) : undefined
    yield* write(core, [wire.segments[0]!], wire.trace, name)
    for (let i = 1; i < wire.segments.length; i++) {
      const text = yield* next!
      if (text === undefined) return // the server answered with a tagged NO/BAD instead of `+`
      next = expectsMore(i) ? awaitContinuation(core, p) : undefined
      yield* write(core, [wire.segments[i]!], `(literal ${wire.segments[i]!.length} bytes)`, name)
    }
    if (next === undefined) return
    // IDLE refused, or AUTHENTICATE over: the tagged reply completes the command.
    const text = yield* next
    if (text === undefined) return
    if (hold !== undefined) return yield* holdQueue(core, p, hold)
    if (onChallenge !== undefined) return yield* answerChallenges(core, p, onChallenge, text)
  })

/**
 * IDLE between its `+` and DONE: nothing else is written until `hold.release` completes (the queue
 * completes it when another command is queued), the connection dies, or the server ends IDLE itself
 * (a tagged reply without DONE: no DONE is due then).
 */
const holdQueue = (core: Core, p: Pending, hold: NonNullable<CommandRequest["hold"]>) =>
  Effect.gen(function* () {
    core.queue.hold(p, () => Deferred.doneUnsafe(hold.release, Exit.void))
    Deferred.doneUnsafe(hold.ready, Exit.void)
    // A connection that dies while idling must not leave this (uninterruptible) writer waiting.
    // Waited for in this fiber: a race would fork a fiber per side for as long as IDLE lasts.
    const endedByServer = yield* FirstOf.firstOf<boolean, ImapError>([
      FirstOf.deferred(hold.release, () => Effect.succeed(false)),
      FirstOf.deferred(core.closed, (exit) => exit),
      FirstOf.deferred(p.done, () => Effect.succeed(true))
    ]).pipe(Effect.ensuring(Effect.sync(() => core.queue.unhold(p))))
    // From DONE on, the tagged reply is due: a reader parked for a subscriber must go on.
    core.gate.open()
    if (!endedByServer) yield* write(core, [hold.done], "DONE", p.request.name)
  })

/** AUTHENTICATE: each server challenge (`+ base64`) gets the mechanism's next line, until the tagged reply. */
const answerChallenges = (
  core: Core,
  p: Pending,
  onChallenge: NonNullable<CommandRequest["onChallenge"]>,
  first: string
) =>
  Effect.gen(function* () {
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

const run = (core: Core, request: CommandRequest): Effect.Effect<Tagged, ImapError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
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
      // Writing is not interruptible: half a command (or a literal announced but not sent) would
      // leave the server waiting and desynchronise every later command.
      const sent = yield* send(core, p, encoded.value).pipe(Effect.exit)
      core.queue.written(p)
      if (Exit.isFailure(sent)) {
        const error = Cause.findErrorOption(sent.cause)
        if (error._tag === "Some") die(core, error.value)
        // A write cut short by the socket's destruction fails with what killed the connection.
        if (core.dead !== undefined) return yield* Effect.fail(core.dead)
        return yield* Effect.failCause(sent.cause)
      }
      // An interrupted caller leaves the pending entry in place: the reader drains its reply.
      // The reader publishes `state` once per read, possibly after this caller resumes: publish
      // here too, so `state` already shows what the command did (Selected, or Logout on death).
      return yield* restore(untilSilent(core, request.name, Deferred.await(p.done))).pipe(
        Effect.ensuring(
          Effect.suspend(() =>
            SubscriptionRef.getUnsafe(core.state) === core.current
              ? Effect.void
              : StateRef.set(core.state, core.current)
          )
        )
      )
    })
  ).pipe(Effect.withSpan(`imap.${request.name}`, { attributes: { "imap.command": request.name } }))

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
export const make = (
  transport: Transport,
  framer: Framer.Framer,
  initialState: SessionState.SessionState,
  initialCapabilities: ReadonlyArray<string>,
  options: ConnectionOptions
): Effect.Effect<ImapConnection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clock = yield* Clock.Clock
    const queue = CommandQueue.make<CommandRequest>()
    const core: Core = {
      transport,
      options,
      clock,
      trace: yield* TraceBuffer.make(options.trace),
      queue,
      gate: ReaderGate.make(() => ({
        dead: core.dead !== undefined,
        needsReader: queue.needsReader(),
        awaitingReply: queue.awaitingReply()
      })),
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
      readerFiber: undefined
    }
    core.readerFiber = yield* Effect.forkScoped(readLoop(core, framer))
    // Interrupting the reader on scope close must also release every waiter.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        core.closing = true
        die(core, fromReason(new ConnectionClosed({ message: "connection closed by the client" })))
      })
    )
    return {
      run: (request) => run(core, request),
      state: core.state,
      currentState: () => core.current,
      capabilities: core.capabilities.current,
      setCapabilities: core.capabilities.replace,
      subscribe: (options) => subscribe(core, options),
      closed: core.closed,
      isClosed: () => core.dead !== undefined,
      bytesReceived: () => core.received,
      lastReceivedAt: () => core.receivedAt,
      fail: (error) => die(core, error),
      write: (chunks, trace) => write(core, chunks, trace),
      pause: (key) => core.gate.pause(key),
      resume: (key) => core.gate.resume(key)
    }
  })

export { ImapError }
