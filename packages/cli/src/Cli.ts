/**
 * The `imap` command tree and how it runs: effect/cli parses, our presenter keeps stdout for data
 * (usage errors become one `imap: ...` line on stderr), handlers report their own failures, and
 * every log line goes to stderr (`Output.logger`).
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Logger, Stdio } from "effect"
import { CliOutput, Command } from "effect/cli"
import { append } from "./Append.ts"
import { fetch } from "./Fetch.ts"
import { fleet, serve } from "./Fleet.ts"
import { capabilities, list } from "./Mailboxes.ts"
import { UsageError } from "./ExitCode.ts"
import * as Output from "./Output.ts"
import { root } from "./Root.ts"
import { search } from "./Search.ts"
import { subjects } from "./Subjects.ts"
import { watch } from "./Watch.ts"

/** The version `imap --version` prints. */
export const version = "0.1.0"

/** The `imap` command with its subcommands (capabilities, list, subjects, watch, fetch, append, search, fleet, serve). */
export const command = root.pipe(
  Command.withSubcommands([capabilities, list, subjects, watch, fetch, append, search, fleet, serve])
)

/**
 * effect/cli reports a bad environment fallback as `Invalid value for flag --port: "config".
 * Expected: SchemaError(Expected ... at ["IMAP_PORT"])`: said again in the user's terms.
 */
export const describeUsage = (message: string): string => {
  const bad = /^Invalid value for flag (--[\w-]+): "config"\. Expected: SchemaError\((.*) at \["(\w+)"\]\)$/.exec(
    message
  )
  if (bad === null) return message
  const [, flag, expected, variable] = bad
  return `${variable} is not a valid value for ${flag}: ${expected?.replace(/^Expected/, "expected")}`
}

/** Help and version on stdout as usual; usage errors on stderr only, one line each. */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function* () {
      const formatter = yield* CliOutput.Formatter
      switch (event._tag) {
        case "Help":
          // `imap` without a subcommand is a usage error (exit 2): its help goes to stderr.
          return yield* Output.verbatim(
            event.reason === "Requested" ? "stdout" : "stderr",
            formatter.formatHelpDoc(event.helpDoc)
          )
        case "Version":
          return yield* Output.verbatim("stdout", formatter.formatVersion(event.name, event.version))
        case "InvalidInvocation": {
          // One line, whatever effect/cli found: what is wrong, then where to look.
          const what = event.errors.map((e) => describeUsage(e.message.replace(/\s*\n+\s*/g, " "))).join("; ")
          return yield* Output.stderr(`imap: ${what} (see '${[...event.commandPath, "--help"].join(" ")}')`)
        }
      }
    })
}

const helpOnStderr: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function* () {
      if (event._tag === "Help") {
        yield* Output.verbatim("stderr", (yield* CliOutput.Formatter).formatHelpDoc(event.helpDoc))
      }
    })
}

/** `imap` alone: the help, on stderr since no command ran, and exit 2. */
const usage = Command.runWith(command, { version })(["--help"]).pipe(
  Effect.provideService(CliOutput.Presenter, helpOnStderr),
  Effect.andThen(Effect.fail(new UsageError({ message: "no command given" })))
)

/**
 * Runs `imap` on the process's arguments; without any, prints the usage and fails with a usage error.
 * Batched output is written at the end: waiting for stdout to take it after success, as the last
 * line did before batching, and without waiting after a failure or an interruption (a reader that
 * stopped reading must not keep `imap` from exiting).
 */
export const main = Stdio.Stdio.use(({ args }) =>
  Effect.flatMap(args, (argv) =>
    argv.length === 0
      ? usage
      : Command.runWith(command, { version })(argv).pipe(Effect.provideService(CliOutput.Presenter, presenter))
  )
).pipe(
  Effect.andThen(Output.flush),
  Effect.onError(() => Output.flushNow),
  Effect.provide([NodeServices.layer, Logger.layer([Output.logger])])
)
