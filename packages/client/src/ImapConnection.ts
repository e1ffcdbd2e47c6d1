/**
 * The connection core, shaped like `PgConnection`: one reader fiber, the pending commands by tag,
 * a FIFO command queue that pipelines independent commands and serialises the ones that change
 * state, and one place where the connection dies (every waiter fails with the same error, once).
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
import { ConnectionClosed, fromReason, ImapError, InvalidState, ProtocolFailed, Timeout } from "./ImapError.ts"
import * as EventInbox from "./internal/EventInbox.ts"
import * as TraceBuffer from "./internal/TraceBuffer.ts"
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
   * IDLE: after the server's `+`, keep the wire (nothing else may be written) until `until`
   * completes, then send `done` (DONE). `ready` runs when the `+` arrives.
   */
  readonly holdWire?: {
    readonly ready: Effect.Effect<void>
    readonly until: Effect.Effect<void>
    readonly done: Uint8Array
  }
}

export interface ConnectionOptions {
  readonly commandTimeout: Duration.Duration
  readonly trace: Trace.TraceSink | undefined
  /** Responses already read (and parsed) by the handshake, dispatched before anything else. */
  readonly initial?: ReadonlyArray<Response> | undefined
}

interface Pending {
  readonly tag: string
  readonly request: CommandRequest
  readonly done: Deferred.Deferred<Tagged, ImapError>
  /** Set while the writer waits for `+`; resolved with the text, or undefined if the command ended. */
  continuation: ((text: string | undefined) => void) | undefined
  /** IDLE between its `+` and DONE: its reply is not due, so it does not need the reader. */
  holding: boolean
}

interface Waiting {
  readonly exclusive: boolean
  /**
   * IDLE: nobody waits on its turn to make progress, so a paused stream or a subscriber that is
   * behind may keep the reader parked while it is queued (a watcher's next IDLE behind its FETCH
   * must not turn that FETCH's backpressure off).
   */
  readonly patient: boolean
  readonly turn: Deferred.Deferred<void>
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
  /** Hook for IDLE: called when a command is queued while the wire is held (or already is). */
  readonly setWireWanted: (f: (() => void) | undefined) => void
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

const tagPrefix = "A"

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
  const message = e instanceof Error ? e.message : String(e)
  const excerpt = typeof e === "object" && e !== null && "excerpt" in e ? String(e.excerpt) : ""
  return fromReason(new ProtocolFailed({ message, excerpt, cause: e }))
}

/** Capability names are atoms, which compare case-insensitively: the set keeps them upper-cased. */
const capabilitySet = (names: ReadonlyArray<string>): ReadonlySet<string> => new Set(names.map((c) => c.toUpperCase()))

const isMailboxEvent = (r: UntaggedData): boolean =>
  r._tag === "Exists" ||
  r._tag === "Expunge" ||
  r._tag === "Vanished" ||
  r._tag === "Fetch" ||
  r._tag === "Recent" ||
  r._tag === "Flags" ||
  (r._tag === "UntaggedStatus" && (r.status === "BYE" || r.code?._tag === "Alert"))

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
    const trace = yield* TraceBuffer.make(options.trace)
    const state = yield* SubscriptionRef.make(initialState)
    const closed = yield* Deferred.make<never, ImapError>()
    let current = initialState
    let capabilities = capabilitySet(initialCapabilities)
    let dead: ImapError | undefined
    /** Set when the caller's scope closes: the transport then ends the socket gracefully itself. */
    let closing = false
    let received = 0
    let nextTag = 1
    /**
     * Commands sent and not yet answered, oldest first (rarely more than a few: a tag is found by
     * scanning). An array, not a Map: every untagged response walks it, and a Map iterator per
     * response adds up over a large FETCH.
     */
    const pending: Array<Pending> = []
    const waiting: Array<Waiting> = []
    let inFlight = 0
    let exclusiveInFlight = false
    let wireBusy = false
    let wireWanted: (() => void) | undefined
    let readerFiber: Fiber.Fiber<unknown, unknown> | undefined
    const inboxes = new Set<EventInbox.Inbox<ImapError>>()
    /** Subscriptions at their high-water mark: each asks for the reader to be paused. */
    const fullInboxes = new Set<EventInbox.Inbox<ImapError>>()
    const pausers = new Set<object>()
    let gate: Deferred.Deferred<void> | undefined
    /**
     * The reader waits at the gate: for a paused stream's consumer, not for the server. It parks only
     * when `mayPause` holds, and any other command opens the gate at once (buffering wins).
     */
    let parked = false
    /**
     * When the server last showed life (a read returned) or the reader left the gate: a command's
     * silence is counted from here, so it fails at the configured silence, not a whole period later.
     */
    let heardAt = clock.currentTimeMillisUnsafe()
    const openGate = () => {
      if (gate !== undefined) {
        Deferred.doneUnsafe(gate, Exit.void)
        gate = undefined
      }
    }
    /** A queued command other than IDLE: it needs the reader to get its turn and its reply. */
    const needsReader = () => {
      for (const w of waiting) if (!w.patient) return true
      return false
    }

    /**
     * Pausing is safe only when nothing but the paused streams waits for the reader: no command
     * queued but IDLE, and every pending command either a paused stream or an IDLE before its DONE.
     */
    const mayPause = () => {
      if (dead !== undefined || needsReader() || (pausers.size === 0 && fullInboxes.size === 0)) return false
      let holding = 0
      for (const p of pending) if (p.holding) holding++
      return pending.length - holding <= pausers.size
    }

    const pump = () => {
      if (needsReader()) openGate()
      if (waiting.length > 0 && wireBusy && wireWanted !== undefined) wireWanted()
      while (waiting.length > 0 && !wireBusy && !exclusiveInFlight) {
        const head = waiting[0]!
        if (head.exclusive && inFlight > 0) break
        waiting.shift()
        wireBusy = true
        inFlight++
        if (head.exclusive) exclusiveInFlight = true
        Deferred.doneUnsafe(head.turn, Exit.void)
      }
    }

    const releaseWire = () => {
      wireBusy = false
      pump()
    }

    const finish = (p: Pending) => {
      const i = pending.indexOf(p)
      if (i >= 0) pending.splice(i, 1)
      inFlight--
      if (p.request.exclusive) exclusiveInFlight = false
      pump()
    }

    const die = (error: ImapError) => {
      if (dead !== undefined) return
      dead = error
      current = SessionState.logout
      for (const p of pending) {
        p.continuation?.(undefined)
        Deferred.doneUnsafe(p.done, Exit.fail(error))
      }
      pending.length = 0
      for (const w of waiting) Deferred.doneUnsafe(w.turn, Exit.void)
      waiting.length = 0
      for (const inbox of inboxes) inbox.end(Exit.fail(error))
      openGate()
      Deferred.doneUnsafe(closed, Exit.fail(error))
      // A connection declared dead (timeout, liveness probe) stops reading at once.
      readerFiber?.interruptUnsafe()
    }

    const dispatchUntagged = (r: UntaggedData) => {
      if (r._tag === "Capability") capabilities = capabilitySet(r.capabilities)
      else if (r._tag === "UntaggedStatus" && r.code?._tag === "Capability") {
        capabilities = capabilitySet(r.code.capabilities)
      }
      current = SessionState.reduce(current, r)
      let consumed = false
      for (let i = 0; i < pending.length; i++) {
        if (pending[i]!.request.collect?.(r)) {
          consumed = true
          break
        }
      }
      // Mailbox events are published even when a command consumed them (an EXISTS during a FETCH is
      // still news), but not while a SELECT is building the snapshot of a mailbox not yet entered.
      const isBye = r._tag === "UntaggedStatus" && r.status === "BYE"
      // A FETCH a command consumed is that command's data, not news (and a 50,000-message FETCH
      // must not cost 50,000 publications).
      const news = isMailboxEvent(r) && r._tag !== "Fetch" && current._tag === "Selected"
      if (isBye || !consumed || news) {
        for (const inbox of inboxes) inbox.push(r)
      }
      if (r._tag === "UntaggedStatus" && r.status === "BYE" && !consumed) {
        // LOGOUT's own BYE is expected; any other BYE ends the session (servers.md: doveadm kick).
        const loggingOut = pending.some((p) => p.request.name === "LOGOUT")
        if (!loggingOut) die(fromReason(Throttling.bye(r.text, codeName(r))))
      }
    }

    const dispatchTagged = (r: Tagged) => {
      const p = pending.find((q) => q.tag === r.tag)
      if (p === undefined) {
        die(
          fromReason(
            new ProtocolFailed({ message: `tagged reply for unknown tag ${r.tag}`, excerpt: `${r.tag} ${r.status}` })
          )
        )
        return
      }
      if (r.status === "OK" && r.code?._tag === "Capability") {
        capabilities = capabilitySet(r.code.capabilities)
      }
      if (p.request.onTagged) current = p.request.onTagged(r, current)
      p.continuation?.(undefined)
      finish(p)
      if (r.status === "OK") Deferred.doneUnsafe(p.done, Exit.succeed(r))
      else {
        const refusal = { command: p.request.name, status: r.status, code: codeName(r), text: r.text }
        Deferred.doneUnsafe(p.done, Exit.fail(fromReason(Throttling.tagged(refusal, p.request.authentication))))
      }
    }

    const dispatch = (r: Response) => {
      switch (r._tag) {
        case "Tagged":
          return dispatchTagged(r)
        case "Continuation": {
          for (const p of pending) {
            if (p.continuation !== undefined) {
              const k = p.continuation
              p.continuation = undefined
              k(r.text)
              return
            }
          }
          return die(
            fromReason(new ProtocolFailed({ message: "unexpected continuation request", excerpt: `+ ${r.text}` }))
          )
        }
        default:
          return dispatchUntagged(r)
      }
    }

    /** One response, parsed and dispatched as the framer finds it (nothing more once dead). */
    const onFrame = (frame: Uint8Array): void => {
      if (dead !== undefined) return
      if (trace.enabled) trace.line("S", Trace.printable(frame))
      dispatch(ResponseParser.parse(frame))
    }

    const reader = Effect.gen(function* () {
      // Responses the handshake had already parsed past the greeting (sent in the same packet).
      for (const r of options.initial ?? []) dispatch(r)
      while (dead === undefined) {
        const chunks = yield* transport.pull
        heardAt = clock.currentTimeMillisUnsafe()
        for (const chunk of chunks) {
          received += chunk.length
          try {
            framer.each(chunk, onFrame)
          } catch (e) {
            return die(protocolError(e))
          }
          if (dead !== undefined) break
        }
        if (trace.logging) yield* trace.flush
        // Compared with what `state` holds (a command's caller may have published it already).
        if (SubscriptionRef.getUnsafe(state) !== current) yield* SubscriptionRef.set(state, current)
        while (mayPause()) {
          gate ??= Deferred.makeUnsafe<void>()
          parked = true
          yield* Deferred.await(gate)
          parked = false
          heardAt = clock.currentTimeMillisUnsafe()
        }
      }
    }).pipe(
      Effect.catch((e: ImapError) => Effect.sync(() => die(e))),
      Effect.ensuring(
        Effect.suspend(() => {
          die(fromReason(new ConnectionClosed({ message: "connection closed" })))
          // Every death ends the reader, so this is where a dead connection (timeout, BYE, protocol
          // error) lets go of its socket: now, not when the caller's scope (maybe the app's) closes.
          // Destroying it also fails a write blocked on a full TCP window.
          return Effect.andThen(closing ? Effect.void : transport.close, SubscriptionRef.set(state, current))
        })
      )
    )
    readerFiber = yield* Effect.forkScoped(reader)
    // Interrupting the reader on scope close must also release every waiter.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closing = true
        die(fromReason(new ConnectionClosed({ message: "connection closed by the client" })))
      })
    )

    /** Fails the connection (every waiter gets this error): the server was silent, or not reading, for `millis`. */
    const timedOut = (millis: number, command: string | undefined): Effect.Effect<never, ImapError> =>
      Effect.suspend(() => {
        const error = fromReason(new Timeout({ phase: "command", millis, command }))
        die(error)
        return Effect.fail(error)
      })

    /** One slice, bounded: interrupting a half-written command is safe only because it kills the connection. */
    const writeWithin = (chunks: ReadonlyArray<Uint8Array>, command: string | undefined) =>
      Effect.suspend(() => {
        // A dead connection's socket is destroyed: a write to it would wait for a `drain` never to come.
        if (dead !== undefined) return Effect.fail(dead)
        const millis = Duration.toMillis(options.commandTimeout)
        return transport.write(chunks).pipe(
          Effect.timeoutOption(millis),
          Effect.flatMap((o) => (o._tag === "Some" ? Effect.void : timedOut(millis, command)))
        )
      })

    /**
     * Writes under the command timeout per slice: the writer runs uninterruptibly, so a server that
     * stops reading would otherwise hold it (and every caller queued behind it) forever.
     */
    const write = (chunks: ReadonlyArray<Uint8Array>, line: string, command?: string) =>
      Effect.suspend(() => {
        if (dead !== undefined) return Effect.fail(dead)
        if (trace.enabled) trace.line("C", line)
        const parts = slices(chunks)
        const writes =
          parts.length === 1
            ? writeWithin(parts[0]!, command)
            : Effect.forEach(parts, (slice) => writeWithin(slice, command), { discard: true })
        return trace.logging ? Effect.andThen(trace.flush, writes) : writes
      })

    /**
     * The server's `+` (its text), or undefined when the tagged reply came instead. Bounded like a
     * reply: a server silent for the command timeout fails the connection instead of hanging this
     * uninterruptible writer (and every caller behind it) forever.
     */
    const awaitContinuation = (p: Pending): Effect.Effect<string | undefined, ImapError> => {
      // Registered now, before the caller writes what provokes the `+`: a fast server's `+` must
      // never find nobody waiting (it would be an "unexpected continuation").
      const answer = Deferred.makeUnsafe<string | undefined>()
      const k = (text: string | undefined) => Deferred.doneUnsafe(answer, Exit.succeed(text))
      p.continuation = k
      return untilSilent(p, Deferred.await(answer)).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            if (p.continuation === k) p.continuation = undefined
          })
        )
      )
    }

    /** Writes the command's segments, waiting for `+` between them, and answers AUTHENTICATE challenges. */
    const send = (p: Pending, wire: Wire): Effect.Effect<void, ImapError> =>
      Effect.gen(function* () {
        const hold = p.request.holdWire
        const expectsMore = (i: number) =>
          i < wire.segments.length - 1 || hold !== undefined || p.request.onChallenge !== undefined
        let next = expectsMore(0) ? awaitContinuation(p) : undefined
        const name = p.request.name
        yield* write([wire.segments[0]!], wire.trace, name)
        for (let i = 1; i < wire.segments.length; i++) {
          const text = yield* next!
          if (text === undefined) return // the server answered with a tagged NO/BAD instead of `+`
          next = expectsMore(i) ? awaitContinuation(p) : undefined
          yield* write([wire.segments[i]!], `(literal ${wire.segments[i]!.length} bytes)`, name)
        }
        if (hold !== undefined) {
          const text = yield* next!
          if (text === undefined) return // IDLE refused: the tagged NO/BAD completes the command
          p.holding = true
          yield* hold.ready
          // A connection that dies while idling must not leave this (uninterruptible) writer waiting;
          // nor may a server that ends IDLE itself (tagged reply without DONE): no DONE is due then.
          const endedByServer = yield* Effect.raceFirst(
            Effect.as(Effect.raceFirst(hold.until, Deferred.await(closed)), false),
            Effect.as(Effect.exit(Deferred.await(p.done)), true)
          )
          // From DONE on, the tagged reply is due: a reader parked for a subscriber must go on.
          p.holding = false
          openGate()
          if (!endedByServer) yield* write([hold.done], "DONE", name)
          return
        }
        if (p.request.onChallenge) {
          while (true) {
            const text = yield* next!
            if (text === undefined) return
            next = awaitContinuation(p)
            yield* write([yield* p.request.onChallenge(text)], "(authentication response)", name)
          }
        }
      })

    const awaitTagged = (p: Pending, timeoutMillis: number): Effect.Effect<Tagged, ImapError> =>
      untilSilent(p, Deferred.await(p.done), timeoutMillis)

    /** Waits for `wait`, failing the connection only after `timeoutMillis` without a byte received. */
    const untilSilent = <A>(
      p: Pending,
      wait: Effect.Effect<A, ImapError>,
      timeoutMillis: number = Duration.toMillis(options.commandTimeout)
    ): Effect.Effect<A, ImapError> =>
      Effect.suspend(() => {
        // Times out on silence, not on length: a 50,000-message FETCH may take long but never stalls.
        // Silence is excused only while the reader is parked for a paused stream (the consumer's
        // pace, not the server's); once another command needs the reader, the server must answer.
        // It counts from the later of this wait's start and the last sign of life, to the millisecond.
        const since = clock.currentTimeMillisUnsafe()
        const check = (within: number): Effect.Effect<A, ImapError> =>
          wait.pipe(
            Effect.timeoutOption(within),
            Effect.flatMap((o) => {
              if (o._tag === "Some") return Effect.succeed(o.value)
              if (parked && dead === undefined) return check(timeoutMillis)
              const left = timeoutMillis - (clock.currentTimeMillisUnsafe() - Math.max(since, heardAt))
              return left > 0 ? check(left) : timedOut(timeoutMillis, p.request.name)
            })
          )
        return check(timeoutMillis)
      })

    const run = (request: CommandRequest): Effect.Effect<Tagged, ImapError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          if (dead !== undefined) return yield* Effect.fail(dead)
          const turn = Deferred.makeUnsafe<void>()
          const entry: Waiting = {
            exclusive: request.exclusive === true,
            patient: request.holdWire !== undefined,
            turn
          }
          waiting.push(entry)
          pump()
          const got = yield* restore(Deferred.await(turn)).pipe(Effect.exit)
          if (Exit.isFailure(got)) {
            // Interrupted while queued: give the turn back if it was granted meanwhile.
            const i = waiting.indexOf(entry)
            if (i >= 0) waiting.splice(i, 1)
            else if (Deferred.isDoneUnsafe(turn) && dead === undefined) {
              inFlight--
              if (entry.exclusive) exclusiveInFlight = false
              releaseWire()
            }
            return yield* Effect.failCause(got.cause as Cause.Cause<never>)
          }
          if (dead !== undefined) return yield* Effect.fail(dead)
          const abandon = () => {
            inFlight--
            if (entry.exclusive) exclusiveInFlight = false
            releaseWire()
          }
          if (!request.allowedIn.includes(current._tag)) {
            abandon()
            return yield* Effect.fail(
              fromReason(new InvalidState({ command: request.name, state: current._tag, expected: request.allowedIn }))
            )
          }
          const tag = `${tagPrefix}${nextTag++}`
          const encoded = yield* request.encode(tag).pipe(Effect.exit)
          if (Exit.isFailure(encoded)) {
            abandon()
            return yield* Effect.failCause(encoded.cause)
          }
          const p: Pending = { tag, request, done: Deferred.makeUnsafe(), continuation: undefined, holding: false }
          pending.push(p)
          if (request.onSend) current = request.onSend(current)
          // Writing is not interruptible: half a command (or a literal announced but not sent) would
          // leave the server waiting and desynchronise every later command.
          const sent = yield* send(p, encoded.value).pipe(Effect.exit)
          if (wireBusy && dead === undefined) releaseWire()
          if (Exit.isFailure(sent)) {
            const error = Cause.findErrorOption(sent.cause)
            if (error._tag === "Some") die(error.value)
            // A write cut short by the socket's destruction fails with what killed the connection.
            if (dead !== undefined) return yield* Effect.fail(dead)
            return yield* Effect.failCause(sent.cause)
          }
          // An interrupted caller leaves the pending entry in place: the reader drains its reply.
          // The reader publishes `state` once per read, possibly after this caller resumes: publish
          // here too, so `state` already shows what the command did (Selected, or Logout on death).
          return yield* restore(awaitTagged(p, Duration.toMillis(options.commandTimeout))).pipe(
            Effect.ensuring(
              Effect.suspend(() =>
                SubscriptionRef.getUnsafe(state) === current ? Effect.void : SubscriptionRef.set(state, current)
              )
            )
          )
        })
      ).pipe(Effect.withSpan(`imap.${request.name}`, { attributes: { "imap.command": request.name } }))

    const subscribe = (options?: SubscribeOptions): Effect.Effect<EventSubscription, never, Scope.Scope> =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const inbox: EventInbox.Inbox<ImapError> = EventInbox.make<ImapError>({
            accept: options?.accept,
            highWater: subscriptionHighWater,
            limit: subscriptionLimit,
            maxBatch: 4096,
            onPressure: (full) => {
              if (full) fullInboxes.add(inbox)
              else if (fullInboxes.delete(inbox)) openGate()
            },
            overflow: (held) =>
              fromReason(
                new ProtocolFailed({
                  message: `more than ${subscriptionLimit} mailbox events the subscriber had not taken, while a command needed the connection (${held} held after coalescing)`,
                  excerpt: ""
                })
              )
          })
          if (dead !== undefined) inbox.end(Exit.fail(dead))
          else inboxes.add(inbox)
          return inbox
        }),
        (inbox) =>
          Effect.sync(() => {
            inboxes.delete(inbox)
            if (fullInboxes.delete(inbox)) openGate()
          })
      )

    return {
      run,
      state,
      currentState: () => current,
      capabilities: () => capabilities,
      setCapabilities: (caps) => {
        capabilities = capabilitySet(caps)
      },
      subscribe,
      closed,
      isClosed: () => dead !== undefined,
      bytesReceived: () => received,
      setWireWanted: (f) => {
        wireWanted = f
        // A command queued between IDLE going out and its `+` must not wait for the next re-issue.
        if (f !== undefined && waiting.length > 0) f()
      },
      fail: die,
      write,
      pause: (key) => {
        pausers.add(key)
      },
      resume: (key) => {
        if (pausers.delete(key)) openGate()
      }
    }
  })

export { ImapError }
