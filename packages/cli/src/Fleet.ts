/**
 * `imap fleet add NAME [MAILBOX ...] [--mailbox M ...]|remove|status` and `imap serve`: many watched mailboxes as a fleet (`@pkg/fleet`).
 * The fleet commands only read and write the fleet's database (`--db`, IMAP_FLEET_DB); `serve` runs
 * one runner, printing each new message of the mailboxes it owns as one JSON line (watch --json's
 * fields plus account and mailbox) until SIGINT/SIGTERM, when it hands its mailboxes over and exits 0.
 * The fleet's code (and its SQL drivers) loads only when one of these runs, so other commands and
 * `imap --help` do not pay for it.
 */
import type { Account } from "@pkg/fleet"
import { Config, Effect, Layer, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as path from "node:path"
import * as Arguments from "./Arguments.ts"
import * as ConnectionFlags from "./ConnectionFlags.ts"
import * as Credentials from "./Credentials.ts"
import * as ExitCode from "./ExitCode.ts"
import * as Output from "./Output.ts"
import * as Report from "./Report.ts"
import { root } from "./Root.ts"

const loadFleet = Effect.promise(() => import("@pkg/fleet"))

const db = Flag.String("db").pipe(
  Flag.withMetavar("URL"),
  Flag.withDescription(
    "The fleet's database: sqlite:PATH (one host) or a postgres:// URL (env IMAP_FLEET_DB; default sqlite:imap-fleet.db)"
  ),
  Flag.withFallbackConfig(Config.String("IMAP_FLEET_DB")),
  Flag.withDefault("sqlite:imap-fleet.db")
)

/** Where `--db` says the fleet's database is, or a usage error. */
const location = (text: string) =>
  Effect.flatMap(loadFleet, ({ Database }) =>
    Database.parse(text).pipe(Effect.mapError((e) => new ExitCode.UsageError({ message: `--db: ${e.message}` })))
  )

/** The database named by `--db`, migrated, or a usage error. */
const database = (text: string) =>
  Effect.gen(function* () {
    const { Database } = yield* loadFleet
    return Database.layer(yield* location(text)).pipe(Layer.orDie)
  })

/** Where the secret of the account being added comes from, as stored: never the secret itself. */
export const secretOf = (
  choice: Credentials.Choice
): Result.Result<{ readonly login: Account.Login; readonly secret: Account.SecretRef }, string> => {
  const s = choice.source
  switch (s._tag) {
    case "PasswordFile":
      return Result.succeed({ login: "password", secret: { _tag: "File", path: path.resolve(s.file) } })
    case "PasswordEnv":
      return Result.succeed({ login: "password", secret: { _tag: "Env", name: "IMAP_PASSWORD" } })
    case "TokenEnv":
      return Result.succeed({ login: "token", secret: { _tag: "Env", name: "IMAP_ACCESS_TOKEN" } })
    case "TokenFile":
      return Result.succeed({ login: "token", secret: { _tag: "File", path: path.resolve(s.file) } })
    case "TokenCommand":
      return Result.succeed({ login: "token", secret: { _tag: "Command", command: s.command } })
    case "PasswordPrompt":
      return Result.fail(
        "a fleet never stores a password: give --password-file FILE or IMAP_PASSWORD (read by each runner), or a token source"
      )
  }
}

const add = Command.make(
  "add",
  {
    name: Argument.String("name").pipe(Argument.withDescription("The account's name in the fleet")),
    mailboxes: Argument.String("mailbox").pipe(
      Argument.withDescription("Mailboxes to watch, besides any --mailbox (default: IMAP_MAILBOX, else INBOX)"),
      Argument.variadic()
    ),
    db
  },
  ({ name, mailboxes, db }) =>
    Effect.gen(function* () {
      const given: ConnectionFlags.Given = yield* root
      // Every --mailbox (and MAILBOX argument) is watched; `required` would insist on one.
      const flags = yield* ConnectionFlags.required({ ...given, mailbox: [] })
      const chosen = Credentials.choose({
        passwordFile: flags.passwordFile,
        passwordEnv: process.env.IMAP_PASSWORD !== undefined,
        tokenEnv: process.env.IMAP_ACCESS_TOKEN !== undefined,
        tokenFile: flags.accessTokenFile,
        tokenCommand: flags.accessTokenCommand,
        mechanism: flags.authMechanism,
        terminal: false
      })
      if (Result.isFailure(chosen)) return yield* new ExitCode.UsageError({ message: chosen.failure })
      const secret = secretOf(chosen.success)
      if (Result.isFailure(secret)) return yield* new ExitCode.UsageError({ message: secret.failure })
      const mechanism = chosen.success.mechanism
      const settings: Account.Settings = {
        host: flags.host,
        ...(Option.isSome(flags.port) ? { port: flags.port.value } : {}),
        ...(Option.isSome(flags.tls) ? { tls: flags.tls.value } : {}),
        ...(Option.isSome(flags.caFile) ? { caFile: path.resolve(flags.caFile.value) } : {}),
        user: flags.user,
        ...secret.success,
        ...(mechanism === undefined ? {} : { mechanism })
      }
      const named =
        given.mailbox.length > 0 || mailboxes.length > 0 ? given.mailbox : yield* ConnectionFlags.mailboxes(given)
      const watched = [...new Set([...named, ...mailboxes])]
      for (const mailbox of watched) {
        const problem = Arguments.mailboxProblem(mailbox)
        if (problem !== undefined) return yield* new ExitCode.UsageError({ message: `mailbox: ${problem}` })
      }
      const { Registry } = yield* loadFleet
      yield* Registry.add(name, settings, watched).pipe(Effect.provide(yield* database(db)))
      yield* Output.stderr(`added ${name}: watching ${watched.join(", ")}`)
    }).pipe(Report.report(false))
).pipe(
  Command.withDescription(
    "Add an account to the fleet (the connection flags as for the other commands) and watch its mailboxes"
  )
)

const remove = Command.make(
  "remove",
  {
    name: Argument.String("name").pipe(Argument.withDescription("The account's name in the fleet")),
    mailbox: Argument.String("mailbox").pipe(
      Argument.withDescription("Only this mailbox (default: every mailbox, and the account)"),
      Argument.optional
    ),
    db
  },
  ({ name, mailbox, db }) =>
    Effect.gen(function* () {
      const { Registry } = yield* loadFleet
      const removed = yield* Registry.remove(name, Option.getOrUndefined(mailbox)).pipe(
        Effect.provide(yield* database(db))
      )
      if (!removed) {
        return yield* new ExitCode.UsageError({
          message: `${name}${Option.isSome(mailbox) ? ` ${mailbox.value}` : ""} is not watched by this fleet`
        })
      }
      yield* Output.stderr(`removed ${name}${Option.isSome(mailbox) ? ` ${mailbox.value}` : ""}`)
    }).pipe(Report.report(false))
).pipe(Command.withDescription("Stop watching an account's mailbox, or all of them"))

const status = Command.make("status", { db }, ({ db }) =>
  Effect.gen(function* () {
    // --json is the shared flag every command prints JSON with.
    const { json } = yield* root
    const { Status } = yield* loadFleet
    const s = yield* Status.read.pipe(Effect.provide(yield* database(db)))
    if (json) return yield* Output.stdout(JSON.stringify(s))
    for (const r of s.runners) {
      yield* Output.stdout(`runner\t${r.address}\t${r.healthy ? "healthy" : "unhealthy"}\t${r.lastHeartbeat}`)
    }
    for (const m of s.mailboxes) {
      const at = m.checkpoint === undefined ? "-" : `${m.checkpoint.uidValidity}/${m.checkpoint.lastUid}`
      const state = m.removed ? "removing" : m.state
      yield* Output.stdout(
        `mailbox\t${m.account}\t${m.mailbox}\t${m.runner ?? "-"}\t${state}\t${at}\t${m.detail ?? "-"}`
      )
    }
  }).pipe(Report.report(false))
).pipe(
  Command.withDescription(
    "The fleet's runners, and each mailbox's owner, state and checkpoint (uidvalidity/last uid); --json: one object"
  )
)

/** `imap fleet ...`. */
export const fleet = Command.make("fleet").pipe(
  Command.withSubcommands([add, remove, status]),
  Command.withDescription("Manage the mailboxes a fleet of `imap serve` runners watches")
)

const listenAddress = (text: string): Option.Option<{ host: string; port: number }> => {
  const m = /^(.+):(\d+)$/.exec(text)
  const port = Number(m?.[2])
  return m === null || !(port > 0 && port < 65536) ? Option.none() : Option.some({ host: m[1]!, port })
}

/** `imap serve`. */
export const serve = Command.make(
  "serve",
  {
    db,
    listen: Flag.String("listen").pipe(
      Flag.withMetavar("HOST:PORT"),
      Flag.filterMap(listenAddress, (t) => `Expected HOST:PORT, got ${t}`),
      Flag.withDescription("Where this runner listens for the others, as they reach it (default 127.0.0.1:34431)"),
      Flag.withDefault({ host: "127.0.0.1", port: 34431 })
    )
  },
  ({ db, listen }) =>
    Effect.gen(function* () {
      ExitCode.treatInterruptAsSuccess()
      const { Fleet, Sink } = yield* loadFleet
      const where = yield* location(db)
      // Written at once, not batched with other output: the line must be out before the outbox entry
      // is marked handled, or a crash in between would lose it (stdout to a pipe or file is
      // synchronous on Linux).
      const sink = Layer.succeed(Sink.Sink, {
        deliver: (entry) =>
          Effect.sync(() => {
            const message = JSON.parse(entry.message) as object
            process.stdout.write(`${JSON.stringify({ ...message, account: entry.account, mailbox: entry.mailbox })}\n`)
          })
      })
      yield* Output.stderr(`serving as ${listen.host}:${listen.port}`)
      return yield* Layer.launch(Fleet.layer(where, listen).pipe(Layer.provide(sink)))
    }).pipe(Report.report(false))
).pipe(
  Command.withDescription(
    "Run one runner of the fleet: each new message of the mailboxes it owns as one JSON line; SIGINT/SIGTERM hands them over (exit 0)"
  )
)
