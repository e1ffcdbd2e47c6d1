/**
 * Testing an application that uses the client, with nothing installed: `@pkg/testing`'s server runs
 * in the test process and speaks IMAP over a loopback socket. `Inbox` is the app's own service (a
 * triage inbox: unread subjects, mark as read, archive), built on `ImapClient.ImapClient`; the app
 * never opens a connection itself. The test composes layers: `TestServer.layer` with the seeded
 * account, `ImapClient.layer` logged in to it, `Inbox.layer` on top; the server's handle
 * (`TestServer.TestServer`) delivers mail while the app runs and tells what the client sent.
 *
 *   pnpm exec vitest run examples/app.test.ts
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, type ImapError } from "@pkg/client"
import { Command, EncodedWord, SearchKey, SequenceSet } from "@pkg/protocol"
import { TestServer } from "@pkg/testing"
import { Context, Effect, Layer, Stream } from "effect"

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
          // News first: servers (Dovecot and the test server alike) announce mail that arrived
          // since the last command at that command's end, so a SEARCH alone misses it.
          yield* client.noop()
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
// The test wiring: a server in the process, an account seeded per test, real sessions

const message = (subject: string) =>
  `From: Alice <alice@example.com>\r\nTo: app@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

/**
 * The app on a session of user `app`, whose INBOX holds `subjects`, on a server of its own; the
 * server's handle (`TestServer.TestServer`) stays in the context for the test.
 */
const appWith = (subjects: ReadonlyArray<string>) => {
  const server = TestServer.layer({
    accounts: [{ user: "app", password: "secret", mailboxes: { INBOX: { messages: subjects.map(message) } } }]
  })
  const client = Layer.unwrap(Effect.map(TestServer.config("app"), ImapClient.layer))
  return Inbox.layer.pipe(Layer.provideMerge(client), Layer.provideMerge(server))
}

describe("an app built on ImapClient, against the in-process test server", () => {
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

  it.live("mail delivered while the app runs is in its next unread list", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const server = yield* TestServer.TestServer
      assert.deepStrictEqual(
        (yield* inbox.unread).map((m) => m.subject),
        ["old"]
      )
      yield* server.deliver("app", "INBOX", message("new"))
      assert.deepStrictEqual(
        (yield* inbox.unread).map((m) => m.subject),
        ["old", "new"]
      )
    }).pipe(Effect.provide(appWith(["old"])))
  )

  it.live("archiving twice creates Archive once (what the client sent, read from the server)", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const server = yield* TestServer.TestServer
      for (const m of yield* inbox.unread) yield* inbox.archive(m.uid)
      const sent = (yield* server.received).map((r) => r.command._tag)
      assert.strictEqual(sent.filter((tag) => tag === "Create").length, 1)
      assert.strictEqual(yield* inbox.archivedCount, 2)
    }).pipe(Effect.provide(appWith(["a", "b"])))
  )
})
