/**
 * Everything before the connection's reader fiber takes the socket: the greeting (OK, PREAUTH or
 * BYE, within a deadline) and STARTTLS. STARTTLS must run here, on a bare framer, so that no
 * decoder holds plaintext bytes across the TLS upgrade: bytes already buffered after the tagged
 * OK would be read as if they came over TLS (the STARTTLS command injection of CVE-2011-0411,
 * RFC 9051 11.1).
 *
 * Every wait has a deadline. Each step uses the configured timeout that bounds the same wait
 * elsewhere: a command's reply (CAPABILITY, STARTTLS) the command timeout, as for any command on the
 * connection; the TLS handshake the connect timeout, as for implicit TLS (Transport.upgrade).
 */
import type { Response, Tagged, UntaggedStatus } from "@pkg/protocol"
import { Framer, ResponseParser } from "@pkg/protocol"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Capabilities from "./Capabilities.ts"
import type { ResolvedOptions } from "./ImapConfig.ts"
import * as ImapConnection from "./ImapConnection.ts"
import { fromReason, type ImapError, MissingCapability, TlsFailed, Timeout } from "./ImapError.ts"
import * as TraceBuffer from "./internal/TraceBuffer.ts"
import * as SessionState from "./SessionState.ts"
import * as Throttling from "./Throttling.ts"
import * as Trace from "./Trace.ts"
import * as Transport from "./Transport.ts"

const encoder = new TextEncoder()

/** Reads responses one at a time from a transport during the handshake. */
const makeReader = (transport: Transport.Transport, trace: TraceBuffer.TraceBuffer, limits: Framer.FramerOptions) => {
  let framer = Framer.make(limits)
  const queue: Array<Response> = []
  const next: Effect.Effect<Response, ImapError> = Effect.suspend(() => {
    const r = queue.shift()
    if (r !== undefined) return Effect.succeed(r)
    return Effect.flatMap(transport.pull, (chunks) => {
      try {
        for (const chunk of chunks) {
          for (const frame of framer.push(chunk)) {
            trace.line("S", Trace.printable(frame))
            queue.push(ResponseParser.parse(frame))
          }
        }
      } catch (e) {
        return Effect.andThen(trace.flush, Effect.fail(ImapConnection.protocolError(e)))
      }
      return Effect.andThen(trace.flush, next)
    })
  })
  return {
    next,
    /** After STARTTLS's OK anything already received is discarded, never trusted (STARTTLS injection). */
    discardBuffered: () => {
      const dropped = queue.length + framer.buffered
      queue.length = 0
      framer = Framer.make(limits)
      return dropped
    },
    get framer() {
      return framer
    },
    /** Parsed responses not consumed yet; the connection dispatches them first. */
    remaining: () => queue.splice(0, queue.length)
  }
}

export interface Established {
  readonly connection: ImapConnection.ImapConnection
  readonly greeting: UntaggedStatus
  readonly secure: boolean
}

/** What the handshake's raw commands share. */
interface HandshakeIo {
  readonly transport: Transport.Transport
  readonly reader: ReturnType<typeof makeReader>
  readonly trace: TraceBuffer.TraceBuffer
  readonly commandTimeout: Duration.Duration
}

/**
 * Runs one raw command (`CAPABILITY`, `STARTTLS`: one word, no arguments) during the handshake and
 * returns its tagged reply, collecting untagged data. Bounded by the command timeout: the whole
 * exchange is a line or two, so it is held to it end to end, not only between reads.
 */
const rawCommand = (
  io: HandshakeIo,
  tag: string,
  command: string,
  onUntagged: (r: Response) => void
): Effect.Effect<Tagged, ImapError> =>
  rawExchange(io, tag, command, onUntagged).pipe(
    Effect.timeoutOrElse({
      duration: io.commandTimeout,
      orElse: () =>
        Effect.fail(
          fromReason(new Timeout({ phase: "command", millis: Duration.toMillis(io.commandTimeout), command }))
        )
    })
  )

/** `rawCommand`'s exchange: a generator function defined once, not one made per command. */
const rawExchange = Effect.fnUntraced(function* (
  io: HandshakeIo,
  tag: string,
  command: string,
  onUntagged: (r: Response) => void
) {
  io.trace.line("C", `${tag} ${command}`)
  yield* io.trace.flush
  yield* io.transport.write([encoder.encode(`${tag} ${command}\r\n`)])
  while (true) {
    const r = yield* io.reader.next
    if (r._tag === "Tagged" && r.tag === tag) return r
    if (r._tag === "UntaggedStatus" && r.status === "BYE") {
      return yield* Effect.fail(fromReason(Throttling.bye(r.text, ImapConnection.codeName(r))))
    }
    onUntagged(r)
  }
})

/** CAPABILITY during the handshake: the untagged list, or a capability code on the tagged OK. */
const askCapabilities = (io: HandshakeIo, tag: string): Effect.Effect<ReadonlyArray<string>, ImapError> => {
  let capabilities: ReadonlyArray<string> = []
  return rawCommand(io, tag, "CAPABILITY", (r) => {
    capabilities = Capabilities.carriedBy(r) ?? capabilities
  }).pipe(Effect.map((done) => Capabilities.carriedBy(done) ?? capabilities))
}

/**
 * STARTTLS (RFC 9051 6.2.1) on a connection greeted with OK: ensures it is offered, upgrades, and
 * returns the capabilities asked for again over TLS. The ones learned in clear text are discarded,
 * never trusted (a man in the middle may have added or removed some, e.g. LOGINDISABLED).
 */
const startTls = Effect.fnUntraced(function* (io: HandshakeIo, greetingCapabilities: ReadonlyArray<string>) {
  const capabilities = greetingCapabilities.length > 0 ? greetingCapabilities : yield* askCapabilities(io, "T0")
  if (!Capabilities.normalise(capabilities).has("STARTTLS")) {
    return yield* Effect.fail(fromReason(new MissingCapability({ capability: "STARTTLS", operation: "connect" })))
  }
  const ok = yield* rawCommand(io, "T1", "STARTTLS", () => {})
  if (ok.status !== "OK") {
    return yield* Effect.fail(fromReason(new TlsFailed({ message: `STARTTLS refused: ${ok.status} ${ok.text}` })))
  }
  const dropped = io.reader.discardBuffered()
  if (dropped > 0) yield* Effect.logWarning(`discarded ${dropped} bytes/responses sent in clear text after STARTTLS`)
  yield* io.transport.upgrade
  // Asked here, not left to login: a session opened without `auth` must know them too, and login
  // then has no reason to ask again.
  return yield* askCapabilities(io, "T2")
})

export const establish: (options: ResolvedOptions) => Effect.Effect<Established, ImapError, Scope.Scope> =
  Effect.fnUntraced(function* (options: ResolvedOptions) {
    const transport = yield* Transport.open({
      host: options.host,
      port: options.port,
      tls: options.tls,
      tlsOptions: options.tlsOptions,
      connectTimeout: options.connectTimeout
    })
    const trace = yield* TraceBuffer.make(options.trace)
    const reader = makeReader(transport, trace, options.limits)
    const greetingMillis = Duration.toMillis(options.greetingTimeout)
    const greeting = yield* reader.next.pipe(
      Effect.timeoutOrElse({
        duration: options.greetingTimeout,
        orElse: () => Effect.fail(fromReason(new Timeout({ phase: "greeting", millis: greetingMillis })))
      })
    )
    const refused =
      greeting._tag === "UntaggedStatus" && greeting.status !== "OK" && greeting.status !== "PREAUTH"
        ? Throttling.greeting(greeting.status, greeting.text, ImapConnection.codeName(greeting))
        : undefined
    if (refused !== undefined) return yield* Effect.fail(fromReason(refused))
    if (greeting._tag !== "UntaggedStatus" || greeting.status === "NO" || greeting.status === "BAD") {
      return yield* Effect.fail(
        ImapConnection.protocolError(new Error(`unexpected greeting: ${JSON.stringify(greeting._tag)}`))
      )
    }
    let capabilities = Capabilities.carriedBy(greeting) ?? []
    const state: SessionState.SessionState =
      greeting.status === "PREAUTH" ? SessionState.authenticated : SessionState.notAuthenticated

    if (options.tls === "starttls") {
      if (state._tag !== "NotAuthenticated") {
        // RFC 9051 6.2.1: STARTTLS is impossible after PREAUTH; refusing beats continuing in clear text.
        return yield* Effect.fail(fromReason(new TlsFailed({ message: "server sent PREAUTH; STARTTLS impossible" })))
      }
      capabilities = yield* startTls({ transport, reader, trace, commandTimeout: options.commandTimeout }, capabilities)
    }

    const connection = yield* ImapConnection.make(transport, reader.framer, state, capabilities, {
      commandTimeout: options.commandTimeout,
      trace: options.trace,
      initial: reader.remaining()
    })
    return { connection, greeting, secure: transport.secure }
  })
