/**
 * UID FETCH as a Stream: a slow consumer holds the socket (TCP backpressure, bounded client memory)
 * instead of buffering a whole mailbox, a consumer that stops early leaves the rest to be drained,
 * another command issued while a stream is open neither deadlocks nor steals its data, and data the
 * server interleaves (EXISTS) still reaches the session state.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { Command, SequenceSet } from "@pkg/protocol"
import { Effect, Ref, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

const uids = (from: number, to: number) => SequenceSet.range("uid", SequenceSet.Uid(from), SequenceSet.Uid(to))
const bodyItems = [Command.Attr.uid, Command.Attr.bodySection(undefined, { peek: true })] as const
const flagItems = [Command.Attr.uid, Command.Attr.flags] as const

/** FETCH responses for UIDs `from`..`to`, with a body of `size` bytes each. */
const fetchResponses = (from: number, to: number, size: number) => {
  const body = `${"x".repeat(size - 2)}\r\n`
  const parts: Array<string> = []
  for (let i = from; i <= to; i++) parts.push(`* ${i} FETCH (UID ${i} BODY[] {${size}}\r\n${body})\r\n`)
  return parts.join("")
}

/** `count` FETCH responses with a body of `size` bytes each, then the tagged OK. */
const fetchReply = (tag: string, count: number, size: number) =>
  `${fetchResponses(1, count, size)}${tag} OK Fetch completed.\r\n`

describe("backpressure", () => {
  it.live("a slow consumer stops the client reading: received bytes stay bounded and the server's write blocks", () =>
    Effect.gen(function* () {
      const count = 8000
      const size = 1024
      let flushed = false
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, count)
        const tag = await conn.expect(`UID FETCH 1:${count} (UID BODY.PEEK[])`)
        await conn.sendRaw(fetchReply(tag, count, size))
        flushed = true
        await Peer.acceptLogout(conn)
      })
      const total = count * (size + 40)
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const seen = yield* Ref.make(0)
          const samples: Array<{ readonly bytes: number; readonly flushed: boolean }> = []
          const sample = Effect.sync(() =>
            samples.push({ bytes: SessionConnection.of(client).bytesReceived(), flushed })
          )
          yield* client.fetch(uids(1, count), bodyItems, { highWater: 8 }).pipe(
            Stream.runForEach((m) =>
              Effect.gen(function* () {
                const n = yield* Ref.updateAndGet(seen, (k) => k + 1)
                assert.strictEqual(Number(m.attributes.uid), n)
                if (n === 1) {
                  // The consumer is busy for a while with its first message.
                  yield* Effect.sleep("250 millis")
                  yield* sample
                  yield* Effect.sleep("150 millis")
                  yield* sample
                }
              })
            )
          )
          assert.strictEqual(yield* Ref.get(seen), count)
          const [a, b] = samples
          // The reader stopped: nothing more was read while the consumer slept...
          assert.strictEqual(a?.bytes, b?.bytes)
          // ...and what it had read is a small part of the reply (a highWater plus a socket chunk).
          assert.isBelow(a?.bytes ?? Infinity, total / 8)
          // The TCP window closed: the server could not hand its whole reply to the kernel.
          assert.isFalse(b?.flushed)
        })
      )
    })
  )
})

describe("stopping early and interleaving", () => {
  it.live("a consumer that takes 5 of 300 messages leaves the session usable for the next command", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 300)
        const tag = await conn.expect("UID FETCH 1:300 (UID BODY.PEEK[])")
        await conn.sendRaw(fetchReply(tag, 300, 200))
        const status = await conn.expect("STATUS Archive (MESSAGES)")
        await conn.send("* 301 EXISTS", "* STATUS Archive (MESSAGES 12)", `${status} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const first = yield* client
            .fetch(uids(1, 300), bodyItems, { highWater: 4 })
            .pipe(Stream.take(5), Stream.runCollect)
          assert.deepStrictEqual(
            first.map((m) => Number(m.attributes.uid)),
            [1, 2, 3, 4, 5]
          )
          const status = yield* client.status("Archive", ["MESSAGES"])
          assert.strictEqual(status.messages, 12)
          const state = yield* client.currentState
          assert.strictEqual(state._tag === "Selected" ? state.mailbox.exists : -1, 301)
        })
      )
    })
  )

  it.live("a consumer that runs a NOOP in the middle of a paused stream neither deadlocks nor loses data", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 200)
        const tag = await conn.expect("UID FETCH 1:200 (UID BODY.PEEK[])")
        await conn.sendRaw(fetchReply(tag, 200, 512))
        // Like a real server, the NOOP is read and answered only after the FETCH is complete.
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const got = yield* client.fetch(uids(1, 200), bodyItems, { highWater: 4 }).pipe(
            Stream.mapEffect((m) =>
              Number(m.attributes.uid) === 3
                ? Effect.as(client.noop().pipe(Effect.timeout("3 seconds")), m)
                : Effect.succeed(m)
            ),
            Stream.runCollect
          )
          assert.deepStrictEqual(
            got.map((m) => Number(m.attributes.uid)),
            Array.from({ length: 200 }, (_, i) => i + 1)
          )
        })
      )
    })
  )

  it.live(
    "a consumer that runs EXAMINE (which must run alone) in the middle of a paused stream does not deadlock",
    () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.login(conn)
          await Peer.acceptSelect(conn, 100)
          const tag = await conn.expect("UID FETCH 1:100 (UID BODY.PEEK[])")
          await conn.sendRaw(fetchReply(tag, 100, 512))
          const examine = await conn.expect("EXAMINE Archive")
          await conn.send("* 0 EXISTS", "* OK [UIDVALIDITY 9] ok", `${examine} OK [READ-ONLY] done`)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            const got = yield* client.fetch(uids(1, 100), bodyItems, { highWater: 2 }).pipe(
              Stream.mapEffect((m) =>
                Number(m.attributes.uid) === 2
                  ? Effect.as(client.examine("Archive").pipe(Effect.timeout("3 seconds")), m)
                  : Effect.succeed(m)
              ),
              Stream.runCollect
            )
            assert.strictEqual(got.length, 100)
            const state = yield* client.currentState
            assert.strictEqual(state._tag === "Selected" ? state.mailbox.name : "", "Archive")
          })
        )
      })
  )

  it.live("a consumer's NOOP behind a paused stream still times out when the server goes silent", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 100)
        await conn.expect("UID FETCH 1:100 (UID BODY.PEEK[])")
        // A fifth of the reply, then nothing: not the rest, and no answer to the NOOP. The consumer
        // takes the first part at once; the second fills its buffer and pauses the reader.
        await conn.sendRaw(fetchResponses(1, 10, 5))
        await new Promise((resolve) => setTimeout(resolve, 100))
        await conn.sendRaw(fetchResponses(11, 20, 5))
        await conn.expect("NOOP")
        await conn.ended
      })
      const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { timeouts: { command: "300 millis" } }))
      yield* client.select("INBOX")
      let noopAt = 0
      const error = yield* client.fetch(uids(1, 100), bodyItems, { highWater: 4 }).pipe(
        Stream.mapEffect((m) =>
          Number(m.attributes.uid) !== 1
            ? Effect.succeed(m)
            : Effect.gen(function* () {
                // Longer than the command timeout: the paused FETCH alone is the consumer's doing.
                yield* Effect.sleep("600 millis")
                noopAt = Date.now()
                yield* client.noop()
                return m
              })
        ),
        Stream.runDrain,
        Effect.timeoutOrElse({
          duration: "5 seconds",
          orElse: () => Effect.die("the NOOP hung behind a paused stream")
        }),
        Effect.flip
      )
      assert.isAbove(noopAt, 0, "the paused FETCH was cut off before its consumer issued the NOOP")
      assert.strictEqual(error.reason._tag, "Timeout")
      if (error.reason._tag === "Timeout") assert.strictEqual(error.reason.phase, "command")
      // The NOOP made the reader read again: silence now counts, from about then.
      assert.isBelow(Date.now() - noopAt, 1500)
      assert.isTrue(SessionConnection.of(client).isClosed())
    })
  )

  it.live("a consumer that fails mid-stream leaves the rest of the reply drained, not misrouted", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 50)
        const tag = await conn.expect("UID FETCH 1:50 (UID FLAGS)")
        const lines = Array.from({ length: 50 }, (_, i) => `* ${i + 1} FETCH (UID ${i + 1} FLAGS (\\Seen))`)
        await conn.send(...lines, `${tag} OK Fetch completed.`)
        const again = await conn.expect("UID FETCH 7 (UID FLAGS)")
        await conn.send("* 7 FETCH (UID 7 FLAGS (\\Flagged))", `${again} OK Fetch completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const failed = yield* client.fetch(uids(1, 50), flagItems, { highWater: 2 }).pipe(
            Stream.runForEach((m) => (Number(m.attributes.uid) === 10 ? Effect.fail("consumer gave up") : Effect.void)),
            Effect.flip
          )
          assert.strictEqual(failed, "consumer gave up")
          const again = yield* client.fetch(uids(7, 7), flagItems).pipe(Stream.runCollect)
          assert.deepStrictEqual(
            again.map((m) => [Number(m.attributes.uid), m.attributes.flags]),
            [[7, ["\\Flagged"]]]
          )
        })
      )
    })
  )
})
