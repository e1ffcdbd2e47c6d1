/**
 * The subjects example written as a pipeline: each step is a function of the previous one's result
 * (`flatMap`), with no generator. Compare with subjects-gen.ts, the same program with `Effect.gen`;
 * both print the same lines.
 *
 *   IMAP_HOST=... IMAP_USER=... IMAP_PASSWORD=... node examples/subjects-pipe.ts
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Command, EncodedWord, type FetchData, SequenceSet } from "@pkg/protocol"
import { Config, Console, Effect, Stream } from "effect"

const line = (m: FetchData) =>
  `${m.attributes.uid} ${EncodedWord.decode(m.attributes.envelope?.subject) ?? "(no subject)"}`

const subjects = Effect.all([
  ImapConfig.fromConfig,
  Config.String("IMAP_MAILBOX").pipe(Config.withDefault("INBOX"))
]).pipe(
  Effect.flatMap(([options, mailbox]) =>
    ImapClient.make(options).pipe(
      Effect.flatMap((client) =>
        client
          .examine(mailbox)
          .pipe(
            Effect.flatMap((box) =>
              box.exists === 0
                ? Effect.succeed([])
                : client
                    .fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.envelope])
                    .pipe(Stream.map(line), Stream.runCollect)
            )
          )
      )
    )
  ),
  Effect.scoped
)

const program = subjects.pipe(
  Effect.flatMap((lines) => Effect.forEach(lines, (l) => Console.log(l), { discard: true }))
)

NodeRuntime.runMain(program)
