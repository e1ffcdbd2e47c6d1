/**
 * The new-mail watcher against a real Dovecot and @pkg/testing's in-process server: every appended message is delivered once, with its
 * UID and subject, through kicks, cut/stalled/black-holed connections (a fault-injecting proxy),
 * restarts from a checkpoint file, and UIDVALIDITY changes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, ImapConfig, Watcher } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Fiber, Layer, Schedule, Stream } from "effect"
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as FaultProxy from "./support/FaultProxy.ts"
import { backend, backendNames } from "./support/Backend.ts"

// The same tests on Dovecot and on @pkg/testing's in-process server (test/support/Backend.ts).
describe.each(backendNames)("on %s", (name) => {
  const server = backend(name)

  const message = (subject: string) =>
    `From: Feed <feed@example.com>\r\nTo: watcher@example.com\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

  const clientOptions = (user: string, port = server.port): ImapConfig.ImapClientOptions => ({
    host: server.host,
    port,
    tls: "none",
    auth: ImapConfig.password(user, server.password),
    timeouts: { connect: "2 seconds", greeting: "2 seconds", command: "5 seconds", logout: "500 millis" }
  })

  const fastReconnect = Schedule.spaced("50 millis")

  /** Runs the watcher in the background, collecting its events. */
  const startWatching = (options: Watcher.WatchOptions, store: Layer.Layer<Checkpoint.CheckpointStore, unknown>) =>
    Effect.gen(function* () {
      const events: Array<Watcher.WatchEvent> = []
      const fiber = yield* Watcher.watchEvents(options).pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(e))),
        Effect.provide(store),
        Effect.forkChild
      )
      const newMessages = () => events.filter((e): e is Watcher.NewMessage => e._tag === "NewMessage")
      const waitFor = (predicate: () => boolean, what: string, timeoutMs = 15_000) =>
        Effect.gen(function* () {
          const deadline = Date.now() + timeoutMs
          while (!predicate()) {
            if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
            yield* Effect.sleep("20 millis")
          }
        })
      const watchingCount = () => events.filter((e) => e._tag === "Watching").length
      return { events, fiber, newMessages, waitFor, watchingCount }
    })

  const appender = (user: string) =>
    Effect.gen(function* () {
      const client = yield* ImapClient.make(clientOptions(user))
      return (subject: string, mailbox = "INBOX") => client.append(mailbox, message(subject))
    })

  const assertExactlyOnce = (messages: ReadonlyArray<Watcher.NewMessage>, expected: ReadonlyArray<number>) => {
    const uids = messages.map((m) => Number(m.uid))
    assert.deepStrictEqual(
      uids,
      [...expected].sort((a, b) => a - b)
    )
  }

  describe("Watcher", () => {
    it.live("delivers a message appended by another connection, with its UID and decoded subject", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-one")
        const append = yield* appender(user)
        const w = yield* startWatching(
          { client: clientOptions(user), reconnect: fastReconnect },
          Checkpoint.layerMemory
        )
        yield* w.waitFor(() => w.watchingCount() > 0, "IDLE")
        const appended = yield* append("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the feed")
        yield* w.waitFor(() => w.newMessages().length === 1, "the new message")
        const [m] = w.newMessages()
        assert.strictEqual(m?.uid, appended.uid)
        assert.strictEqual(m?.subject, "Grüße from the feed")
        assert.strictEqual(m?.from[0]?.address, "feed@example.com")
        yield* Fiber.interrupt(w.fiber)
      })
    )

    it.live("delivers every message of a burst appended at once, in UID order", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-burst")
        const append = yield* appender(user)
        const w = yield* startWatching(
          { client: clientOptions(user), reconnect: fastReconnect },
          Checkpoint.layerMemory
        )
        yield* w.waitFor(() => w.watchingCount() > 0, "IDLE")
        const uids = yield* Effect.forEach(
          Array.from({ length: 25 }, (_, i) => `burst ${i}`),
          (s) => append(s),
          {
            concurrency: 5
          }
        )
        yield* w.waitFor(() => w.newMessages().length >= 25, "25 messages")
        assertExactlyOnce(
          w.newMessages(),
          uids.map((u) => Number(u.uid))
        )
        yield* Fiber.interrupt(w.fiber)
      })
    )

    it.live("resumes after doveadm kick with nothing lost or doubled", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-kick")
        const append = yield* appender(user)
        const w = yield* startWatching(
          { client: clientOptions(user), reconnect: fastReconnect },
          Checkpoint.layerMemory
        )
        yield* w.waitFor(() => w.watchingCount() > 0, "IDLE")
        const first = yield* append("before kick")
        yield* w.waitFor(() => w.newMessages().length === 1, "first message")
        // Kick only the watcher: the appender reconnects on its own session below.
        yield* Effect.promise(() => server.kick(user))
        const append2 = yield* appender(user)
        const during = yield* append2("during reconnect")
        yield* w.waitFor(() => w.watchingCount() >= 2, "re-established IDLE")
        const after = yield* append2("after kick")
        yield* w.waitFor(() => w.newMessages().length >= 3, "three messages")
        assertExactlyOnce(
          w.newMessages(),
          [first, during, after].map((a) => Number(a.uid))
        )
        assert.isTrue(w.events.some((e) => e._tag === "Disconnected"))
        yield* Fiber.interrupt(w.fiber)
      })
    )

    it.live("survives a cut connection, a stalled one (liveness probe) and a black-holed reconnect", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-faults")
        const proxy = yield* Effect.acquireRelease(
          Effect.promise(() => FaultProxy.start(server.host, server.port)),
          (p) => Effect.promise(() => p.stop())
        )
        const append = yield* appender(user)
        const w = yield* startWatching(
          {
            client: clientOptions(user, proxy.port),
            reconnect: fastReconnect,
            idle: { livenessDeadline: "700 millis", probeTimeout: "400 millis" }
          },
          Checkpoint.layerMemory
        )
        yield* w.waitFor(() => w.watchingCount() >= 1, "IDLE")
        const expected: Array<number> = []
        expected.push(Number((yield* append("one")).uid))
        yield* w.waitFor(() => w.newMessages().length === 1, "one")

        proxy.cut()
        expected.push(Number((yield* append("two")).uid))
        yield* w.waitFor(() => w.newMessages().length === 2, "two after cut")

        proxy.setMode("stall")
        yield* Effect.sleep("100 millis")
        expected.push(Number((yield* append("three")).uid))
        // The stalled connection is found dead by the liveness probe; new connections are stalled too
        // (greeting timeout) until the network comes back.
        yield* w.waitFor(() => w.events.filter((e) => e._tag === "Disconnected").length >= 2, "stall detected")
        proxy.setMode("blackhole")
        yield* Effect.sleep("1500 millis")
        proxy.setMode("forward")
        proxy.cut()
        yield* w.waitFor(() => w.newMessages().length === 3, "three after stall and black hole")
        expected.push(Number((yield* append("four")).uid))
        yield* w.waitFor(() => w.newMessages().length === 4, "four")
        assertExactlyOnce(w.newMessages(), expected)
        yield* Fiber.interrupt(w.fiber)
      })
    )

    it.live("with the `fail` policy, a UIDVALIDITY change ends the stream with a non-retryable error", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-uidv-fail")
        const admin = yield* ImapClient.make(clientOptions(user))
        yield* admin.create("Feed")
        const status = yield* admin.status("Feed", ["UIDVALIDITY"])
        const store = yield* Checkpoint.makeMemory
        const key = Checkpoint.keyOf(server.host, user, "Feed")
        yield* store.set(key, { uidValidity: (status.uidValidity ?? 0) + 1, lastUid: 7 })
        const error = yield* Watcher.watch({
          client: clientOptions(user),
          mailbox: "Feed",
          reconnect: fastReconnect,
          onUidValidityChange: "fail"
        }).pipe(Stream.runDrain, Effect.provide(Layer.succeed(Checkpoint.CheckpointStore, store)), Effect.flip)
        assert.strictEqual(error.reason._tag, "UidValidityChanged")
        assert.isFalse(error.isRetryable)
      })
    )

    it.live("ends with the typed, non-retryable error on bad credentials instead of retrying", () =>
      Effect.gen(function* () {
        const error = yield* Watcher.watch({
          client: { ...clientOptions(server.freshUser("watch-badpw")), auth: ImapConfig.password("someone", "wrong") },
          reconnect: fastReconnect
        }).pipe(Stream.runDrain, Effect.provide(Checkpoint.layerMemory), Effect.flip)
        assert.strictEqual(error.reason._tag, "AuthenticationFailed")
        assert.isFalse(error.isRetryable)
      })
    )

    it.live("restarted from a checkpoint file, misses and repeats nothing", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-restart")
        const file = path.join(mkdtempSync(path.join(os.tmpdir(), "watch-cp-")), "checkpoint.json")
        const store = Checkpoint.layerFile(file)
        const append = yield* appender(user)
        const first = yield* startWatching({ client: clientOptions(user), reconnect: fastReconnect }, store)
        yield* first.waitFor(() => first.watchingCount() > 0, "IDLE")
        const a = yield* append("a")
        yield* first.waitFor(() => first.newMessages().length === 1, "a")
        yield* Fiber.interrupt(first.fiber)
        const b = yield* append("b while stopped")
        const c = yield* append("c while stopped")
        const second = yield* startWatching({ client: clientOptions(user), reconnect: fastReconnect }, store)
        yield* second.waitFor(() => second.newMessages().length >= 2, "b and c")
        const d = yield* append("d")
        yield* second.waitFor(() => second.newMessages().length >= 3, "d")
        assertExactlyOnce(first.newMessages(), [Number(a.uid)])
        assertExactlyOnce(
          second.newMessages(),
          [b, c, d].map((x) => Number(x.uid))
        )
        yield* Fiber.interrupt(second.fiber)
      })
    )

    it.live("reports a UIDVALIDITY change as a typed event and replays the new epoch", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-uidvalidity")
        const admin = yield* ImapClient.make(clientOptions(user))
        yield* admin.create("Feed")
        const sharedLayer = Layer.succeed(Checkpoint.CheckpointStore, yield* Checkpoint.makeMemory)
        const first = yield* startWatching(
          { client: clientOptions(user), mailbox: "Feed", reconnect: fastReconnect },
          sharedLayer
        )
        yield* first.waitFor(() => first.watchingCount() > 0, "IDLE")
        yield* admin.append("Feed", message("old epoch"))
        yield* first.waitFor(() => first.newMessages().length === 1, "old epoch message")
        yield* Fiber.interrupt(first.fiber)
        yield* admin.delete("Feed")
        yield* admin.create("Feed")
        const fresh = yield* admin.append("Feed", message("new epoch"))
        const second = yield* startWatching(
          { client: clientOptions(user), mailbox: "Feed", reconnect: fastReconnect },
          sharedLayer
        )
        yield* second.waitFor(() => second.newMessages().length === 1, "new epoch message")
        const change = second.events.find((e) => e._tag === "UidValidityChanged")
        assert.isDefined(change)
        assert.strictEqual(second.newMessages()[0]?.uid, fresh.uid)
        yield* Fiber.interrupt(second.fiber)
      })
    )

    it.live("reports flag changes and expunges, live and those missed while stopped (QRESYNC resync)", () =>
      Effect.gen(function* () {
        const user = server.freshUser("watch-resync")
        const sharedStore = Layer.succeed(Checkpoint.CheckpointStore, yield* Checkpoint.makeMemory)
        const admin = yield* ImapClient.make(clientOptions(user))
        yield* admin.create("Trash")
        const a = yield* admin.append("INBOX", message("a"))
        const b = yield* admin.append("INBOX", message("b"))
        const c = yield* admin.append("INBOX", message("c"))
        const uid = (x: { readonly uid: SequenceSet.Uid | undefined }) =>
          SequenceSet.single("uid", x.uid ?? SequenceSet.Uid(1))
        const first = yield* startWatching(
          { client: clientOptions(user), reconnect: fastReconnect, sinceUid: 0 },
          sharedStore
        )
        yield* first.waitFor(() => first.newMessages().length === 3, "the three messages")
        yield* admin.select("INBOX")
        yield* admin.store(uid(a), "add", ["\\Flagged"])
        yield* first.waitFor(() => first.events.some((e) => e._tag === "FlagsChanged"), "live flag change")
        yield* Fiber.interrupt(first.fiber)

        yield* admin.store(uid(b), "add", ["\\Seen"])
        yield* admin.move(uid(c), "Trash")
        const second = yield* startWatching({ client: clientOptions(user), reconnect: fastReconnect }, sharedStore)
        yield* second.waitFor(() => second.watchingCount() > 0, "IDLE after resync")
        const flags = second.events.filter((e) => e._tag === "FlagsChanged")
        const expunged = second.events.filter((e) => e._tag === "Expunged")
        assert.deepStrictEqual(
          flags.map((e) => [Number(e.uid), e.flags.includes("\\Seen")]),
          [[Number(b.uid), true]]
        )
        assert.deepStrictEqual(
          expunged.flatMap((e) => e.uids.map(Number)),
          [Number(c.uid)]
        )
        assert.strictEqual(second.newMessages().length, 0)
        yield* Fiber.interrupt(second.fiber)
      })
    )

    it.live(
      "soak: 1,000 appends with 10 forced disconnects deliver every UID exactly once",
      () =>
        Effect.gen(function* () {
          const user = server.freshUser("watch-soak")
          const proxy = yield* Effect.acquireRelease(
            Effect.promise(() => FaultProxy.start(server.host, server.port)),
            (p) => Effect.promise(() => p.stop())
          )
          const w = yield* startWatching(
            { client: clientOptions(user, proxy.port), reconnect: fastReconnect },
            Checkpoint.layerMemory
          )
          yield* w.waitFor(() => w.watchingCount() > 0, "IDLE")
          const writer = yield* ImapClient.make(clientOptions(user))
          const expected: Array<number> = []
          for (let round = 0; round < 10; round++) {
            const batch = yield* Effect.forEach(
              Array.from({ length: 100 }, (_, i) => message(`soak ${round}-${i}`)),
              (m) => writer.append("INBOX", m),
              { concurrency: 10 }
            )
            for (const r of batch) expected.push(Number(r.uid))
            // A cut while the watcher is between connections would kill nothing: wait for IDLE first.
            yield* w.waitFor(() => w.watchingCount() > round, `IDLE before cut ${round + 1}`)
            proxy.cut()
          }
          yield* w.waitFor(() => w.newMessages().length >= 1000, "1,000 messages", 60_000)
          yield* Effect.sleep("700 millis")
          assertExactlyOnce(w.newMessages(), expected)
          assert.isAtLeast(w.events.filter((e) => e._tag === "Disconnected").length, 10)
          yield* Fiber.interrupt(w.fiber)
        }),
      90_000
    )
  })
})
