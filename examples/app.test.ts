/**
 * Testing an application that uses the client. `Inbox` is the app's own service (a triage inbox:
 * unread subjects, mark as read, archive), built on `ImapClient.ImapClient`; the app never opens a
 * connection itself. The test composes layers: seed a fresh Dovecot user, then `ImapClient.layer`
 * logged in as that user, then `Inbox.layer` on top, and runs the app's operations for real.
 *
 *   pnpm exec vitest run examples/app.test.ts
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig, type ImapError } from "@pkg/client"
import { Command, EncodedWord, SearchKey, SequenceSet } from "@pkg/protocol"
import { Context, Effect, Layer, Stream } from "effect"
import { dovecot, freshUser } from "../test/support/TestServer.ts"

// ---------------------------------------------------------------------------------------------
// The application code

interface Unread {
  readonly uid: SequenceSet.Uid
  readonly subject: string
}

class Inbox extends Context.Service<
  Inbox,
  {
    readonly unread: Effect.Effect<ReadonlyArray<Unread>, ImapError.ImapError>
    readonly markRead: (uid: SequenceSet.Uid) => Effect.Effect<void, ImapError.ImapError>
    readonly archive: (uid: SequenceSet.Uid) => Effect.Effect<void, ImapError.ImapError>
    readonly archivedCount: Effect.Effect<number, ImapError.ImapError>
  }
>()("examples/Inbox") {
  static readonly archiveMailbox = "Archive"

  static readonly layer = Layer.effect(
    Inbox,
    Effect.gen(function* () {
      const client = yield* ImapClient.ImapClient
      yield* client.select("INBOX")
      const one = (uid: SequenceSet.Uid) => SequenceSet.single("uid", uid)
      return Inbox.of({
        unread: Effect.gen(function* () {
          const uids = yield* client.search(SearchKey.unseen)
          if (uids.length === 0) return []
          const messages = yield* Stream.runCollect(
            client.fetch(SequenceSet.fromNumbers("uid", [uids[0]!, ...uids.slice(1)]), [
              Command.Attr.uid,
              Command.Attr.envelope
            ])
          )
          return messages.map((m) => ({
            uid: m.attributes.uid ?? SequenceSet.Uid(0),
            subject: EncodedWord.decode(m.attributes.envelope?.subject) ?? ""
          }))
        }),
        markRead: (uid) => Effect.asVoid(client.store(one(uid), "add", ["\\Seen"])),
        archive: (uid) =>
          Effect.gen(function* () {
            const boxes = yield* client.list(Inbox.archiveMailbox)
            if (boxes.length === 0) yield* client.create(Inbox.archiveMailbox)
            yield* client.move(one(uid), Inbox.archiveMailbox)
          }),
        archivedCount: Effect.map(client.status(Inbox.archiveMailbox, ["MESSAGES"]), (s) => s.messages ?? 0)
      })
    })
  )
}

// ---------------------------------------------------------------------------------------------
// The test wiring: a real server, a fresh user per test, real sessions

const server = dovecot()

const message = (subject: string) =>
  `From: Alice <alice@example.com>\r\nTo: app@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

/** The app on a session of a new user whose INBOX holds `subjects`. */
const appWith = (subjects: ReadonlyArray<string>) => {
  const user = freshUser("app")
  const seeded = Layer.unwrap(
    Effect.promise(() => server.importMany(user, "INBOX", subjects.map(message))).pipe(
      Effect.as(
        ImapClient.layer({
          host: server.host,
          port: server.port,
          tls: "none",
          auth: ImapConfig.password(user, server.password)
        })
      )
    )
  )
  return Inbox.layer.pipe(Layer.provide(seeded))
}

describe("an app built on ImapClient, against Dovecot", () => {
  it.live("lists the unread subjects, decoded", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const unread = yield* inbox.unread
      assert.deepStrictEqual(
        unread.map((m) => m.subject),
        ["café au lait", "invoice"]
      )
    }).pipe(Effect.provide(appWith(["=?UTF-8?Q?caf=C3=A9?= au lait", "invoice"])))
  )

  it.live("a message marked read leaves the unread list", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const [first] = yield* inbox.unread
      yield* inbox.markRead(first!.uid)
      assert.deepStrictEqual(
        (yield* inbox.unread).map((m) => m.subject),
        ["two", "three"]
      )
    }).pipe(Effect.provide(appWith(["one", "two", "three"])))
  )

  it.live("archiving moves the message to Archive, creating it on first use", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const unread = yield* inbox.unread
      yield* inbox.archive(unread[1]!.uid)
      yield* inbox.archive(unread[0]!.uid)
      assert.deepStrictEqual(yield* inbox.unread, [])
      assert.strictEqual(yield* inbox.archivedCount, 2)
    }).pipe(Effect.provide(appWith(["keep me", "file me"])))
  )
})
