/**
 * Watching a mailbox for new mail with IDLE: every message that arrives is printed once, with its
 * UID and subject, as soon as the server announces it. Dropped connections are retried with
 * backoff and the watcher carries on from the last UID it delivered. Ctrl-C ends IDLE (DONE) and
 * logs out.
 *
 *   IMAP_HOST=... IMAP_USER=... IMAP_PASSWORD=... node examples/watch.ts
 *
 * Optional: IMAP_MAILBOX (default INBOX); IMAP_CHECKPOINT=file.json to remember the last UID across
 * runs (a restart then prints what arrived while it was stopped, and nothing twice);
 * IMAP_SINCE_UID=n to also print the messages already there with a UID above n.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Checkpoint, ImapConfig, Watcher } from "@pkg/client"
import { Config, Console, Effect, Option, Stream } from "effect"

const settings = Config.all({
  client: ImapConfig.fromConfig,
  mailbox: Config.String("IMAP_MAILBOX").pipe(Config.withDefault("INBOX")),
  checkpoint: Config.option(Config.String("IMAP_CHECKPOINT")),
  sinceUid: Config.option(Config.Int("IMAP_SINCE_UID"))
})

const program = Effect.gen(function* () {
  const { client, mailbox, checkpoint, sinceUid } = yield* settings
  yield* Console.error(`watching ${mailbox} on ${client.host} (Ctrl-C to stop)`)
  yield* Watcher.watch({ client, mailbox, sinceUid: Option.getOrUndefined(sinceUid) }).pipe(
    Stream.runForEach((m) => Console.log(`${m.uid} ${m.subject ?? "(no subject)"}`)),
    Effect.provide(Option.isSome(checkpoint) ? Checkpoint.layerFile(checkpoint.value) : Checkpoint.layerMemory)
  )
})

NodeRuntime.runMain(program)
