/**
 * `imap subjects`: one line per message (UID, date, sender, decoded subject) of a mailbox opened
 * read-only with EXAMINE, so listing never marks anything \Seen. Streams the FETCH, so a 50,000
 * message mailbox prints as it arrives in constant memory.
 */
import { MessageSummary } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Option, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import * as Output from "./Output.ts"
import { withSession } from "./Root.ts"

export const subjects = Command.make(
  "subjects",
  {
    limit: Flag.Int("limit").pipe(
      Flag.withAlias("n"),
      Flag.filterMap(
        (n) => (n > 0 ? Option.some(n) : Option.none()),
        (n) => `Expected a positive number, got ${n}`
      ),
      Flag.withDescription("Only the last N messages (by UID)"),
      Flag.optional
    )
  },
  withSession(({ client, flags, format }, { limit }) =>
    Effect.gen(function* () {
      const box = yield* client.examine(flags.mailbox)
      if (box.exists === 0) return
      const uidValidity = box.uidValidity ?? 0
      const last = Option.isSome(limit) && limit.value < box.exists ? limit.value : box.exists
      // The last N by sequence number are the last N by UID: one FETCH, no SEARCH round trip.
      const set = last === box.exists ? SequenceSet.all("seq") : SequenceSet.range("seq", box.exists - last + 1, "*")
      const total = last
      const progress = Output.progress("fetching", total)
      yield* client.fetch(set, MessageSummary.items).pipe(
        Stream.runForEachArray((batch) => {
          progress.tick(batch.length)
          return Output.messages(
            format,
            batch.map((f) => MessageSummary.fromFetch(flags.mailbox, uidValidity, f))
          )
        }),
        Effect.ensuring(Effect.sync(progress.done))
      )
    })
  )
).pipe(
  Command.withDescription(
    "One line per message: UID, date, sender, subject (read-only: nothing is marked seen). --json: one object per line with uid, uidValidity, seq, subject, from, date, flags, size"
  )
)
