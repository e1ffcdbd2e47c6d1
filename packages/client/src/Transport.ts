/**
 * Opens the byte stream under an IMAP connection: plain TCP or implicit TLS, on
 * `@effect/platform-node` sockets, with an in-place STARTTLS upgrade. It owns the mapping of socket
 * failures to `ImapError` reasons (refused vs TLS vs closed), and nothing about IMAP itself.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Socket from "effect/socket/Socket"
import { readFile } from "node:fs/promises"
import { isIP } from "node:net"
import {
  ConnectionClosed,
  ConnectionFailed,
  causeMessage,
  fromReason,
  type ImapError,
  Timeout,
  TlsFailed
} from "./ImapError.ts"

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

export interface Transport {
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ImapError>
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, ImapError>
  /** STARTTLS: upgrade the same socket in place (fails if already TLS). */
  readonly upgrade: Effect.Effect<void, ImapError>
  /** Destroys the socket now (a dead connection), rather than when the scope closes. */
  readonly close: Effect.Effect<void>
  readonly secure: boolean
}

const encoder = new TextEncoder()

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

export const mapSocketError =
  (options: Pick<TransportOptions, "host" | "port">, secure: boolean) =>
  (e: Socket.SocketError): ImapError => {
    const reason = e.reason
    switch (reason._tag) {
      case "SocketOpenError": {
        if (reason.kind === "Timeout") return fromReason(new Timeout({ phase: "connect", millis: 0 }))
        const code = errno(reason.cause)
        if (secure && isTlsCode(code)) {
          return fromReason(new TlsFailed({ message: `${code}: ${causeMessage(reason.cause)}`, cause: reason.cause }))
        }
        return fromReason(
          new ConnectionFailed({
            host: options.host,
            port: options.port,
            message: code ? `${code}: ${causeMessage(reason.cause)}` : causeMessage(reason.cause),
            cause: reason.cause
          })
        )
      }
      case "SocketUpgradeError":
        return fromReason(new TlsFailed({ message: causeMessage(reason.cause), cause: reason.cause }))
      case "SocketCloseError":
        return fromReason(
          new ConnectionClosed({
            message: reason.code === 1000 ? "server closed the connection" : "connection reset"
          })
        )
      default:
        return fromReason(new ConnectionClosed({ message: causeMessage(reason.cause), cause: reason.cause }))
    }
  }

const servernameOf = (host: string, tls: TlsOptions | undefined): string | undefined =>
  tls?.servername ?? (isIP(host) === 0 ? host : undefined)

const tlsConnectionOptions = (host: string, tls: TlsOptions | undefined) => {
  const servername = servernameOf(host, tls)
  return {
    ...(tls?.ca !== undefined ? { ca: typeof tls.ca === "string" ? tls.ca : Buffer.from(tls.ca) } : {}),
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

/** Opens the socket (and the TLS session for implicit TLS); closed when the scope closes. */
export const open = (input: TransportOptions): Effect.Effect<Transport, ImapError, Scope.Scope> =>
  Effect.gen(function* () {
    const options: TransportOptions = { ...input, tlsOptions: yield* withCaFile(input.tlsOptions) }
    const implicit = options.tls === "implicit"
    const openTimeout = Duration.toMillis(options.connectTimeout)
    const socket = implicit
      ? yield* NodeSocket.makeTls({
          host: options.host,
          port: options.port,
          openTimeout,
          ...tlsConnectionOptions(options.host, options.tlsOptions)
        })
      : yield* NodeSocket.makeNet({ host: options.host, port: options.port, noDelay: true, openTimeout })
    const reader = yield* socket.reader.pipe(
      Effect.mapError((e) => {
        const mapped = mapSocketError(options, implicit)(e)
        return mapped.reason._tag === "Timeout"
          ? fromReason(new Timeout({ phase: "connect", millis: openTimeout }))
          : mapped
      })
    )
    const writer = yield* socket.writer
    // Runs before the socket's own finalizers: once they ran, a write would wait for a reopen forever.
    let released = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        released = true
      })
    )
    const close = Effect.suspend(() => (released ? Effect.void : Effect.ignore(writer.write(new Socket.CloseEvent()))))
    let secure = implicit
    const toError = (e: Socket.SocketError) => mapSocketError(options, secure)(e)
    const pull = reader.pull.pipe(
      Effect.map(
        (chunks) =>
          chunks.map((c) =>
            typeof c === "string" ? encoder.encode(c) : c
          ) as unknown as NonEmptyReadonlyArray<Uint8Array>
      ),
      Effect.mapError(toError)
    )
    const write = (chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, ImapError> => {
      if (chunks.length === 0) return Effect.void
      if (chunks.length === 1) return Effect.mapError(writer.write(chunks[0]!), toError)
      return Effect.mapError(writer.writeAll(chunks as unknown as NonEmptyReadonlyArray<Uint8Array>), toError)
    }
    const tls = tlsConnectionOptions(options.host, options.tlsOptions)
    // The STARTTLS handshake gets the deadline of the implicit one (`openTimeout` above): a server
    // that says OK and then never answers the ClientHello must not hold the client forever.
    // Made only when it happens: an error captures a stack trace (3.5 KB kept per connection).
    const upgradeTimeout = () =>
      Effect.fail(fromReason(new Timeout({ phase: "connect", millis: openTimeout, command: "STARTTLS" })))
    const upgrade = Effect.suspend(() => {
      if (secure) return Effect.fail(fromReason(new TlsFailed({ message: "connection is already TLS" })))
      return reader
        .upgrade({
          ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {})
        })
        .pipe(
          Effect.mapError((e) => mapSocketError(options, true)(e)),
          // Interrupting the upgrade destroys the half-open TLS socket (NodeSocket's upgrade).
          Effect.timeoutOrElse({ duration: options.connectTimeout, orElse: upgradeTimeout }),
          Effect.tap(() =>
            Effect.sync(() => {
              secure = true
            })
          )
        )
    })
    return {
      pull,
      write,
      upgrade,
      close,
      get secure() {
        return secure
      }
    }
  })
