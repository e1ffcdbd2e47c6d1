/**
 * Client configuration: the options a program passes in code, their defaults, and the same read
 * from `effect/Config` (`IMAP_HOST`, `IMAP_PORT`, `IMAP_USER`, `IMAP_PASSWORD`, `IMAP_TLS`, ...).
 * Secrets are `Redacted` from the moment they are read.
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { ImapError, TokenUnavailable } from "./ImapError.ts"
import type { TraceSink } from "./Trace.ts"
import * as Transport from "./Transport.ts"
import type { TlsMode, TlsOptions } from "./Transport.ts"

/**
 * How to log in: a password (LOGIN or AUTHENTICATE PLAIN), or an OAuth 2.0 access token (XOAUTH2 or
 * OAUTHBEARER).
 */
export type Authentication =
  | {
      readonly _tag: "Password"
      readonly user: string
      readonly password: Redacted.Redacted<string>
      readonly mechanism?: "LOGIN" | "PLAIN" | undefined
    }
  | {
      readonly _tag: "OAuth2"
      readonly user: string
      /** A fixed token, or a provider asked for a fresh one on every connection (see `TokenProvider`). */
      readonly accessToken: AccessToken
      readonly mechanism?: "XOAUTH2" | "OAUTHBEARER" | undefined
    }

/**
 * Yields a fresh access token. Asked once per connection attempt (every `ImapSession.make`, so every
 * watcher reconnect), and once more when the server refuses the token it gave; OAuth access tokens
 * expire (Gmail and Microsoft 365: after about an hour), so a long-lived client cannot hold one.
 * It fails with `TokenUnavailable` (retryable unless it says `retryable: false`).
 */
export type TokenProvider = Effect.Effect<Redacted.Redacted<string>, TokenUnavailable>

/** An OAuth 2.0 access token: fixed, or a `TokenProvider` asked on every connection. */
export type AccessToken = Redacted.Redacted<string> | TokenProvider

/** True when the access token is an effect that fetches a token rather than a fixed one. */
export const isTokenProvider = (token: AccessToken): token is TokenProvider => Effect.isEffect(token)

/**
 * How long each phase may take before it fails with a `Timeout` reason: connecting, the greeting, a
 * silent command, LOGOUT.
 */
export interface Timeouts {
  readonly connect?: Duration.Input | undefined
  readonly greeting?: Duration.Input | undefined
  /** Silence allowed while a command is running (not its total length). */
  readonly command?: Duration.Input | undefined
  readonly logout?: Duration.Input | undefined
}

/**
 * Bounds on what the server may send in one piece: a line longer, or a literal larger, fails the
 * connection with a ProtocolFailed rather than exhausting memory. Defaults: 1 MiB per line, 256 MiB
 * per literal (`Framer`'s; raise the line limit for a server without ESEARCH whose SEARCH replies
 * are longer, lower the literal limit for a client that never downloads whole messages).
 */
export interface Limits {
  readonly maxLineLength?: number | undefined
  readonly maxLiteralSize?: number | undefined
}

/**
 * Where and how to connect: host, port, TLS mode, authentication, timeouts, limits, extensions to
 * enable, ID, tracing.
 */
export interface ImapClientOptions {
  readonly host: string
  /** Default: 993 with implicit TLS, else 143. */
  readonly port?: number | undefined
  /** Default: implicit on port 993, else starttls. Clear text needs an explicit "none". */
  readonly tls?: TlsMode | undefined
  readonly tlsOptions?: TlsOptions | undefined
  /** Without it the session stays unauthenticated (or PREAUTH) until `login`/`authenticate`. */
  readonly auth?: Authentication | undefined
  readonly timeouts?: Timeouts | undefined
  readonly limits?: Limits | undefined
  /** Extensions to ENABLE when offered. Default: CONDSTORE, QRESYNC, UTF8=ACCEPT. */
  readonly enable?: ReadonlyArray<string> | undefined
  /** Sent with ID (RFC 2971) when the server offers it; false sends nothing. */
  readonly clientId?: Readonly<Record<string, string>> | false | undefined
  readonly trace?: TraceSink | undefined
}

/** `ImapClientOptions` with every default applied (see `resolve`). */
export interface ResolvedOptions {
  readonly host: string
  readonly port: number
  readonly tls: TlsMode
  readonly tlsOptions: TlsOptions | undefined
  readonly auth: Authentication | undefined
  readonly connectTimeout: Duration.Duration
  readonly greetingTimeout: Duration.Duration
  readonly commandTimeout: Duration.Duration
  readonly logoutTimeout: Duration.Duration
  readonly limits: Limits
  readonly enable: ReadonlyArray<string>
  readonly clientId: Readonly<Record<string, string>> | false
  readonly trace: TraceSink | undefined
}

// Defaults shared by every session rather than made for each: resolved options live as long as
// their session, and four Durations and two objects were about 480 bytes of each.
const defaultConnectTimeout = Duration.seconds(15)
const defaultGreetingTimeout = Duration.seconds(15)
const defaultCommandTimeout = Duration.seconds(60)
const defaultLogoutTimeout = Duration.seconds(5)
const noLimits: Limits = {}
const defaultClientId: Readonly<Record<string, string>> = { name: "effect-imap", version: "0.1.0" }

const durationOr = (input: Duration.Input | undefined, fallback: Duration.Duration): Duration.Duration =>
  input === undefined ? fallback : Duration.fromInputUnsafe(input)

/** The extensions ENABLEd by default when the server offers them. */
export const defaultEnable: ReadonlyArray<string> = ["CONDSTORE", "QRESYNC", "UTF8=ACCEPT"]

/**
 * Applies the defaults to `ImapClientOptions`: port and TLS mode from each other, timeouts, limits,
 * ENABLE list, ID.
 */
export const resolve = (o: ImapClientOptions): ResolvedOptions => {
  const tls: TlsMode = o.tls ?? (o.port === undefined || o.port === 993 ? "implicit" : "starttls")
  const port = o.port ?? (tls === "implicit" ? 993 : 143)
  return {
    host: o.host,
    port,
    tls,
    tlsOptions: o.tlsOptions,
    auth: o.auth,
    connectTimeout: durationOr(o.timeouts?.connect, defaultConnectTimeout),
    greetingTimeout: durationOr(o.timeouts?.greeting, defaultGreetingTimeout),
    commandTimeout: durationOr(o.timeouts?.command, defaultCommandTimeout),
    logoutTimeout: durationOr(o.timeouts?.logout, defaultLogoutTimeout),
    limits: o.limits ?? noLimits,
    enable: o.enable ?? defaultEnable,
    clientId: o.clientId ?? defaultClientId,
    trace: o.trace
  }
}

/**
 * Password authentication shorthand.
 *
 * @example
 * ```ts
 * import { ImapClient, ImapConfig } from "@pkg/client"
 * import { Redacted } from "effect"
 *
 * // A layer value: nothing connects until a program that needs ImapClient runs with it.
 * export const live = ImapClient.layer({
 *   host: "imap.example.com",
 *   auth: ImapConfig.password("me@example.com", Redacted.make(process.env.IMAP_PASSWORD ?? ""))
 * })
 * ```
 */
export const password = (
  user: string,
  secret: string | Redacted.Redacted<string>,
  options?: { readonly mechanism?: "LOGIN" | "PLAIN" | undefined }
): Authentication => ({
  _tag: "Password",
  user,
  password: typeof secret === "string" ? Redacted.make(secret) : secret,
  ...(options?.mechanism === undefined ? {} : { mechanism: options.mechanism })
})

/**
 * OAuth 2.0 shorthand: a fixed token, or a `TokenProvider` asked for a fresh one per connection.
 * Without a mechanism, OAUTHBEARER (RFC 7628) where offered, else XOAUTH2.
 */
export const oauth2 = (
  user: string,
  token: string | AccessToken,
  options?: { readonly mechanism?: "XOAUTH2" | "OAUTHBEARER" | undefined }
): Authentication => ({
  _tag: "OAuth2",
  user,
  accessToken: typeof token === "string" ? Redacted.make(token) : token,
  ...(options?.mechanism === undefined ? {} : { mechanism: options.mechanism })
})

/** The TLS modes, as `ImapClientOptions.tls` and IMAP_TLS take them. */
export const tlsModes = ["implicit", "starttls", "none"] as const

/** The SASL mechanisms a user may name (IMAP_AUTH_MECHANISM): OAuth 2.0 ones first, then password ones. */
export const mechanisms = ["XOAUTH2", "OAUTHBEARER", "PLAIN", "LOGIN"] as const
/** One of `mechanisms`. */
export type Mechanism = (typeof mechanisms)[number]

/** XOAUTH2 and OAUTHBEARER log in with an access token; PLAIN and LOGIN with a password. */
export const isOAuthMechanism = (m: Mechanism): m is "XOAUTH2" | "OAUTHBEARER" => m === "XOAUTH2" || m === "OAUTHBEARER"

/**
 * `TlsOptions` from a private CA (its PEM, or a file read when connecting) and the switch that
 * skips certificate checks; undefined when none is set, so the defaults apply.
 */
export const trust = (o: {
  readonly ca?: string | undefined
  readonly caFile?: string | undefined
  readonly insecure: boolean
}): TlsOptions | undefined =>
  o.ca === undefined && o.caFile === undefined && !o.insecure
    ? undefined
    : {
        ...(o.ca === undefined ? {} : { ca: o.ca }),
        ...(o.caFile === undefined ? {} : { caFile: o.caFile }),
        ...(o.insecure ? { rejectUnauthorized: false } : {})
      }

/**
 * One `Config` per environment variable, the single place their names and value rules are written:
 * `fromConfig` reads them all, and a program with flags of its own (the `imap` CLI) uses each as its
 * flag's fallback, so both accept and refuse the same values.
 */
export const env = {
  host: Config.String("IMAP_HOST"),
  port: Config.Port("IMAP_PORT"),
  tls: Config.Literals(tlsModes, "IMAP_TLS"),
  user: Config.String("IMAP_USER"),
  password: Config.Redacted("IMAP_PASSWORD"),
  accessToken: Config.Redacted("IMAP_ACCESS_TOKEN"),
  mechanism: Config.Literals(mechanisms, "IMAP_AUTH_MECHANISM"),
  /** A PEM file of extra trust anchors, read by `readCaFile`. */
  caFile: Config.String("IMAP_CA_FILE"),
  /** Skip certificate checks. */
  insecure: Config.Boolean("IMAP_INSECURE")
}

/**
 * Reads a PEM file of extra trust anchors (`TlsOptions.caFile`, IMAP_CA_FILE), failing with
 * `TlsFailed`. The transport calls it when opening a connection; a program may call it first to
 * refuse a bad path before connecting.
 */
export const readCaFile: (file: string) => Effect.Effect<string, ImapError> = Transport.readCaFile

/**
 * Reads options from the environment (`env`): IMAP_HOST (required), IMAP_PORT, IMAP_TLS
 * (implicit|starttls|none), IMAP_USER, IMAP_PASSWORD, IMAP_ACCESS_TOKEN, IMAP_AUTH_MECHANISM,
 * IMAP_CA_FILE (a PEM file of extra trust anchors), IMAP_INSECURE (skip certificate checks).
 */
export const fromConfig: Config.Config<ImapClientOptions> = Config.all({
  host: env.host,
  port: Config.option(env.port),
  tls: Config.option(env.tls),
  user: Config.option(env.user),
  password: Config.option(env.password),
  accessToken: Config.option(env.accessToken),
  mechanism: Config.option(env.mechanism),
  insecure: env.insecure.pipe(Config.withDefault(false)),
  caFile: Config.option(env.caFile)
}).pipe(
  Config.map((c): ImapClientOptions => {
    const user = Option.getOrUndefined(c.user)
    const mechanism = Option.getOrUndefined(c.mechanism)
    // A mechanism of the other kind is ignored here (the CLI refuses it as a usage error); none
    // leaves the choice to the server's offer, as `oauth2` and `password` document.
    const oauth = mechanism !== undefined && isOAuthMechanism(mechanism) ? { mechanism } : undefined
    const plain = mechanism !== undefined && !isOAuthMechanism(mechanism) ? { mechanism } : undefined
    const auth: Authentication | undefined =
      user === undefined
        ? undefined
        : Option.isSome(c.accessToken)
          ? oauth2(user, c.accessToken.value, oauth)
          : Option.isSome(c.password)
            ? password(user, c.password.value, plain)
            : undefined
    return {
      host: c.host,
      port: Option.getOrUndefined(c.port),
      tls: Option.getOrUndefined(c.tls),
      tlsOptions: trust({ caFile: Option.getOrUndefined(c.caFile), insecure: c.insecure }),
      auth
    }
  })
)

/** Reads the options from the environment (`fromConfig`), failing with a `ConfigError` when one is invalid. */
export const load = Effect.fnUntraced(function* () {
  return yield* fromConfig
})
