/**
 * A watched account as the fleet's database keeps it: where and how to connect, and where its
 * secret comes from, never the secret itself (stored messages and rows are plain JSON any runner
 * and any `fleet status` can read). The secret is read when a runner connects, so a rotated
 * password or a refreshed token file is picked up at the next connection.
 *
 * @module
 */
import { ImapConfig, ImapError } from "@pkg/client"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { readFile } from "node:fs/promises"

/** Where a secret is read from: an environment variable of the runner, or a file on its host. */
export const SecretRef = Schema.Union([
  Schema.TaggedStruct("Env", { name: Schema.String }),
  Schema.TaggedStruct("File", { path: Schema.String })
])
export type SecretRef = typeof SecretRef.Type

/** How an account logs in: a password, or an OAuth 2.0 access token (the secret is the token). */
export const Login = Schema.Literals(["password", "xoauth2", "oauthbearer"])
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
  secret: SecretRef
})
export type Settings = typeof Settings.Type

/** The settings as the JSON text the `settings` column holds. */
export const SettingsJson = Schema.fromJsonString(Settings)

/** The first line of a secret file or variable, without surrounding blanks (editors add newlines). */
const firstLine = (text: string): string => text.split(/\r?\n/, 1)[0]?.trim() ?? ""

/**
 * Reads the secret `ref` points at. Fails naming the variable or the file, never the secret; not
 * retryable, since a runner cannot fix its own environment or files ("fleet status" shows why).
 */
export const readSecret = (ref: SecretRef): Effect.Effect<Redacted.Redacted<string>, ImapError.TokenUnavailable> => {
  const missing = (message: string, cause?: unknown) =>
    new ImapError.TokenUnavailable({ message, retryable: false, ...(cause === undefined ? {} : { cause }) })
  if (ref._tag === "Env") {
    const value = firstLine(process.env[ref.name] ?? "")
    return value === ""
      ? Effect.fail(missing(`the secret's environment variable ${ref.name} is not set on this runner`))
      : Effect.succeed(Redacted.make(value))
  }
  return Effect.tryPromise({
    try: () => readFile(ref.path, "utf8"),
    catch: (cause) => missing(`cannot read the secret file ${ref.path}`, cause)
  }).pipe(
    Effect.flatMap((text) => {
      const value = firstLine(text)
      return value === ""
        ? Effect.fail(missing(`the secret file ${ref.path} is empty`))
        : Effect.succeed(Redacted.make(value))
    })
  )
}

/**
 * Client options for `settings`. A token login asks for the secret on every connection (a
 * `TokenProvider`), so a token file rewritten by a refresher is read afresh at each reconnect.
 */
export const clientOptions = (settings: Settings): Effect.Effect<ImapConfig.ImapClientOptions, ImapError.ImapError> =>
  Effect.gen(function* () {
    const auth =
      settings.login === "password"
        ? ImapConfig.password(settings.user, yield* Effect.mapError(readSecret(settings.secret), ImapError.fromReason))
        : ImapConfig.oauth2(settings.user, readSecret(settings.secret), {
            mechanism: settings.login === "xoauth2" ? "XOAUTH2" : "OAUTHBEARER"
          })
    const ca = settings.caFile === undefined ? undefined : yield* ImapConfig.readCaFile(settings.caFile)
    return {
      host: settings.host,
      ...(settings.port === undefined ? {} : { port: settings.port }),
      ...(settings.tls === undefined ? {} : { tls: settings.tls }),
      ...(ca === undefined ? {} : { tlsOptions: { ca } }),
      auth
    }
  })
