/**
 * Opens the byte stream under an IMAP connection: plain TCP or implicit TLS, on Node's own sockets,
 * with an in-place STARTTLS upgrade. It owns the mapping of socket
 * failures to `ImapError` reasons (refused vs TLS vs closed), and nothing about IMAP itself.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { NonEmptyReadonlyArray } from "effect/Array"
import { readFile } from "node:fs/promises"
import * as Net from "node:net"
import type * as Tls from "node:tls"
import {
  ConnectionClosed,
  ConnectionFailed,
  causeMessage,
  fromReason,
  type ImapError,
  Timeout,
  TlsFailed
} from "./ImapError.ts"

/**
 * `node:tls` is loaded by the first TLS connection, not at import: an app on plaintext (or one that has
 * not connected yet) does not pay its ~5 MB and ~20 ms (`bench:imports`).
 */
const tlsModule = (): typeof Tls => process.getBuiltinModule("node:tls")

export type TlsMode = "implicit" | "starttls" | "none"

export interface TlsOptions {
  /** Extra trust anchors (PEM), e.g. a private CA. */
  readonly ca?: string | Uint8Array | undefined
  /** Read `ca` from this PEM file (IMAP_CA_FILE) when opening. */
  readonly caFile?: string | undefined
  /**
   * Verify the server certificate. Default true; false is an explicit opt-out that the application
   * must make visible to its user (the CLI warns for --insecure). Not logged here: Effect's default
   * logger writes to stdout, where it would corrupt a command's output.
   */
  readonly rejectUnauthorized?: boolean | undefined
  /** SNI and certificate name; defaults to the host when it is a name. */
  readonly servername?: string | undefined
}

export interface TransportOptions {
  readonly host: string
  readonly port: number
  readonly tls: TlsMode
  readonly tlsOptions?: TlsOptions | undefined
  readonly connectTimeout: Duration.Duration
}

/** The byte stream under a connection; its methods need their receiver (`transport.write(c)`). */
export interface Transport {
  /** The next chunks read (the handshake reads this way; the socket is paused between pulls). */
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ImapError>
  /**
   * Hands reading over to callbacks for good (the connection's reader): `onData` gets each chunk
   * as it is read, chunks read before first; `onEnd` is called once, with why the stream ended.
   */
  listen(onData: (chunk: Uint8Array) => void, onEnd: (error: ImapError) => void): void
  /** Stops reading (TCP backpressure once Node's buffer is full) until `resume`. */
  pause(): void
  resume(): void
  /**
   * Writes at once; the effect waits for `drain` when the socket's buffer is full, and is
   * `Effect.void` itself when the socket took every byte (the writer then sets no deadline).
   */
  write(chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, ImapError>
  /** STARTTLS: upgrade the same socket in place (fails if already TLS). */
  readonly upgrade: Effect.Effect<void, ImapError>
  /** Destroys the socket now (a dead connection), rather than when the scope closes. */
  destroy(): void
  readonly secure: boolean
}

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

/**
 * Every certificate verification code Node reports (OpenSSL's `X509_V_ERR_*` names without the
 * prefix, the list in Node's deps/ncrypto). Matching names by pattern once missed
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE (a private CA whose chain the server does not send), so a
 * certificate the client will never trust passed for a retryable network failure.
 */
const certificateCodes: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "OUT_OF_MEM",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH"
])

/**
 * A failed TLS handshake, as opposed to a failed or cut TCP connection (ECONNREFUSED, ECONNRESET,
 * ...: errno codes, retryable): a certificate verification code, Node's own TLS checks
 * (ERR_TLS_CERT_ALTNAME_INVALID for a name mismatch) or an OpenSSL protocol error (ERR_SSL_*, e.g. a
 * plaintext server on the TLS port).
 */
const isTlsCode = (code: string | undefined): boolean =>
  code !== undefined && (certificateCodes.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_"))

/** A socket's failure to connect (or to complete the implicit TLS handshake) as an `ImapError`. */
export const openError = (
  options: Pick<TransportOptions, "host" | "port">,
  secure: boolean,
  cause: unknown
): ImapError => {
  const code = errno(cause)
  if (secure && isTlsCode(code)) {
    return fromReason(new TlsFailed({ message: `${code}: ${causeMessage(cause)}`, cause }))
  }
  return fromReason(
    new ConnectionFailed({
      host: options.host,
      port: options.port,
      message: code ? `${code}: ${causeMessage(cause)}` : causeMessage(cause),
      cause
    })
  )
}

/** An established connection that failed (read or write error) or closed. */
const brokenError = (cause: unknown): ImapError =>
  fromReason(new ConnectionClosed({ message: causeMessage(cause), cause }))

const closedError = (hadError: boolean): ImapError =>
  fromReason(new ConnectionClosed({ message: hadError ? "connection reset" : "server closed the connection" }))

const servernameOf = (host: string, tls: TlsOptions | undefined): string | undefined =>
  tls?.servername ?? (Net.isIP(host) === 0 ? host : undefined)

/**
 * One TLS context per set of trust anchors, shared by every connection that trusts them:
 * `tls.connect({ ca })` builds an OpenSSL context and certificate store per connection, ~23 KB of
 * native memory each for the connection's life and the PEM parsed again (1,000 TLS connections to
 * Dovecot: 80.7 → 57.8 KB RSS per connection, handshake CPU −15%). Keyed by the PEM (or none: the
 * default roots); made with the `tls` defaults in force when first used. A few entries at most in
 * practice; emptied past 16 so that an app cycling through CAs cannot grow it.
 */
const secureContexts = new Map<string, Tls.SecureContext>()
const secureContextFor = (ca: string | Uint8Array | undefined): Tls.SecureContext => {
  const pem = ca === undefined ? undefined : typeof ca === "string" ? ca : Buffer.from(ca).toString("latin1")
  const key = pem ?? ""
  let context = secureContexts.get(key)
  if (context === undefined) {
    if (secureContexts.size >= 16) secureContexts.clear()
    context = tlsModule().createSecureContext(pem === undefined ? {} : { ca: pem })
    secureContexts.set(key, context)
  }
  return context
}

const tlsConnectionOptions = (host: string, tls: TlsOptions | undefined) => {
  const servername = servernameOf(host, tls)
  return {
    secureContext: secureContextFor(tls?.ca),
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
    ...(servername !== undefined ? { servername } : {})
  }
}

/** Reads a PEM file of extra trust anchors (`caFile`); public as `ImapConfig.readCaFile`. */
export const readCaFile = (file: string): Effect.Effect<string, ImapError> =>
  Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (cause) =>
      fromReason(new TlsFailed({ message: `cannot read CA file ${file}: ${causeMessage(cause)}`, cause }))
  })

/** `tls` with `ca` read from `caFile` (when only the file is given). */
const withCaFile = (tls: TlsOptions | undefined): Effect.Effect<TlsOptions | undefined, ImapError> => {
  const file = tls?.caFile
  if (file === undefined || tls?.ca !== undefined) return Effect.succeed(tls)
  return readCaFile(file).pipe(Effect.map((ca) => ({ ...tls, ca })))
}

/**
 * The socket's listeners, one set for every connection: each finds its transport on the socket
 * (Node calls a listener with the socket as `this`), where a closure per listener per connection
 * cost a few hundred bytes each, for the connection's life.
 */
const owner: unique symbol = Symbol("Transport")
type OwnedSocket = Net.Socket & { [owner]: NodeTransport }
function onData(this: OwnedSocket, chunk: Uint8Array): void {
  this[owner].received(chunk)
}
function onEnd(this: OwnedSocket): void {
  this[owner].end(closedError(false))
}
function onError(this: OwnedSocket, cause: unknown): void {
  this[owner].end(brokenError(cause))
}
function onClose(this: OwnedSocket, hadError: boolean): void {
  this[owner].end(closedError(hadError))
}

/**
 * The socket under a Transport. Reading has two modes: `pull` for the handshake (the socket paused
 * between pulls), then `listen` for the connection's reader, which gets every chunk by callback as
 * Node reads it: no fiber waits on the socket of an idle connection (a fiber each cost 3-4 KB per
 * session, bench/session-memory.ts). Node's own sockets, not `@effect/platform-node`'s: that one
 * reads through a fiber, and keeps the fiber that opened it alive through an `error` listener it
 * never removes.
 */
class NodeTransport implements Transport {
  conn: Net.Socket
  secure: boolean
  /** Why the stream ended (the first of `end`, `error`, `close`), once it has. */
  private ended: ImapError | undefined = undefined
  /** Chunks read while nobody pulled (the handshake) or before `listen`. */
  private readonly queued: Array<Uint8Array> = []
  private waiter: ((effect: Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ImapError>) => void) | undefined =
    undefined
  private onData: ((chunk: Uint8Array) => void) | undefined = undefined
  private onEnd: ((error: ImapError) => void) | undefined = undefined
  private paused = false
  private readonly options: TransportOptions

  constructor(conn: Net.Socket, options: TransportOptions) {
    this.conn = conn
    this.secure = options.tls === "implicit"
    this.options = options
    this.attach(conn)
  }

  // Made when asked for (the handshake, STARTTLS): a connection holds neither afterwards.
  get pull(): Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ImapError> {
    return Effect.callback((resume) => {
      const ready = this.take()
      if (ready !== undefined) return resume(ready)
      this.waiter = resume
      this.conn.resume()
      return Effect.sync(() => {
        this.waiter = undefined
        this.conn.pause()
      })
    })
  }

  get upgrade(): Effect.Effect<void, ImapError> {
    return Effect.suspend(() => this.startTls())
  }

  private attach(conn: Net.Socket): void {
    ;(conn as OwnedSocket)[owner] = this
    conn.pause()
    conn.on("data", onData)
    conn.on("end", onEnd)
    conn.on("error", onError)
    conn.on("close", onClose)
  }

  private detach(conn: Net.Socket): void {
    conn.off("data", onData)
    conn.off("end", onEnd)
    conn.off("error", onError)
    conn.off("close", onClose)
  }

  /** What a pull gets now: the chunks read, else the end; undefined if it must wait. */
  private take(): Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ImapError> | undefined {
    if (this.queued.length > 0) {
      return Effect.succeed(this.queued.splice(0, this.queued.length) as unknown as NonEmptyReadonlyArray<Uint8Array>)
    }
    return this.ended !== undefined ? Effect.fail(this.ended) : undefined
  }

  private wake(): void {
    const waiter = this.waiter
    const ready = waiter === undefined ? undefined : this.take()
    if (waiter === undefined || ready === undefined) return
    this.waiter = undefined
    waiter(ready)
  }

  received(chunk: Uint8Array): void {
    if (this.onData !== undefined) {
      this.onData(chunk)
      return
    }
    this.queued.push(chunk)
    // Read on demand until the reader listens: the next pull resumes the socket.
    this.conn.pause()
    this.wake()
  }

  end(error: ImapError): void {
    if (this.ended !== undefined) return
    this.ended = error
    if (this.onEnd !== undefined) this.onEnd(error)
    else this.wake()
  }

  listen(onData: (chunk: Uint8Array) => void, onEnd: (error: ImapError) => void): void {
    for (const chunk of this.queued.splice(0, this.queued.length)) onData(chunk)
    this.onData = onData
    this.onEnd = onEnd
    if (this.ended !== undefined) onEnd(this.ended)
    else if (!this.paused) this.conn.resume()
  }

  pause(): void {
    this.paused = true
    this.conn.pause()
  }

  resume(): void {
    this.paused = false
    if (this.onData !== undefined) this.conn.resume()
  }

  destroy(): void {
    this.conn.destroy()
  }

  write(chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, ImapError> {
    if (chunks.length === 0) return Effect.void
    const conn = this.conn
    let drained = true
    try {
      if (chunks.length === 1) drained = conn.write(chunks[0]!)
      else {
        conn.cork()
        try {
          for (const c of chunks) drained = conn.write(c) && drained
        } finally {
          conn.uncork()
        }
      }
    } catch (cause) {
      return Effect.fail(brokenError(cause))
    }
    return drained ? Effect.void : awaitDrain(conn)
  }

  /**
   * STARTTLS: the same socket, wrapped in a TLS session once the handshake completed. It gets the
   * deadline of the implicit one: a server that says OK and then never answers the ClientHello must
   * not hold the client forever. The timeout's error is made only when it happens: an error captures
   * a stack trace (3.5 KB kept per connection).
   */
  private startTls(): Effect.Effect<void, ImapError> {
    if (this.secure) return Effect.fail(fromReason(new TlsFailed({ message: "connection is already TLS" })))
    const millis = Duration.toMillis(this.options.connectTimeout)
    return Effect.timeoutOrElse(this.handshake(tlsConnectionOptions(this.options.host, this.options.tlsOptions)), {
      duration: this.options.connectTimeout,
      orElse: () => Effect.fail(fromReason(new Timeout({ phase: "connect", millis, command: "STARTTLS" })))
    })
  }

  private handshake(tls: ReturnType<typeof tlsConnectionOptions>): Effect.Effect<void, ImapError> {
    return Effect.callback<void, ImapError>((resume) => {
      const raw = this.conn
      this.detach(raw)
      let socket: Tls.TLSSocket
      try {
        socket = tlsModule().connect({ ...tls, socket: raw })
      } catch (cause) {
        this.attach(raw)
        return resume(Effect.fail(fromReason(new TlsFailed({ message: causeMessage(cause), cause }))))
      }
      const cleanup = () => {
        socket.off("secureConnect", succeed)
        socket.off("error", failUpgrade)
        socket.off("close", closedDuringUpgrade)
      }
      const succeed = () => {
        cleanup()
        this.conn = socket
        this.secure = true
        this.attach(socket)
        resume(Effect.void)
      }
      const failUpgrade = (cause: unknown) => {
        cleanup()
        // The socket is unusable now: whatever waits on it learns so (and `error` keeps a listener).
        this.conn = socket
        this.attach(socket)
        socket.destroy()
        resume(Effect.fail(fromReason(new TlsFailed({ message: causeMessage(cause), cause }))))
      }
      const closedDuringUpgrade = () => failUpgrade(new Error("socket closed during TLS upgrade"))
      socket.once("secureConnect", succeed)
      socket.once("error", failUpgrade)
      socket.once("close", closedDuringUpgrade)
      // Interrupted (the upgrade's deadline): the half-open TLS socket is destroyed.
      return Effect.sync(() => {
        cleanup()
        this.conn = socket
        this.attach(socket)
        socket.destroy()
      })
    })
  }

  /** The scope closed: end gracefully (FIN after what was written), then let go. */
  release(): void {
    const conn = this.conn
    if (!conn.destroyed) conn.destroySoon()
  }
}

const awaitDrain = (conn: Net.Socket): Effect.Effect<void, ImapError> =>
  Effect.callback<void, ImapError>((resume) => {
    const cleanup = () => {
      conn.off("drain", onDrain)
      conn.off("error", onError)
      conn.off("close", onClose)
    }
    const onDrain = () => {
      cleanup()
      resume(Effect.void)
    }
    const onError = (cause: unknown) => {
      cleanup()
      resume(Effect.fail(brokenError(cause)))
    }
    const onClose = () => {
      cleanup()
      resume(Effect.fail(brokenError(new Error("socket closed"))))
    }
    conn.on("drain", onDrain)
    conn.on("error", onError)
    conn.on("close", onClose)
    return Effect.sync(cleanup)
  })

/** Connects (and completes the implicit TLS handshake); the socket is destroyed if this is interrupted. */
const connect = (options: TransportOptions): Effect.Effect<Net.Socket, ImapError> =>
  Effect.callback<Net.Socket, ImapError>((resume) => {
    const implicit = options.tls === "implicit"
    const conn = implicit
      ? tlsModule().connect({
          host: options.host,
          port: options.port,
          ...tlsConnectionOptions(options.host, options.tlsOptions)
        })
      : Net.createConnection({ host: options.host, port: options.port, noDelay: true })
    const event = implicit ? "secureConnect" : "connect"
    const cleanup = () => {
      conn.off(event, onConnect)
      conn.off("error", onError)
    }
    const onConnect = () => {
      cleanup()
      resume(Effect.succeed(conn))
    }
    const onError = (cause: unknown) => {
      cleanup()
      conn.destroy()
      resume(Effect.fail(openError(options, implicit, cause)))
    }
    conn.once(event, onConnect)
    conn.on("error", onError)
    return Effect.sync(() => {
      cleanup()
      // Still listened to for `error`: a destroyed socket may report one more, never unhandled.
      conn.on("error", () => {})
      conn.destroy()
    })
  })

/** Opens the socket (and the TLS session for implicit TLS); closed when the scope closes. */
export const open: (input: TransportOptions) => Effect.Effect<Transport, ImapError, Scope.Scope> = Effect.fnUntraced(
  function* (input: TransportOptions) {
    const options: TransportOptions = { ...input, tlsOptions: yield* withCaFile(input.tlsOptions) }
    const openTimeout = Duration.toMillis(options.connectTimeout)
    const conn = yield* connect(options).pipe(
      Effect.timeoutOrElse({
        duration: options.connectTimeout,
        orElse: () => Effect.fail(fromReason(new Timeout({ phase: "connect", millis: openTimeout })))
      })
    )
    const transport = new NodeTransport(conn, options)
    yield* Effect.addFinalizer(() => Effect.sync(() => transport.release()))
    return transport
  }
)
