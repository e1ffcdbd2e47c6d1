/**
 * The first example: print the UID and subject of every message in a mailbox.
 *
 *   IMAP_HOST=imap.example.com IMAP_USER=me IMAP_PASSWORD=... node examples/subjects.ts
 *
 * Reads IMAP_HOST, IMAP_PORT, IMAP_TLS (implicit|starttls|none), IMAP_USER, IMAP_PASSWORD and
 * IMAP_MAILBOX (default INBOX). `ImapClient.layerConfig` connects and logs in; closing the layer
 * at the end of the program logs out.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ImapClient } from "@pkg/client"
import { Command, EncodedWord, SequenceSet } from "@pkg/protocol"
import { Config, Console, Effect, Stream } from "effect"

const program = Effect.gen(function* () {
  const mailbox = yield* Config.String("IMAP_MAILBOX").pipe(Config.withDefault("INBOX"))
  const client = yield* ImapClient.ImapClient
  const box = yield* client.examine(mailbox) // read-only: nothing gets marked \Seen
  if (box.exists === 0) return yield* Console.log(`${mailbox} is empty`)
  yield* client.fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.envelope]).pipe(
    Stream.runForEach((message) => {
      const subject = EncodedWord.decode(message.attributes.envelope?.subject) ?? "(no subject)"
      return Console.log(`${message.attributes.uid} ${subject}`)
    })
  )
})

program.pipe(Effect.provide(ImapClient.layerConfig), NodeRuntime.runMain)
