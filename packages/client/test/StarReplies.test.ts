/**
 * Replies to UID sets that contain `*` are recognised as the answer (RFC 9051 6.4.8): `*` is the
 * highest UID in use, which only the server knows. Courier's SELECT has no UIDNEXT, so the watcher
 * asks `UID FETCH * (UID)` for its starting point; a client that took `*` for 2^32-1 dropped the
 * reply `* 35 FETCH (UID 35)`, started from 0 and delivered the whole mailbox as new mail.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, Watcher } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Schedule, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const fetched = (uid: number) =>
  `* ${uid} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "s${uid}" NIL NIL NIL NIL NIL NIL NIL NIL) RFC822.SIZE 10 INTERNALDATE "26-Nov-2026 10:00:00 +0000")`

/** EXAMINE/SELECT as Courier answers it: no UIDNEXT. */
const acceptCourierOpen = async (conn: Peer.PeerConnection, command: RegExp, exists: number) => {
  const tag = await conn.expect(command)
  await conn.send(
    "* FLAGS (\\Draft \\Answered \\Flagged \\Deleted \\Seen \\Recent)",
    "* OK [PERMANENTFLAGS ()] No permanent flags permitted",
    `* ${exists} EXISTS`,
    "* 0 RECENT",
    "* OK [UIDVALIDITY 795650928] Ok",
    `${tag} OK [READ-ONLY] Ok`
  )
}

describe("replies to UID sets containing *", () => {
  it.live("client.fetch(SequenceSet.last('uid')) returns the message the server names as the last one", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await acceptCourierOpen(conn, /^EXAMINE INBOX$/, 3)
        await Peer.answer(conn, ["* 3 FETCH (UID 35)"], /^UID FETCH \* \(UID\)$/)
        await Peer.answer(conn, ["* 3 FETCH (UID 35 FLAGS (\\Seen))"], /^UID FETCH 30:\* \(UID FLAGS\)$/)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.examine("INBOX")
          const last = yield* client.fetch(SequenceSet.last("uid"), [{ _tag: "Uid" }]).pipe(Stream.runCollect)
          assert.deepStrictEqual(
            last.map((f) => Number(f.attributes.uid)),
            [35]
          )
          // `30:*` with highest UID 35 is the range 30..35; its reply counts too.
          const range = yield* client
            .fetch(SequenceSet.from("uid", SequenceSet.Uid(30)), [{ _tag: "Uid" }, { _tag: "Flags" }])
            .pipe(Stream.runCollect)
          assert.deepStrictEqual(
            range.map((f) => Number(f.attributes.uid)),
            [35]
          )
        })
      )
    })
  )

  it.live("the watcher on a server without UIDNEXT starts after the highest UID, not at 0", () =>
    Effect.gen(function* () {
      const commands: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await acceptCourierOpen(conn, /^EXAMINE INBOX$/, 3)
        commands.push(await Peer.answer(conn, ["* 3 FETCH (UID 35)"]))
        // Caught up from after UID 35: nothing new yet.
        commands.push(await Peer.answer(conn, []))
        const idle = await Peer.acceptIdle(conn, "+ entering ENHANCED idle mode", "* 4 EXISTS")
        await Peer.acceptDone(conn, idle, 10_000)
        commands.push(await Peer.answer(conn, [fetched(36).replace("* 36", "* 4")]))
        await Peer.acceptDone(conn, await Peer.acceptIdle(conn, "+ entering ENHANCED idle mode"), 10_000)
        await Peer.acceptLogout(conn)
      })
      const got = yield* Watcher.watch({ client: Peer.clientOptions(peer.port), reconnect: Schedule.recurs(0) }).pipe(
        Stream.take(1),
        Stream.runCollect,
        Effect.provide(Checkpoint.layerMemory)
      )
      yield* Peer.finished(peer)
      assert.deepStrictEqual(
        got.map((m) => [Number(m.uid), m.subject]),
        [[36, "s36"]]
      )
      assert.deepStrictEqual(
        commands.map((c) => c.replace(/ \(UID FLAGS .*$/, " (...)")),
        ["UID FETCH * (UID)", "UID FETCH 36:* (...)", "UID FETCH 36:* (...)"]
      )
    })
  )
})
