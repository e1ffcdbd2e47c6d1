/**
 * Which credential the tool logs in with, decided before connecting: a password (`--password-file`,
 * IMAP_PASSWORD, else a hidden prompt on a terminal) or an OAuth access token (IMAP_ACCESS_TOKEN,
 * `--access-token-file`, `--access-token-command`), and the SASL mechanism (IMAP_AUTH_MECHANISM).
 * A token and a password at once, or two token sources, is a usage error: guessing which one the
 * user meant would log in as something they did not choose. No flag ever holds a secret itself.
 */
import { AccessToken, ImapConfig } from "@pkg/client"
import { Config, Effect, Option, type Redacted, Result } from "effect"
import * as fs from "node:fs/promises"

import { UsageError } from "./ExitCode.ts"
import * as Password from "./Password.ts"
import { cannotRead } from "./Report.ts"

type Mechanism = ImapConfig.Mechanism

/** What the user set (values only where the choice needs them). */
export interface Given {
  readonly passwordFile: Option.Option<string>
  readonly passwordEnv: boolean
  readonly tokenEnv: boolean
  readonly tokenFile: Option.Option<string>
  readonly tokenCommand: Option.Option<string>
  readonly mechanism: Option.Option<Mechanism>
  /** stdin is a terminal: a password can be asked for. */
  readonly terminal: boolean
}

export type Source =
  | { readonly _tag: "PasswordFile"; readonly file: string }
  | { readonly _tag: "PasswordEnv" }
  | { readonly _tag: "PasswordPrompt" }
  | { readonly _tag: "TokenEnv" }
  | { readonly _tag: "TokenFile"; readonly file: string }
  | { readonly _tag: "TokenCommand"; readonly command: string }

export interface Choice {
  readonly source: Source
  readonly mechanism: Mechanism | undefined
}

const tokenSourceNames = "IMAP_ACCESS_TOKEN, --access-token-file FILE or --access-token-command CMD"

/** The decision, pure: a source and mechanism, or the usage error's message. */
export const choose = (g: Given): Result.Result<Choice, string> => {
  const tokens: Array<readonly [string, Source]> = []
  if (g.tokenEnv) tokens.push(["IMAP_ACCESS_TOKEN", { _tag: "TokenEnv" }])
  if (Option.isSome(g.tokenFile)) tokens.push(["--access-token-file", { _tag: "TokenFile", file: g.tokenFile.value }])
  if (Option.isSome(g.tokenCommand)) {
    tokens.push(["--access-token-command", { _tag: "TokenCommand", command: g.tokenCommand.value }])
  }
  const passwords: Array<string> = []
  if (Option.isSome(g.passwordFile)) passwords.push("--password-file")
  if (g.passwordEnv) passwords.push("IMAP_PASSWORD")
  const mechanism = Option.getOrUndefined(g.mechanism)
  const oauth = mechanism !== undefined && ImapConfig.isOAuthMechanism(mechanism)
  if (tokens.length > 1) {
    return Result.fail(`more than one access token source: ${tokens.map(([n]) => n).join(" and ")}; use one`)
  }
  const token = tokens[0]
  if (token !== undefined) {
    if (passwords.length > 0) {
      return Result.fail(`both an access token (${token[0]}) and a password (${passwords.join(", ")}); use one`)
    }
    if (mechanism !== undefined && !oauth) {
      return Result.fail(`mechanism ${mechanism} needs a password, but an access token (${token[0]}) was given`)
    }
    return Result.succeed({ source: token[1], mechanism })
  }
  if (oauth) return Result.fail(`mechanism ${mechanism} needs an access token: set ${tokenSourceNames}`)
  if (Option.isSome(g.passwordFile)) {
    return Result.succeed({ source: { _tag: "PasswordFile", file: g.passwordFile.value }, mechanism })
  }
  if (g.passwordEnv) return Result.succeed({ source: { _tag: "PasswordEnv" }, mechanism })
  if (g.terminal) return Result.succeed({ source: { _tag: "PasswordPrompt" }, mechanism })
  return Result.fail(
    `no password: set IMAP_PASSWORD, pass --password-file FILE, or run on a terminal to be asked (or log in with a token: ${tokenSourceNames})`
  )
}

/** An optional secret variable; a bad value is a usage error naming it. */
const envSecret = (name: string, config: Config.Config<Redacted.Redacted<string>>) =>
  Config.option(config).pipe(Effect.mapError((e) => new UsageError({ message: `${name}: ${e.message}` })))

/** A token file must be there at start (a typo is a usage error); it is read again per connection. */
const checkReadable = (file: string) =>
  Effect.tryPromise({
    try: () => fs.access(file, fs.constants.R_OK),
    catch: (cause) => new UsageError({ message: cannotRead(`access token file ${file}`, cause) })
  })

export interface Options {
  readonly user: string
  readonly host: string
  readonly passwordFile: Option.Option<string>
  readonly accessTokenFile: Option.Option<string>
  readonly accessTokenCommand: Option.Option<string>
  readonly authMechanism: Option.Option<Mechanism>
}

/** The client's `Authentication` for what the user set, or a usage error, before any connection. */
export const resolve = (o: Options): Effect.Effect<ImapConfig.Authentication, UsageError> =>
  Effect.gen(function* () {
    const password = yield* envSecret("IMAP_PASSWORD", ImapConfig.env.password)
    const token = yield* envSecret("IMAP_ACCESS_TOKEN", ImapConfig.env.accessToken)
    const chosen = choose({
      passwordFile: o.passwordFile,
      passwordEnv: Option.isSome(password),
      tokenEnv: Option.isSome(token),
      tokenFile: o.accessTokenFile,
      tokenCommand: o.accessTokenCommand,
      mechanism: o.authMechanism,
      terminal: process.stdin.isTTY === true
    })
    if (Result.isFailure(chosen)) return yield* new UsageError({ message: chosen.failure })
    const { source, mechanism } = chosen.success
    const oauth = mechanism !== undefined && ImapConfig.isOAuthMechanism(mechanism) ? { mechanism } : undefined
    const plain = mechanism !== undefined && !ImapConfig.isOAuthMechanism(mechanism) ? { mechanism } : undefined
    switch (source._tag) {
      case "TokenEnv":
        return ImapConfig.oauth2(o.user, Option.getOrThrow(token), oauth)
      case "TokenFile":
        yield* checkReadable(source.file)
        return ImapConfig.oauth2(o.user, AccessToken.fromFile(source.file), oauth)
      case "TokenCommand":
        return ImapConfig.oauth2(o.user, AccessToken.fromCommand(source.command), oauth)
      case "PasswordFile":
        return ImapConfig.password(o.user, yield* Password.fromFile(source.file), plain)
      case "PasswordEnv":
        return ImapConfig.password(o.user, Option.getOrThrow(password), plain)
      case "PasswordPrompt":
        return ImapConfig.password(o.user, yield* Password.prompt(o.user, o.host), plain)
    }
  })
