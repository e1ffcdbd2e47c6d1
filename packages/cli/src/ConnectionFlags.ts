/**
 * The flags every command shares (where to connect, as whom, how to print), each with its
 * environment fallback (flag > environment > default), and their translation into the client's
 * `ImapClientOptions`: CA file read, credentials chosen (Credentials.ts), `--insecure` warned about.
 */
import { ImapConfig, Trace } from "@pkg/client"
import { Config, Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { UsageError } from "./ExitCode.ts"
import * as Credentials from "./Credentials.ts"
import * as Output from "./Output.ts"

const validPort = (p: number) => (Number.isInteger(p) && p >= 1 && p <= 65535 ? Option.some(p) : Option.none())

export const flags = {
  host: Flag.String("host").pipe(
    Flag.withAlias("H"),
    Flag.withDescription("IMAP server host name or address (env IMAP_HOST)"),
    Flag.withFallbackConfig(ImapConfig.env.host),
    Flag.optional
  ),
  port: Flag.Int("port").pipe(
    Flag.withAlias("p"),
    Flag.filterMap(validPort, (p) => `Expected a port between 1 and 65535, got ${p}`),
    Flag.withDescription("Server port (env IMAP_PORT; default 993 with implicit TLS, else 143)"),
    Flag.withFallbackConfig(ImapConfig.env.port),
    Flag.optional
  ),
  user: Flag.String("user").pipe(
    Flag.withAlias("u"),
    Flag.withDescription("User name to log in as (env IMAP_USER)"),
    Flag.withFallbackConfig(ImapConfig.env.user),
    Flag.optional
  ),
  tls: Flag.Literals("tls", ImapConfig.tlsModes).pipe(
    Flag.withDescription("TLS mode (env IMAP_TLS; default implicit on port 993, else starttls)"),
    Flag.withFallbackConfig(ImapConfig.env.tls),
    Flag.optional
  ),
  caFile: Flag.String("ca-file").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription("PEM file of a private CA to trust for the server's certificate (env IMAP_CA_FILE)"),
    Flag.withFallbackConfig(ImapConfig.env.caFile),
    Flag.optional
  ),
  insecure: Flag.Boolean("insecure").pipe(
    Flag.withDescription("Do not verify the server's certificate (env IMAP_INSECURE); prints a warning"),
    Flag.withFallbackConfig(ImapConfig.env.insecure),
    Flag.withDefault(false)
  ),
  passwordFile: Flag.String("password-file").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription(
      "Read the password from FILE (env IMAP_PASSWORD_FILE); else IMAP_PASSWORD, else a hidden prompt on a terminal"
    ),
    Flag.withFallbackConfig(Config.String("IMAP_PASSWORD_FILE")),
    Flag.optional
  ),
  accessTokenFile: Flag.String("access-token-file").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription(
      "Log in with the OAuth access token in FILE's first line (env IMAP_ACCESS_TOKEN_FILE), read again on every connection so a refresher can replace it; or set IMAP_ACCESS_TOKEN"
    ),
    Flag.withFallbackConfig(Config.String("IMAP_ACCESS_TOKEN_FILE")),
    Flag.optional
  ),
  accessTokenCommand: Flag.String("access-token-command").pipe(
    Flag.withMetavar("CMD"),
    Flag.withDescription(
      "Log in with an OAuth access token printed by CMD (first line of its stdout), run through the shell on every connection (env IMAP_ACCESS_TOKEN_COMMAND)"
    ),
    Flag.withFallbackConfig(Config.String("IMAP_ACCESS_TOKEN_COMMAND")),
    Flag.optional
  ),
  authMechanism: Flag.Literals("auth-mechanism", ImapConfig.mechanisms).pipe(
    Flag.withDescription(
      "SASL mechanism (env IMAP_AUTH_MECHANISM; default with a token OAUTHBEARER where offered, else XOAUTH2; with a password PLAIN where offered, else LOGIN)"
    ),
    Flag.withFallbackConfig(ImapConfig.env.mechanism),
    Flag.optional
  ),
  // Repeatable for `fleet add` (each one watched); every other command works on one.
  mailbox: Flag.String("mailbox").pipe(
    Flag.withAlias("m"),
    Flag.withDescription("Mailbox to work on (env IMAP_MAILBOX; default INBOX); `fleet add` takes several"),
    Flag.atLeast(0)
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print JSON: one object (or array) per line"),
    Flag.withDefault(false)
  ),
  trace: Flag.Boolean("trace").pipe(
    Flag.withDescription("Print the protocol exchange on stderr (secrets redacted), and stack traces on errors"),
    Flag.withDefault(false)
  )
}

export interface Flags {
  readonly host: string
  readonly port: Option.Option<number>
  readonly user: string
  readonly tls: Option.Option<(typeof ImapConfig.tlsModes)[number]>
  readonly caFile: Option.Option<string>
  readonly insecure: boolean
  readonly passwordFile: Option.Option<string>
  readonly accessTokenFile: Option.Option<string>
  readonly accessTokenCommand: Option.Option<string>
  readonly authMechanism: Option.Option<ImapConfig.Mechanism>
  readonly mailbox: string
  readonly json: boolean
  readonly trace: boolean
}

/**
 * The flags as parsed: host and user may be absent, since the commands that only touch the fleet's
 * database (`fleet status`, `serve`) share them without connecting anywhere.
 */
export interface Given extends Omit<Flags, "host" | "user" | "mailbox"> {
  readonly host: Option.Option<string>
  readonly user: Option.Option<string>
  /** Every `--mailbox` given, in order (none: IMAP_MAILBOX, else INBOX; see `mailboxes`). */
  readonly mailbox: ReadonlyArray<string>
}

/** The mailboxes named: every `--mailbox`, or IMAP_MAILBOX, or INBOX. */
export const mailboxes = (g: Given): Effect.Effect<ReadonlyArray<string>, UsageError> =>
  g.mailbox.length > 0
    ? Effect.succeed(g.mailbox)
    : Config.String("IMAP_MAILBOX").pipe(
        Config.withDefault("INBOX"),
        Effect.map((m) => [m]),
        Effect.mapError((e) => new UsageError({ message: `IMAP_MAILBOX: ${e.message}` }))
      )

/**
 * The flags of a command that connects: host and user given (flag or environment) and one mailbox,
 * or a usage error.
 */
export const required = (g: Given): Effect.Effect<Flags, UsageError> =>
  Effect.gen(function* () {
    if (Option.isNone(g.host)) return yield* new UsageError({ message: "Missing required flag: --host (or IMAP_HOST)" })
    if (Option.isNone(g.user)) return yield* new UsageError({ message: "Missing required flag: --user (or IMAP_USER)" })
    const named = yield* mailboxes(g)
    if (named.length > 1) {
      return yield* new UsageError({
        message: `--mailbox given ${named.length} times: this command works on one mailbox`
      })
    }
    const flags: Flags = { ...g, host: g.host.value, user: g.user.value, mailbox: named[0] ?? "INBOX" }
    return flags
  })

/** Read once before connecting: a path that cannot be read is the user's to fix (exit 2), not a TLS failure. */
const readCa = (file: string) =>
  ImapConfig.readCaFile(file).pipe(Effect.mapError((e) => new UsageError({ message: e.reason.message })))

export const clientOptions = (f: Flags): Effect.Effect<ImapConfig.ImapClientOptions, UsageError> =>
  Effect.gen(function* () {
    const ca = Option.isSome(f.caFile) ? yield* readCa(f.caFile.value) : undefined
    const tls = Option.getOrUndefined(f.tls)
    if (f.insecure && tls !== "none") {
      yield* Output.warning("--insecure: the server's certificate is not verified; the connection can be intercepted")
    }
    const auth = yield* Credentials.resolve(f)
    return {
      host: f.host,
      port: Option.getOrUndefined(f.port),
      tls,
      tlsOptions: ImapConfig.trust({ ca, insecure: f.insecure }),
      auth,
      trace: f.trace ? Trace.stderr : undefined
    }
  })
