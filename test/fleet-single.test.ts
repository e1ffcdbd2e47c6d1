/**
 * The fleet in one process (`Fleet.layerSingle`, SQLite file) against Dovecot: mailboxes added to
 * the registry are watched (no cluster call from the adder), each new message reaches the sink
 * once with its account and mailbox; after a restart the fleet resumes from the stored checkpoints
 * and hands over only what arrived meanwhile; a removed mailbox stops being watched and its
 * tombstone goes. A sink that fails is retried (the message reaches it once it takes it, once); a
 * refused login ends the mailbox's watch as failed, and adding it again (fixed) watches it again.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Database from "../packages/fleet/src/Database.ts"
import * as Fleet from "../packages/fleet/src/Fleet.ts"
import type * as Outbox from "../packages/fleet/src/Outbox.ts"
import * as Registry from "../packages/fleet/src/Registry.ts"
import { Sink } from "../packages/fleet/src/Sink.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"
import * as FleetAccount from "./support/FleetAccount.ts"

const secretVariable = "IMAP_FLEET_TEST_PASSWORD"

const message = (subject: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@fleet>\r\n\r\nbody\r\n`

/** Polls `check` every 50 ms until it holds, failing with `what` after `ms`. */
const until = (what: string, check: Effect.Effect<boolean, unknown>, ms = 20_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + ms
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("50 millis")
    }
  })

describe("Fleet.layerSingle", () => {
  it.live(
    "watches registered mailboxes, delivers each new message once, resumes after a restart, stops on removal",
    () =>
      Effect.gen(function* () {
        const server = dovecot()
        process.env[secretVariable] = server.password
        const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-single-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const filename = path.join(dir, "fleet.db")
        const database = Database.layer({ _tag: "Sqlite", filename })
        const users = [freshUser("fleet-a"), freshUser("fleet-b"), freshUser("fleet-c")]
        yield* Effect.forEach(users, (user) =>
          Registry.add(user, FleetAccount.passwordFromEnv(server, user, secretVariable), ["INBOX"])
        ).pipe(Effect.provide(database))

        const seen: Array<Outbox.Entry> = []
        const sink = Layer.succeed(Sink, { deliver: (entry) => Effect.sync(() => void seen.push(entry)) })
        const start = Effect.gen(function* () {
          const scope = yield* Scope.make()
          yield* Layer.buildWithScope(Fleet.layerSingle(filename).pipe(Layer.provide(sink)), scope)
          return scope
        })
        const allWatching = Registry.list.pipe(
          Effect.map((rows) => rows.length === users.length && rows.every((r) => r.state === "watching")),
          Effect.provide(database)
        )
        const deliverAll = (tag: string) =>
          Effect.promise(() =>
            Promise.all(users.map((user) => server.deliver(user, "INBOX", message(`${tag}-${user}`))))
          )

        let fleet = yield* start
        yield* until("every mailbox watched", allWatching)
        yield* deliverAll("one")
        yield* deliverAll("two")
        yield* until(
          "6 messages",
          Effect.sync(() => seen.length >= 6)
        )
        yield* Scope.close(fleet, Effect.void as never)

        yield* deliverAll("three")
        // Reset what the registry shows, so "watching" below is the restarted fleet's report.
        yield* Effect.forEach(yield* Registry.list.pipe(Effect.provide(database)), (row) =>
          Registry.report(row.generation, "-", "stopped").pipe(Effect.provide(database))
        )
        fleet = yield* start
        yield* until(
          "9 messages",
          Effect.sync(() => seen.length >= 9)
        )
        yield* until("every mailbox watched again", allWatching)

        const removed = users[2]!
        assert.isTrue(yield* Registry.remove(removed).pipe(Effect.provide(database)))
        yield* until(
          "the removed mailbox's tombstone to go",
          Registry.list.pipe(
            Effect.map((rows) => rows.every((r) => r.account !== removed)),
            Effect.provide(database)
          )
        )
        yield* deliverAll("four")
        yield* until(
          "2 more messages",
          Effect.sync(() => seen.length >= 11)
        )
        yield* Effect.sleep("1500 millis")
        yield* Scope.close(fleet, Effect.void as never)

        const keys = seen.map((e) => `${e.account}/${e.mailbox}/${e.uidValidity}/${e.uid}`)
        assert.strictEqual(new Set(keys).size, keys.length, `each message once: ${keys.join(", ")}`)
        const subjects = seen.map((e) => (JSON.parse(e.message) as { subject: string }).subject).sort()
        const expected = [
          ...users.flatMap((u) => ["one", "two", "three"].map((t) => `${t}-${u}`)),
          ...users.slice(0, 2).map((u) => `four-${u}`)
        ].sort()
        assert.deepStrictEqual(subjects, expected)
      }),
    60_000
  )

  it.live(
    "a failing sink is retried until it takes the message; a refused login fails the watch until added again",
    () =>
      Effect.gen(function* () {
        const server = dovecot()
        process.env[secretVariable] = server.password
        process.env.IMAP_FLEET_TEST_WRONG = "not-the-password"
        const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-single-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const filename = path.join(dir, "fleet.db")
        const database = Database.layer({ _tag: "Sqlite", filename })
        const [good, bad] = [freshUser("fleet-sink"), freshUser("fleet-refused")]
        const settings = (user: string, variable: string) => FleetAccount.passwordFromEnv(server, user, variable)
        yield* Registry.add(good!, settings(good!, secretVariable), ["INBOX"]).pipe(Effect.provide(database))
        yield* Registry.add(bad!, settings(bad!, "IMAP_FLEET_TEST_WRONG"), ["INBOX"]).pipe(Effect.provide(database))
        const seen: Array<string> = []
        let refusals = 2
        const sink = Layer.succeed(Sink, {
          deliver: (entry) =>
            refusals-- > 0
              ? Effect.fail(new Error("downstream is down"))
              : Effect.sync(() => void seen.push(`${entry.account}/${entry.uid}`))
        })
        const stateOf = (user: string) =>
          Registry.list.pipe(
            Effect.map((rows) => rows.find((r) => r.account === user)?.state),
            Effect.provide(database)
          )
        const scope = yield* Scope.make()
        yield* Layer.buildWithScope(Fleet.layerSingle(filename).pipe(Layer.provide(sink)), scope)
        yield* until(
          "the good mailbox watched",
          Effect.map(stateOf(good!), (s) => s === "watching")
        )
        yield* until(
          "the refused login to fail",
          Effect.map(stateOf(bad!), (s) => s === "failed")
        )
        yield* Effect.promise(() => server.deliver(good!, "INBOX", message(`sink-${good}`)))
        yield* until(
          "the message past two refusals",
          Effect.sync(() => seen.length === 1),
          30_000
        )
        assert.deepStrictEqual(seen, [`${good}/1`])

        yield* Registry.add(bad!, settings(bad!, secretVariable), ["INBOX"]).pipe(Effect.provide(database))
        yield* until(
          "the fixed account watched",
          Effect.map(stateOf(bad!), (s) => s === "watching")
        )
        yield* Effect.promise(() => server.deliver(bad!, "INBOX", message(`fixed-${bad}`)))
        yield* until(
          "its message",
          Effect.sync(() => seen.length === 2)
        )
        yield* Scope.close(scope, Effect.void as never)
        assert.deepStrictEqual(seen, [`${good}/1`, `${bad}/1`])
      }),
    60_000
  )
})
