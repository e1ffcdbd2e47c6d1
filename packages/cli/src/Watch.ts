/**
 * `imap watch`: prints each new message as it arrives (IDLE), exactly once across reconnects and,
 * with `--checkpoint FILE`, across restarts. Status (ready, reconnecting, UIDVALIDITY changes) goes
 * to stderr. It runs until SIGINT/SIGTERM, which closes the stream: DONE ends IDLE, LOGOUT ends the
 * session, the checkpoint is saved, and the process exits 0.
 *
 * If the very first connection fails it gives up (a typo in --host should not retry forever), unless
 * the server is throttling; once it has been watching, it reconnects with backoff for as long as it
 * runs, asking a token source (--access-token-command/-file) for a fresh token on every reconnect.
 */
import { Checkpoint, type ImapError, Watcher } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Option, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import * as Arguments from "./Arguments.ts"
import * as ConnectionFlags from "./ConnectionFlags.ts"
import * as ExitCode from "./ExitCode.ts"
import * as Output from "./Output.ts"
import * as Report from "./Report.ts"
import { withFlags } from "./Root.ts"

const store = (file: Option.Option<string>) =>
  Option.isNone(file)
    ? Checkpoint.makeMemory
    : Checkpoint.makeFile(file.value).pipe(
        Effect.mapError(
          (e) => new ExitCode.UsageError({ message: `cannot use checkpoint file ${file.value}: ${e.message}` })
        )
      )

const policyText: Record<Watcher.UidValidityPolicy, string> = {
  replay: "delivering the mailbox again from the start",
  skipExisting: "skipping the messages already there",
  fail: "stopping"
}

export const watch = Command.make(
  "watch",
  {
    checkpoint: Flag.String("checkpoint").pipe(
      Flag.withMetavar("FILE"),
      Flag.withDescription("Remember the last UID printed in FILE, so a restart misses and repeats nothing"),
      Flag.optional
    ),
    sinceUid: Flag.Int("since-uid").pipe(
      Flag.filterMap(
        (n) => (Arguments.isSinceUid(n) ? Option.some(n) : Option.none()),
        (n) => `Expected a UID from 0 to ${SequenceSet.MAX - 1}, got ${n}`
      ),
      Flag.withDescription("Without a checkpoint: also print the messages with a UID above N (default: only new mail)"),
      Flag.optional
    )
  },
  withFlags(({ flags, format }, { checkpoint, sinceUid }) =>
    Effect.gen(function* () {
      ExitCode.treatInterruptAsSuccess()
      const client = yield* ConnectionFlags.clientOptions(flags)
      const checkpoints = yield* store(checkpoint)
      let watching = false
      const onEvent = (e: Watcher.WatchEvent): Effect.Effect<void, ImapError.ImapError> => {
        switch (e._tag) {
          case "NewMessage":
            return Output.message(format, e)
          case "Watching":
            watching = true
            return Output.stderr(`watching ${e.mailbox} (uidvalidity ${e.uidValidity}, last uid ${e.lastUid})`)
          case "Disconnected":
            // A throttling server exists and takes the login later: wait for it, even the first time.
            if (e.error.reason._tag === "Throttled") {
              return Output.stderr(`imap: ${Report.describeImapError(e.error)}; trying again (attempt ${e.attempt})`)
            }
            if (!watching) return Effect.fail(e.error)
            return Output.stderr(
              `imap: connection lost (${Report.describeImapError(e.error)}); reconnecting (attempt ${e.attempt})`
            )
          case "UidValidityChanged":
            return Output.stderr(
              `imap: UIDVALIDITY of ${e.mailbox} changed from ${e.previous} to ${e.current}: ${policyText[e.policy]}`
            )
          // Only new mail is printed; flag changes and expunges are not what watch is for.
          case "FlagsChanged":
          case "Expunged":
            return Effect.void
        }
      }
      yield* Watcher.watchEvents({
        client,
        mailbox: flags.mailbox,
        sinceUid: Option.getOrUndefined(sinceUid)
      }).pipe(Stream.runForEach(onEvent), Effect.provideService(Checkpoint.CheckpointStore, checkpoints))
    })
  )
).pipe(
  Command.withDescription(
    "Print new messages as they arrive (IDLE), in the same format as subjects; stop with Ctrl-C (exit 0)"
  )
)
