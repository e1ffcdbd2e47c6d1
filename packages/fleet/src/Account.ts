/**
 * A watched account as the fleet's database keeps it: where and how to connect, and where its
 * secret comes from, never the secret itself (stored messages and rows are plain JSON any runner
 * and any `fleet status` can read). The secret is read when a runner connects, so a rotated
 * password or a refreshed token file is picked up at the next connection.
 *
 * @module
 */
import { AccessToken, ImapConfig, ImapError } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { readFile } from "node:fs/promises"

/**
 * Where a secret is read from: an environment variable of the runner, a file on its host, or (for
 * an access token) a command the runner runs through the shell on every connection.
 */
export const SecretRef = Schema.Union([
  Schema.TaggedStruct("Env", { name: Schema.String }),
  Schema.TaggedStruct("File", { path: Schema.String }),
  Schema.TaggedStruct("Command", { command: Schema.String })
])
/** A `SecretRef` value. */
export type SecretRef = typeof SecretRef.Type

/** How an account logs in: a password, or an OAuth 2.0 access token (the secret is the token). */
export const Login = Schema.Literals(["password", "token"])
/** A `Login` value. */
export type Login = typeof Login.Type

/** One account's connection settings, as stored. */
export const Settings = Schema.Struct({
  host: Schema.String,
  port: Schema.optional(Schema.Number),
  tls: Schema.optional(Schema.Literals(ImapConfig.tlsModes)),
  /** A CA certificate file to trust (PEM), read on the runner's host. */
  caFile: Schema.optional(Schema.String),
  user: Schema.String,
  login: Login,
  /** The SASL mechanism; without it the client chooses as for the CLI (see `ImapConfig.mechanisms`). */
  mechanism: Schema.optional(Schema.Literals(ImapConfig.mechanisms)),
  secret: SecretRef
})
/** A `Settings` value. */
export type Settings = typeof Settings.Type

/** The settings as the JSON text the `settings` column holds. */
export const SettingsJson = Schema.fromJsonString(Settings)

const unavailable = (message: string, cause?: unknown) =>
  new ImapError.TokenUnavailable({ message, retryable: false, ...(cause === undefined ? {} : { cause }) })

/**
 * Reads the secret `ref` points at: its first line, without surrounding blanks (as the CLI reads
 * its password and token files). Fails naming the variable, file or command, never the secret; a
 * missing variable or file is not retryable, since a runner cannot fix its own environment ("fleet
 * status" shows why), while a token command's failure is (a token endpoint may be down a while).
 */
export const readSecret = (ref: SecretRef): Effect.Effect<Redacted.Redacted<string>, ImapError.TokenUnavailable> => {
  switch (ref._tag) {
    case "Env": {
      const value = AccessToken.firstLine(process.env[ref.name] ?? "")
      return value === undefined
        ? Effect.fail(unavailable(`the secret's environment variable ${ref.name} is not set on this runner`))
        : Effect.succeed(Redacted.make(value))
    }
    case "File":
      return Effect.tryPromise({
        try: () => readFile(ref.path, "utf8"),
        catch: (cause) => unavailable(ImapError.cannotRead(`the secret file ${ref.path}`, cause), cause)
      }).pipe(
        Effect.flatMap((text) => {
          const value = AccessToken.firstLine(text)
          return value === undefined
            ? Effect.fail(unavailable(`the secret file ${ref.path} is empty`))
            : Effect.succeed(Redacted.make(value))
        })
      )
    case "Command":
      return AccessToken.fromCommand(ref.command)
  }
}

/**
 * Client options for `settings`. A token login asks for the secret on every connection (a
 * `TokenProvider`), so a token file rewritten by a refresher is read afresh at each reconnect.
 */
export const clientOptions = (settings: Settings): Effect.Effect<ImapConfig.ImapClientOptions, ImapError.ImapError> =>
  Effect.gen(function* () {
    const mechanism = settings.mechanism
    const auth =
      settings.login === "password"
        ? ImapConfig.password(
            settings.user,
            yield* Effect.mapError(readSecret(settings.secret), ImapError.fromReason),
            mechanism === "LOGIN" || mechanism === "PLAIN" ? { mechanism } : undefined
          )
        : ImapConfig.oauth2(
            settings.user,
            readSecret(settings.secret),
            mechanism === "XOAUTH2" || mechanism === "OAUTHBEARER" ? { mechanism } : undefined
          )
    const ca = settings.caFile === undefined ? undefined : yield* ImapConfig.readCaFile(settings.caFile)
    return {
      host: settings.host,
      ...(settings.port === undefined ? {} : { port: settings.port }),
      ...(settings.tls === undefined ? {} : { tls: settings.tls }),
      ...(ca === undefined ? {} : { tlsOptions: { ca } }),
      auth
    }
  })
