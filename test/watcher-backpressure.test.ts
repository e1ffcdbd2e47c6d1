/**
 * The watcher's bounded hand-off against a real Dovecot: a consumer slower than the server over a
 * replay (`sinceUid: 0`) makes the session wait (its FETCH pauses and resumes many times) and still
 * gets every message exactly once, in UID order, and then a message appended while it was behind.
 * The server's side of the backpressure is shown with a scripted peer in
 * packages/client/test/EventFlood.test.ts; this is the same path on a real server's byte stream.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, ImapConfig, Watcher } from "@pkg/client"
import { Effect, Schedule, Stream } from "effect"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()

const message = (i: number) =>
  `From: Feed <feed@example.com>\r\nTo: watcher@example.com\r\nSubject: replayed ${i}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n${"body line\r\n".repeat(20)}`

const clientOptions = (user: string): ImapConfig.ImapClientOptions => ({
  host: server.host,
  port: server.port,
  tls: "none",
  auth: ImapConfig.password(user, server.password),
  timeouts: { connect: "2 seconds", greeting: "2 seconds", command: "5 seconds", logout: "500 millis" }
})

describe("Watcher with a slow consumer (Dovecot)", () => {
  it.live(
    "a replay of 3,000 messages to a consumer that keeps stalling arrives exactly once, in order, then live mail",
    () =>
      Effect.gen(function* () {
        const count = 3000
        const user = freshUser("watch-slow")
        yield* Effect.promise(() =>
          server.importMany(
            user,
            "INBOX",
            Array.from({ length: count }, (_, i) => message(i + 1))
          )
        )
        const uids = yield* Effect.scoped(
          Effect.gen(function* () {
            const writer = yield* ImapClient.make(clientOptions(user))
            let seen = 0
            return yield* Watcher.watch({
              client: clientOptions(user),
              reconnect: Schedule.spaced("50 millis"),
              sinceUid: 0
            }).pipe(
              Stream.tap(() =>
                Effect.gen(function* () {
                  seen++
                  // Stalls long enough for the FETCH to fill every buffer and pause, many times over.
                  if (seen % 250 === 0) yield* Effect.sleep("60 millis")
                  // While still behind on the replay, a new message arrives: it must come after it.
                  if (seen === 1000) yield* writer.append("INBOX", message(count + 1))
                })
              ),
              Stream.map((m) => Number(m.uid)),
              Stream.take(count + 1),
              Stream.runCollect,
              Effect.timeout("60 seconds"),
              Effect.provide(Checkpoint.layerMemory)
            )
          })
        )
        assert.deepStrictEqual(
          uids,
          Array.from({ length: count + 1 }, (_, i) => i + 1)
        )
      })
  )
})
