/**
 * Testing that an app survives a cut connection, with nothing installed. `Notifier` is the app's
 * own service: it tells `Notifications` (the app's outbound port, say push messages) of every new
 * message in INBOX, built on `Watcher.watch`, which reconnects and resumes from its checkpoint. The
 * test composes `TestServer.layer`, the app, and a `Notifications` that records; it injects a fault
 * into the running server (`CutMidIdle`: the next IDLE is cut right after its `+`), delivers mail
 * before and after the cut, and checks each message is told of exactly once.
 *
 *   pnpm exec vitest run examples/app-fault.test.ts
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, type ImapError, Watcher } from "@pkg/client"
import { TestServer } from "@pkg/testing"
import { Context, Effect, Layer, Queue, Schedule, Stream } from "effect"

// ---------------------------------------------------------------------------------------------
// The application code

/** Where the app sends what it has to say: push messages in production, a queue in the test. */
class Notifications extends Context.Service<Notifications, { readonly send: (text: string) => Effect.Effect<void> }>()(
  "examples/Notifications"
) {}

/** Tells of each new message in INBOX, once, for as long as it runs. */
class Notifier extends Context.Service<Notifier, { readonly run: Effect.Effect<void, ImapError.ImapError> }>()(
  "examples/Notifier"
) {
  static readonly layer = (client: Watcher.WatchOptions["client"]) =>
    Layer.effect(
      Notifier,
      Effect.gen(function* () {
        const notifications = yield* Notifications
        const checkpoints = yield* Checkpoint.CheckpointStore
        return Notifier.of({
          run: Watcher.watch({ client, reconnect: Schedule.spaced("100 millis") }).pipe(
            Stream.runForEach((m) => notifications.send(`New mail: ${m.subject ?? "(no subject)"}`)),
            Effect.provideService(Checkpoint.CheckpointStore, checkpoints)
          )
        })
      })
    )
}

// ---------------------------------------------------------------------------------------------
// The test wiring

const message = (subject: string) =>
  `From: Alice <alice@example.com>\r\nTo: app@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

/** What the app sent, for the test to read. */
class Sent extends Context.Service<Sent, Queue.Queue<string>>()("examples/Sent") {}

/** Notifications that land in `Sent`. */
const recorded = Layer.effect(
  Notifications,
  Effect.map(Sent, (sent) => Notifications.of({ send: (text) => Effect.asVoid(Queue.offer(sent, text)) }))
).pipe(Layer.provideMerge(Layer.effect(Sent, Queue.unbounded<string>())))

const server = TestServer.layer({ accounts: [{ user: "app", password: "secret" }] })

/** The notifier logged in as `app`, on the server above, telling the recorded notifications. */
const app = Layer.unwrap(Effect.map(TestServer.config("app"), Notifier.layer)).pipe(
  Layer.provideMerge(recorded),
  Layer.provideMerge(Checkpoint.layerMemory),
  Layer.provideMerge(server)
)

/** The next `n` notifications, failing the test if they do not come. */
const next = (n: number) =>
  Effect.gen(function* () {
    const sent = yield* Sent
    const out: Array<string> = []
    for (let i = 0; i < n; i++) out.push(yield* Queue.take(sent))
    return out
  }).pipe(Effect.timeout("10 seconds"))

/** Waits until the server has received `count` IDLE commands in all (the watcher is idling). */
const idles = (count: number) =>
  Effect.gen(function* () {
    const server = yield* TestServer.TestServer
    yield* server.received.pipe(
      Effect.map((r) => r.filter((x) => x.command._tag === "Idle").length >= count),
      Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("10 millis") }),
      Effect.timeout("10 seconds")
    )
  })

describe("an app that survives a cut connection", () => {
  it.live("tells of every new message exactly once across a connection cut mid-IDLE", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.TestServer
      yield* Effect.forkScoped((yield* Notifier).run)
      yield* idles(1)
      // The watcher answers "one" with a fetch and a new IDLE: that IDLE is cut after its `+`.
      yield* server.inject({ _tag: "CutMidIdle" })
      yield* server.deliver("app", "INBOX", message("one"))
      assert.deepStrictEqual(yield* next(1), ["New mail: one"])
      // Mail that arrives while the app reconnects, and after.
      yield* server.deliver("app", "INBOX", message("two"))
      yield* idles(3)
      yield* server.deliver("app", "INBOX", message("three"))
      assert.deepStrictEqual(yield* next(2), ["New mail: two", "New mail: three"])
      // The cut happened: the watcher logged in on a second connection.
      const connections = new Set((yield* server.received).map((r) => r.connection))
      assert.isAtLeast(connections.size, 2)
      // And nothing was told twice.
      assert.strictEqual(yield* Queue.size(yield* Sent), 0)
    }).pipe(Effect.scoped, Effect.provide(app))
  )
})
