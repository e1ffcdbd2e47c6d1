/**
 * The subjects example written with `Effect.gen`: reads top to bottom like the blocking program it
 * replaces (the seed's "inline callbacks" version). Compare with subjects-pipe.ts, the same program
 * as a pipeline; both print the same lines.
 *
 *   IMAP_HOST=... IMAP_USER=... IMAP_PASSWORD=... node examples/subjects-gen.ts
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Command, EncodedWord, SequenceSet } from "@pkg/protocol"
import { Config, Console, Effect, Stream } from "effect"

const subjects = Effect.gen(function* () {
  const options = yield* ImapConfig.fromConfig
  const mailbox = yield* Config.String("IMAP_MAILBOX").pipe(Config.withDefault("INBOX"))
  const client = yield* ImapClient.make(options) // connected and logged in; LOGOUT when the scope closes
  const box = yield* client.examine(mailbox)
  if (box.exists === 0) return []
  const messages = yield* Stream.runCollect(
    client.fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.envelope])
  )
  return messages.map(
    (m) => `${m.attributes.uid} ${EncodedWord.decode(m.attributes.envelope?.subject) ?? "(no subject)"}`
  )
})

const program = Effect.gen(function* () {
  const lines = yield* Effect.scoped(subjects)
  for (const line of lines) yield* Console.log(line)
})

NodeRuntime.runMain(program)
