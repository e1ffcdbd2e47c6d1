/**
 * The `imap` root command (it owns the shared connection flags) and `withSession`, which every
 * subcommand's handler goes through: read the shared flags, open an authenticated session for the
 * handler's lifetime (LOGOUT when it ends), and report a failure as one line.
 */
import { ImapClient, type ImapSession } from "@pkg/client"
import { Effect, type Scope } from "effect"
import { Command } from "effect/cli"
import * as Arguments from "./Arguments.ts"
import * as ConnectionFlags from "./ConnectionFlags.ts"
import * as ExitCode from "./ExitCode.ts"
import * as Output from "./Output.ts"
import * as Report from "./Report.ts"

const exitCodeHelp = ExitCode.table.map(([code, meaning]) => ` ${String(code).padStart(3)}  ${meaning}`).join("\n")

export const root = Command.make("imap").pipe(
  Command.withSharedFlags(ConnectionFlags.flags),
  Command.withDescription(
    `A command-line IMAP client: list mailboxes, read subjects, fetch, append, search, and watch for new mail.\n\nExit codes:\n${exitCodeHelp}`
  )
)

export interface Context {
  readonly flags: ConnectionFlags.Flags
  readonly format: Output.Format
}

/** `--mailbox` is shared by every command: a name IMAP forbids is a usage error before anything runs. */
const checkMailbox = (mailbox: string): Effect.Effect<void, ExitCode.UsageError> => {
  const problem = Arguments.mailboxProblem(mailbox)
  return problem === undefined
    ? Effect.void
    : Effect.fail(new ExitCode.UsageError({ message: `--mailbox: ${problem}` }))
}

/** Runs `body` with the shared flags but no connection (for what needs neither). */
export const withFlags =
  <I, E, R>(body: (context: Context, input: I) => Effect.Effect<void, E, R>) =>
  (input: I) =>
    Effect.gen(function* () {
      const given: ConnectionFlags.Given = yield* root
      return yield* Effect.gen(function* () {
        const flags = yield* ConnectionFlags.required(given)
        const context = { flags, format: Output.formatOf(flags.json) }
        yield* checkMailbox(flags.mailbox)
        return yield* body(context, input)
      }).pipe(Effect.scoped, Report.report(given.trace))
    })

export interface SessionContext extends Context {
  readonly client: ImapSession
}

/** Runs `body` with an authenticated session that logs out when `body` ends (or is interrupted). */
export const withSession = <I, E, R>(
  body: (context: SessionContext, input: I) => Effect.Effect<void, E, R | Scope.Scope>
) => withCheckedSession((input: I) => Effect.succeed(input), body)

/**
 * `withSession` with a `check` of the input first, before any connection: a usage error (a bad
 * section, an empty message) is reported as such without waiting for, or depending on, a server.
 */
export const withCheckedSession = <I, P, E2, E, R>(
  check: (input: I) => Effect.Effect<P, E2>,
  body: (context: SessionContext, checked: P) => Effect.Effect<void, E, R | Scope.Scope>
) =>
  withFlags((context, input: I) =>
    Effect.gen(function* () {
      const checked = yield* check(input)
      const options = yield* ConnectionFlags.clientOptions(context.flags)
      const client = yield* ImapClient.make(options)
      return yield* body({ ...context, client }, checked)
    })
  )
