/**
 * The thin slice end to end against a real Dovecot and against @pkg/testing's in-process server:
 * connect, authenticate, select, fetch subjects, and the everyday operations of an `ImapClient`
 * session.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { EncodedWord, SearchKey, SequenceSet } from "@pkg/protocol"
import { ConfigProvider, Effect, Fiber, Layer, Logger, Redacted, References, Stream } from "effect"
import { backend, backendNames } from "./support/Backend.ts"

// The same tests on Dovecot and on @pkg/testing's in-process server (test/support/Backend.ts).
describe.each(backendNames)("on %s", (name) => {
  const server = backend(name)

  const message = (subject: string, body = "hello") =>
    `From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${Math.random()}@example.com>\r\n\r\n${body}\r\n`

  const optionsFor = (user: string, extra?: Partial<ImapConfig.ImapClientOptions>): ImapConfig.ImapClientOptions => ({
    host: server.host,
    port: server.port,
    tls: "none",
    auth: ImapConfig.password(user, server.password),
    ...extra
  })

  describe("ImapClient", () => {
    it.live("logs in, selects INBOX and fetches the decoded subjects of delivered mail", () =>
      Effect.gen(function* () {
        const user = server.freshUser("slice")
        yield* Effect.promise(() => server.deliver(user, "INBOX", message("=?UTF-8?Q?caf=C3=A9?= first")))
        yield* Effect.promise(() => server.deliver(user, "INBOX", message("second")))
        const client = yield* ImapClient.make(optionsFor(user))
        const box = yield* client.select("INBOX")
        assert.strictEqual(box.exists, 2)
        assert.isDefined(box.uidValidity)
        assert.strictEqual(box.uidNext, 3)
        const messages = yield* client
          .fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Envelope" }, { _tag: "Flags" }])
          .pipe(Stream.runCollect)
        assert.deepStrictEqual(
          messages.map((m) => [Number(m.attributes.uid), EncodedWord.decode(m.attributes.envelope?.subject)]),
          [
            [1, "café first"],
            [2, "second"]
          ]
        )
      })
    )

    it.live("fails with a typed, non-retryable authentication error on a wrong password", () =>
      Effect.gen(function* () {
        const error = yield* ImapClient.make(
          optionsFor(server.freshUser("badpw"), { auth: ImapConfig.password("someone", "wrong-password") })
        ).pipe(Effect.flip)
        assert.strictEqual(error.reason._tag, "AuthenticationFailed")
        assert.isFalse(error.isRetryable)
        assert.notInclude(error.message, "wrong-password")
      })
    )

    it.live("writes the protocol trace, greeting included, at debug level with the credentials redacted", () =>
      Effect.gen(function* () {
        const user = server.freshUser("tracelog")
        const lines: Array<string> = []
        const capture = Logger.make((o) => {
          lines.push(String(Array.isArray(o.message) ? o.message.join(" ") : o.message))
        })
        yield* Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(user))
          yield* client.noop()
        }).pipe(
          Effect.scoped,
          Effect.provide(Logger.layer([capture])),
          Effect.provideService(References.MinimumLogLevel, "Debug")
        )
        assert.isTrue(lines.some((l) => l.startsWith("S: * OK [CAPABILITY IMAP4rev1")))
        assert.isTrue(lines.some((l) => l.includes("C: A1 AUTHENTICATE PLAIN <redacted>")))
        assert.isTrue(lines.some((l) => /^S: A\d+ OK NOOP completed/.test(l)))
        const secret = Buffer.from(`\u0000${user}\u0000${server.password}`).toString("base64")
        assert.isFalse(lines.some((l) => l.includes(server.password) || l.includes(secret)))
      })
    )

    it.live("authenticates with AUTHENTICATE PLAIN when asked to", () =>
      Effect.gen(function* () {
        const user = server.freshUser("plain")
        const client = yield* ImapClient.make(
          optionsFor(user, {
            auth: { _tag: "Password", user, password: Redacted.make(server.password), mechanism: "PLAIN" }
          })
        )
        const state = yield* client.currentState
        assert.strictEqual(state._tag, "Authenticated")
      })
    )

    it.live("appends with UIDPLUS, searches, stores flags, copies, moves and expunges by UID", () =>
      Effect.gen(function* () {
        const user = server.freshUser("ops")
        const client = yield* ImapClient.make(optionsFor(user))
        yield* client.create("Archive")
        const first = yield* client.append("INBOX", message("alpha"), { flags: ["\\Seen"] })
        const second = yield* client.append("INBOX", message("beta"))
        assert.strictEqual(Number(first.uid), 1)
        assert.strictEqual(Number(second.uid), 2)
        yield* client.select("INBOX")
        const unseen = yield* client.search(SearchKey.unseen)
        assert.deepStrictEqual(unseen.map(Number), [2])
        const bySubject = yield* client.search(SearchKey.subject("alpha"))
        assert.deepStrictEqual(bySubject.map(Number), [1])
        yield* client.store(SequenceSet.single("uid", SequenceSet.Uid(2)), "add", ["\\Flagged"])
        const flagged = yield* client.search(SearchKey.flagged)
        assert.deepStrictEqual(flagged.map(Number), [2])
        const copied = yield* client.copy(SequenceSet.single("uid", SequenceSet.Uid(1)), "Archive")
        assert.deepStrictEqual(copied.destUids.map(Number), [1])
        const moved = yield* client.move(SequenceSet.single("uid", SequenceSet.Uid(2)), "Archive")
        assert.deepStrictEqual(moved.destUids.map(Number), [2])
        const inbox = yield* client.status("INBOX")
        assert.strictEqual(inbox.messages, 1)
        const archive = yield* client.status("Archive")
        assert.strictEqual(archive.messages, 2)
        yield* client.expunge(SequenceSet.single("uid", SequenceSet.Uid(1)))
        assert.strictEqual((yield* client.status("INBOX")).messages, 1)
      })
    )

    it.live("lists mailboxes with special use and status, renames and deletes them", () =>
      Effect.gen(function* () {
        const user = server.freshUser("list")
        const client = yield* ImapClient.make(optionsFor(user))
        yield* client.create("Projects")
        yield* client.rename("Projects", "Done")
        yield* client.subscribe("Done")
        const boxes = yield* client.list("*", { status: ["MESSAGES", "UIDNEXT"] })
        const names = boxes.map((b) => b.name).sort()
        assert.deepStrictEqual(names, ["Done", "INBOX"])
        assert.strictEqual(boxes.find((b) => b.name === "INBOX")?.status?.messages, 0)
        yield* client.delete("Done")
        assert.deepStrictEqual(
          (yield* client.list()).map((b) => b.name),
          ["INBOX"]
        )
        const ns = yield* client.namespace()
        assert.isAbove(ns.personal.length, 0)
      })
    )

    it.live("layerConfig reads IMAP_* settings, a private CA file included, and fetches by sequence number", () =>
      Effect.gen(function* () {
        const user = server.freshUser("config")
        yield* Effect.promise(() =>
          server.importMany(user, "INBOX", [message("one"), message("two"), message("three")])
        )
        const env = ConfigProvider.layer(
          ConfigProvider.fromUnknown({
            IMAP_HOST: "localhost",
            IMAP_PORT: String(server.tlsPort),
            IMAP_TLS: "implicit",
            IMAP_USER: user,
            IMAP_PASSWORD: server.password,
            IMAP_CA_FILE: server.caPath
          })
        )
        const lastTwo = yield* Effect.gen(function* () {
          const client = yield* ImapClient.ImapClient
          const box = yield* client.examine("INBOX")
          return yield* client
            .fetch(SequenceSet.range("seq", box.exists - 1, "*"), [{ _tag: "Envelope" }])
            .pipe(Stream.runCollect)
        }).pipe(Effect.provide(ImapClient.layerConfig.pipe(Layer.provide(env))))
        assert.deepStrictEqual(
          lastTwo.map((m) => [m.seq, m.attributes.envelope?.subject]),
          [
            [2, "two"],
            [3, "three"]
          ]
        )
      })
    )

    it.live("idle() streams EXISTS for mail another connection appends, and other commands still run", () =>
      Effect.gen(function* () {
        const user = server.freshUser("idle")
        const client = yield* ImapClient.make(optionsFor(user))
        const writer = yield* ImapClient.make(optionsFor(user))
        yield* client.select("INBOX")
        const events = client.idle().pipe(
          Stream.filter((e) => e._tag === "Exists"),
          Stream.take(1),
          Stream.runCollect
        )
        const fiber = yield* Effect.forkChild(events)
        yield* Effect.sleep("200 millis")
        // A command while idling: DONE, NOOP, IDLE again, no deadlock.
        yield* client.noop()
        yield* writer.append("INBOX", message("while idling"))
        const [exists] = yield* Fiber.join(fiber)
        assert.deepStrictEqual(exists, { _tag: "Exists", count: 1 })
      })
    )

    it.live("rejects a command sent in the wrong state before writing anything", () =>
      Effect.gen(function* () {
        const client = yield* ImapClient.make(optionsFor(server.freshUser("state")))
        const error = yield* client.search(SearchKey.all).pipe(Effect.flip)
        assert.strictEqual(error.reason._tag, "InvalidState")
        // The session is still usable afterwards.
        yield* client.noop()
      })
    )

    it.live("streams a large message body in partial-fetch chunks, byte for byte", () =>
      Effect.gen(function* () {
        const user = server.freshUser("body")
        const line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n"
        const big = message("big one", line.repeat(4000))
        const client = yield* ImapClient.make(optionsFor(user))
        const appended = yield* client.append("INBOX", big)
        yield* client.examine("INBOX")
        const chunks = yield* client
          .fetchBody(appended.uid ?? SequenceSet.Uid(1), undefined, { chunkSize: 64 * 1024 })
          .pipe(Stream.runCollect)
        assert.isAbove(chunks.length, 4)
        assert.strictEqual(Buffer.concat(chunks).toString("utf8"), big)
        const missing = yield* client.fetchBody(SequenceSet.Uid(999)).pipe(Stream.runCollect, Effect.flip)
        assert.strictEqual(missing.reason._tag, "CommandFailed")
      })
    )

    it.live("a consumer that stops a fetch stream early leaves the session usable", () =>
      Effect.gen(function* () {
        const user = server.freshUser("early")
        yield* Effect.promise(() =>
          server.importMany(
            user,
            "INBOX",
            Array.from({ length: 300 }, (_, i) => message(`bulk ${i}`))
          )
        )
        const client = yield* ImapClient.make(optionsFor(user))
        yield* client.select("INBOX")
        const firstFive = yield* client
          .fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Envelope" }], { highWater: 8 })
          .pipe(Stream.take(5), Stream.runCollect)
        assert.strictEqual(firstFive.length, 5)
        const status = yield* client.status("INBOX")
        assert.strictEqual(status.messages, 300)
      })
    )
  })
})
