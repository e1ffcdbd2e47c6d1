/**
 * What the client refuses to send, and how it says so: a value the encoder cannot put on the wire
 * fails with `InvalidInput` whose message names the field once (`Append.flags[0]: ...`); a message
 * with NUL bytes for a server without BINARY fails with `MissingCapability` (BINARY), a refusal
 * by the server's lack and not bad input; in both cases nothing of the command reaches the server,
 * and the session goes on. With BINARY the same message goes as a literal8 (`~{n+}`).
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, type ImapError, type ImapSession } from "@pkg/client"
import { Command, SequenceSet } from "@pkg/protocol"
import { Effect, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const withNul = "Subject: nul\r\n\r\nbefore\u0000after\r\n"

/**
 * A logged-in session on a server offering `caps` where the client sends nothing for `op`: the
 * next command the peer sees is the NOOP that follows it (after SELECT when `select` is set).
 */
const refusedBeforeSending = (
  caps: string,
  op: (client: ImapSession) => Effect.Effect<unknown, ImapError.ImapError>,
  select = false
) =>
  Effect.gen(function* () {
    const peer = yield* Peer.scoped(async (conn) => {
      await Peer.login(conn, caps)
      if (select) await Peer.acceptSelect(conn, 1)
      const noop = await conn.expect("NOOP")
      await conn.send(`${noop} OK NOOP completed`)
      await Peer.acceptLogout(conn)
    })
    return yield* Peer.check(
      peer,
      Effect.gen(function* () {
        const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
        if (select) yield* client.select("INBOX")
        const error = yield* op(client).pipe(Effect.flip)
        yield* client.noop()
        return error.reason
      })
    )
  })

describe("a value the encoder refuses", () => {
  it.live("fails APPEND with InvalidInput naming the flag's field once, sending nothing", () =>
    Effect.gen(function* () {
      const reason = yield* refusedBeforeSending(Peer.basicCapabilities, (client) =>
        client.append("INBOX", "Subject: x\r\n\r\nx\r\n", { flags: ["(x)"] })
      )
      assert.strictEqual(reason._tag, "InvalidInput")
      assert.strictEqual(reason.message, 'Append.flags[0]: not a flag or keyword: "(x)"')
    })
  )

  it.live("fails UID FETCH of UID 4294967296 with InvalidInput naming the set once, sending nothing", () =>
    Effect.gen(function* () {
      const reason = yield* refusedBeforeSending(
        Peer.basicCapabilities,
        (client) =>
          client
            .fetch(SequenceSet.single("uid", SequenceSet.Uid(4294967296)), [Command.Attr.uid])
            .pipe(Stream.runDrain),
        true
      )
      assert.strictEqual(reason._tag, "InvalidInput")
      assert.strictEqual(reason.message, "UidFetch.set: sequence set has a number outside 1..2^32-1")
    })
  )
})

describe("APPEND of a message with NUL bytes", () => {
  it.live("without BINARY fails with MissingCapability BINARY, sending nothing", () =>
    Effect.gen(function* () {
      const reason = yield* refusedBeforeSending(Peer.basicCapabilities, (client) => client.append("INBOX", withNul))
      assert.strictEqual(reason._tag, "MissingCapability")
      if (reason._tag === "MissingCapability") assert.strictEqual(reason.capability, "BINARY")
    })
  )

  it.live("with BINARY goes as a literal8 holding the bytes unchanged", () =>
    Effect.gen(function* () {
      const caps = `${Peer.basicCapabilities} BINARY`
      const size = Buffer.byteLength(withNul)
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, caps)
        const tag = await conn.expect(`APPEND INBOX ~{${size}+}`)
        const bytes = await conn.bytes(size)
        if (!bytes.equals(Buffer.from(withNul))) throw new Error("literal8 bytes differ")
        if ((await conn.line()) !== "") throw new Error("expected the command to end after the literal")
        await conn.send(`${tag} OK [APPENDUID 7 1] Append completed.`)
        await Peer.acceptLogout(conn)
      })
      const result = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          return yield* client.append("INBOX", withNul)
        })
      )
      assert.deepStrictEqual(result, { uidValidity: 7, uid: SequenceSet.Uid(1) })
    })
  )
})
