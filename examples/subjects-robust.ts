/**
 * The subjects example made robust (the seed's "robust" variant), showing the client's typed errors:
 *
 * - deadlines: per phase (connect, greeting, each command's silence) in the client options, and one
 *   for the whole job with `Effect.timeout`;
 * - retries: `Effect.retry` with a jittered exponential `Schedule`, only while the error says a
 *   retry can help (`isRetryable`: a refused connection yes, a wrong password no);
 * - handling: `Effect.catchReasons` picks the `ImapError` reasons worth a specific message.
 *
 *   IMAP_HOST=... IMAP_USER=... IMAP_PASSWORD=... node examples/subjects-robust.ts
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Command, EncodedWord, SequenceSet } from "@pkg/protocol"
import { Config, Console, Effect, Schedule, Stream } from "effect"

const listSubjects = (options: ImapConfig.ImapClientOptions, mailbox: string) =>
  Effect.gen(function* () {
    const client = yield* ImapClient.make(options)
    const box = yield* client.examine(mailbox)
    if (box.exists === 0) return []
    const messages = yield* Stream.runCollect(
      client.fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.envelope])
    )
    return messages.map(
      (m) => `${m.attributes.uid} ${EncodedWord.decode(m.attributes.envelope?.subject) ?? "(no subject)"}`
    )
  }).pipe(Effect.scoped)

const retryPolicy = Schedule.exponential("100 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 3 }))

/** Prints why, and makes the process exit 1 (runMain exits 0 after a handled error). */
const giveUp = (why: string) =>
  Console.error(`subjects-robust: ${why}`).pipe(
    Effect.andThen(
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  )

const program = Effect.gen(function* () {
  const configured = yield* ImapConfig.fromConfig
  const mailbox = yield* Config.String("IMAP_MAILBOX").pipe(Config.withDefault("INBOX"))
  const options: ImapConfig.ImapClientOptions = {
    ...configured,
    timeouts: { connect: "5 seconds", greeting: "5 seconds", command: "20 seconds", logout: "2 seconds" }
  }
  const lines = yield* listSubjects(options, mailbox).pipe(
    Effect.tapError((e) =>
      e.isRetryable ? Console.error(`subjects-robust: attempt failed: ${e.message}`) : Effect.void
    ),
    Effect.retry({ schedule: retryPolicy, while: (e) => e.isRetryable }),
    Effect.timeout("2 minutes")
  )
  for (const line of lines) yield* Console.log(line)
}).pipe(
  Effect.catchReasons(
    "ImapError",
    {
      AuthenticationFailed: () => giveUp("the server refused the user name or password"),
      ConnectionFailed: (r) => giveUp(`cannot reach ${r.host}:${r.port} (${r.message}), even after retrying`),
      TlsFailed: (r) => giveUp(`TLS failed: ${r.message}`),
      CommandFailed: (r) => giveUp(`the server refused ${r.command}: ${r.text}`)
    },
    (reason) => giveUp(`${reason._tag}: ${reason.message}`)
  ),
  Effect.catchTag("TimeoutError", () => giveUp("gave up after 2 minutes")),
  Effect.catchTag("ConfigError", (e) => giveUp(`configuration: ${e.message}`))
)

NodeRuntime.runMain(program)
