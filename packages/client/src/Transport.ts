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
import type * as Socket from "effect/socket/Socket"
import { readFile } from "node:fs/promises"
import { isIP } from "node:net"
import { ConnectionClosed, ConnectionFailed, fromReason, type ImapError, Timeout, TlsFailed } from "./ImapError.ts"

export type TlsMode = "implicit" | "starttls" | "none"

export interface TlsOptions {
  /** Extra trust anchors (PEM), e.g. a private CA. */
  readonly ca?: string | Uint8Array | undefined
  /** Read `ca` from this PEM file (IMAP_CA_FILE) when opening. */
  readonly caFile?: string | undefined
  /** Verify the server certificate. Default true; false is an explicit, logged opt-out. */
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
  readonly secure: boolean
}

const encoder = new TextEncoder()

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

const causeMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown cause"

/** Node's TLS verification failures carry these codes; anything else during a TLS open is a connect failure. */
const isTlsCode = (code: string | undefined): boolean =>
  code !== undefined &&
  (code.includes("CERT") ||
    code.includes("SELF_SIGNED") ||
    code.startsWith("ERR_TLS") ||
    code.startsWith("ERR_SSL") ||
    code === "HOSTNAME_MISMATCH" ||
    code === "DEPTH_ZERO_SELF_SIGNED_CERT")

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

/** Opens the socket (and the TLS session for implicit TLS); closed when the scope closes. */
const readCaFile = (tls: TlsOptions | undefined): Effect.Effect<TlsOptions | undefined, ImapError> => {
  const file = tls?.caFile
  if (file === undefined || tls?.ca !== undefined) return Effect.succeed(tls)
  return Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (cause) =>
      fromReason(new TlsFailed({ message: `cannot read CA file ${file}: ${causeMessage(cause)}`, cause }))
  }).pipe(Effect.map((ca) => ({ ...tls, ca })))
}

export const open = (input: TransportOptions): Effect.Effect<Transport, ImapError, Scope.Scope> =>
  Effect.gen(function* () {
    const options: TransportOptions = { ...input, tlsOptions: yield* readCaFile(input.tlsOptions) }
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
      get secure() {
        return secure
      }
    }
  })
