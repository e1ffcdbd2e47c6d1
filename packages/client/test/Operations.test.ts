/**
 * Operations whose wire form depends on what the server offers, against a scripted peer: MOVE's
 * fallback (never expunging messages it was not asked to move), APPEND without UIDPLUS, and an
 * ALERT sent while a mailbox is being selected (for the user, not swallowed by the snapshot).
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Fiber, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const uids = (first: number, ...rest: ReadonlyArray<number>) =>
  SequenceSet.fromNumbers("uid", [SequenceSet.Uid(first), ...rest.map(SequenceSet.Uid)])

/** Answers the next command, which must match `expected`, with `lines`; records its text in `sent`. */
const answer = async (
  conn: Peer.PeerConnection,
  sent: Array<string>,
  expected: RegExp,
  ...lines: ReadonlyArray<string>
) => {
  sent.push(await Peer.answer(conn, lines, expected))
}

/**
 * MOVE of `set` to Archive on a server offering `caps` (no MOVE) with INBOX selected: `script`
 * answers the fallback's commands (recording them in `sent`). Returns the result and what was sent.
 */
const moveWithout = (
  caps: string,
  set: SequenceSet.SequenceSet<"uid">,
  script: (conn: Peer.PeerConnection, sent: Array<string>) => Promise<void>
) =>
  Effect.gen(function* () {
    const sent: Array<string> = []
    const peer = yield* Peer.scoped(async (conn) => {
      await Peer.login(conn, caps)
      await Peer.acceptSelect(conn, 5)
      await script(conn, sent)
      await Peer.acceptLogout(conn)
    })
    const result = yield* Peer.check(
      peer,
      Effect.gen(function* () {
        const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
        yield* client.select("INBOX")
        return yield* client.move(set, "Archive")
      })
    )
    return { result, sent }
  })

describe("MOVE where the server has no MOVE", () => {
  it.live("with UIDPLUS: COPY, \\Deleted, then UID EXPUNGE of exactly the moved UIDs", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* moveWithout("IMAP4rev1 LITERAL+ UIDPLUS", uids(3, 5), async (conn, sent) => {
        await answer(conn, sent, /^UID COPY 3,5 Archive$/)
        await answer(conn, sent, /^UID STORE 3,5 \+FLAGS\.SILENT \(\\Deleted\)$/)
        await answer(conn, sent, /^UID EXPUNGE 3,5$/, "* 5 EXPUNGE", "* 3 EXPUNGE")
      })
      assert.isTrue(result.expunged)
      assert.strictEqual(sent.length, 3)
    })
  )

  it.live("without UIDPLUS, and other messages marked \\Deleted: copies and flags, but does not EXPUNGE", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* moveWithout("IMAP4rev1 LITERAL+", uids(3), async (conn, sent) => {
        await answer(conn, sent, /^UID COPY 3 Archive$/)
        await answer(conn, sent, /^UID STORE 3 \+FLAGS\.SILENT \(\\Deleted\)$/)
        // UID 4 was marked \Deleted by the user, not for this move: a plain EXPUNGE would destroy it.
        await answer(conn, sent, /^UID SEARCH DELETED$/, "* SEARCH 3 4")
      })
      assert.isFalse(result.expunged)
      assert.isFalse(sent.some((c) => c.includes("EXPUNGE")))
    })
  )

  it.live("without UIDPLUS, when only the moved messages are \\Deleted: EXPUNGE", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* moveWithout("IMAP4rev1 LITERAL+", uids(3), async (conn, sent) => {
        await answer(conn, sent, /^UID COPY 3 Archive$/)
        await answer(conn, sent, /^UID STORE 3 \+FLAGS\.SILENT \(\\Deleted\)$/)
        await answer(conn, sent, /^UID SEARCH DELETED$/, "* SEARCH 3")
        await answer(conn, sent, /^EXPUNGE$/, "* 3 EXPUNGE")
      })
      assert.isTrue(result.expunged)
      assert.strictEqual(sent.at(-1), "EXPUNGE")
    })
  )
})

describe("APPEND without UIDPLUS", () => {
  it.live("stores the message and reports no UID rather than guessing one", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, "IMAP4rev1 LITERAL+")
        const [tag, text] = await conn.command()
        const size = /^APPEND INBOX \{(\d+)\+\}$/.exec(text)?.[1]
        if (size === undefined) throw new Error(`expected APPEND with a LITERAL+ literal, got ${text}`)
        await conn.bytes(Number(size))
        await conn.line()
        await conn.send(`${tag} OK APPEND completed`)
        await Peer.acceptLogout(conn)
      })
      const result = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          return yield* client.append("INBOX", "Subject: hi\r\n\r\nbody\r\n")
        })
      )
      assert.deepStrictEqual(result, { uidValidity: undefined, uid: undefined })
    })
  )
})

describe("an ALERT while a mailbox is selected", () => {
  it.live("reaches the session's events instead of being taken into the mailbox snapshot", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect("SELECT INBOX")
        await conn.send(
          "* 2 EXISTS",
          "* OK [UIDVALIDITY 7] UIDs valid",
          "* OK [ALERT] This mailbox is about to be deleted",
          `${tag} OK [READ-WRITE] Select completed.`
        )
        await Peer.acceptLogout(conn)
      })
      const alerts = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const events = yield* client.events.pipe(
            Stream.filter((r) => r._tag === "UntaggedStatus" && r.code?._tag === "Alert"),
            Stream.take(1),
            Stream.runCollect,
            Effect.forkChild
          )
          yield* Effect.sleep("50 millis")
          const box = yield* client.select("INBOX")
          assert.strictEqual(box.exists, 2)
          return yield* Fiber.join(events).pipe(Effect.timeout("2 seconds"))
        })
      )
      assert.strictEqual(alerts.length, 1)
    })
  )
})
