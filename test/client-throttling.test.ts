/**
 * Throttling from a real Dovecot, started for this file with `mail_max_userip_connections = 2`: the
 * third session's LOGIN is refused with `NO [UNAVAILABLE] Maximum number of connections from
 * user+IP exceeded`, which the client reports as a retryable `Throttled` (not a final
 * AuthenticationFailed), and the watcher keeps trying until a slot frees, then delivers new mail.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, ImapConfig, type ImapError, Watcher } from "@pkg/client"
import { Deferred, Effect, Exit, Fiber, Schedule, Scope, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Dovecot from "./support/Dovecot.ts"
import { freshUser } from "./support/TestServer.ts"

let server: Dovecot.Dovecot | undefined
beforeAll(async () => {
  server = await Dovecot.start({ maxUserIpConnections: 2 })
}, 30_000)
afterAll(() => server?.stop())

const optionsFor = (user: string): ImapConfig.ImapClientOptions => {
  if (server === undefined) throw new Error("Dovecot did not start")
  return {
    host: server.host,
    port: server.port,
    tls: "none",
    auth: ImapConfig.password(user, server.password),
    timeouts: { connect: "5 seconds", greeting: "5 seconds", command: "10 seconds" }
  }
}

/** Opens `n` sessions for `user` in a scope of their own; closing it logs them out. */
const hold = (user: string, n: number) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    for (let i = 0; i < n; i++) yield* ImapClient.make(optionsFor(user)).pipe(Scope.provide(scope))
    return scope
  })

const message = (subject: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.com>\r\n\r\nbody\r\n`

describe("a Dovecot at its per-user connection limit", { timeout: 60_000 }, () => {
  it.live("refuses the third login (AUTHENTICATE PLAIN) with [UNAVAILABLE], which is a retryable Throttled", () =>
    Effect.gen(function* () {
      const user = freshUser("throttle-login")
      const held = yield* hold(user, 2)
      const error = yield* ImapClient.make(optionsFor(user)).pipe(Effect.scoped, Effect.flip)
      yield* Scope.close(held, Exit.void)
      assert.strictEqual(error.reason._tag, "Throttled", error.message)
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "Throttled") {
        assert.strictEqual(error.reason.command, "AUTHENTICATE")
        assert.strictEqual(error.reason.code, "UNAVAILABLE")
        assert.match(error.reason.text, /^Maximum number of connections from user\+IP exceeded/)
      }
      assert.notInclude(error.message, server?.password ?? "")
    })
  )

  it.live("the watcher keeps retrying until a slot frees, then watches and delivers new mail once", () =>
    Effect.gen(function* () {
      const user = freshUser("throttle-watch")
      const held = yield* hold(user, 2)
      const refused = yield* Deferred.make<ImapError.ImapError>()
      const watching = yield* Deferred.make<void>()
      const fiber = yield* Watcher.watchEvents({
        client: optionsFor(user),
        reconnect: Schedule.spaced("200 millis")
      }).pipe(
        Stream.tap((e) =>
          e._tag === "Disconnected"
            ? Deferred.succeed(refused, e.error)
            : e._tag === "Watching"
              ? Deferred.succeed(watching, undefined)
              : Effect.void
        ),
        Stream.filter((e) => e._tag === "NewMessage"),
        Stream.take(1),
        Stream.runCollect,
        Effect.provide(Checkpoint.layerMemory),
        Effect.forkChild
      )
      const first = yield* Deferred.await(refused)
      assert.strictEqual(first.reason._tag, "Throttled")
      // Let it be refused a few times over, then free both slots.
      yield* Effect.sleep("700 millis")
      yield* Scope.close(held, Exit.void)
      yield* Deferred.await(watching)
      yield* Effect.promise(() => server!.deliver(user, "INBOX", message("after-throttling")))
      const got = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        got.map((e) => (e._tag === "NewMessage" ? e.subject : e._tag)),
        ["after-throttling"]
      )
    })
  )
})
