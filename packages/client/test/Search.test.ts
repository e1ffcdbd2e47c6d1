/**
 * UID SEARCH against scripted servers: non-ASCII text goes with CHARSET UTF-8 unless UTF8=ACCEPT is
 * enabled (Cyrus reads it as US-ASCII otherwise and finds nothing), a BADCHARSET refusal says so,
 * ESEARCH is used where offered (a result too long for one SEARCH line comes back as a set), its
 * reply is matched by TAG and checked against the mailbox size, and the line limit is an option.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { SearchKey } from "@pkg/protocol"
import { Effect } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

/** SELECT INBOX answered with `exists` messages. */
const loginAndSelect = async (conn: Peer.PeerConnection, capabilities: string, exists: number) => {
  await Peer.login(conn, capabilities)
  await Peer.acceptSelect(conn, exists)
}

/** Reads `UID SEARCH <prefix> SUBJECT {n+}` and the literal; returns [tag, prefix, literal text]. */
const readTextSearch = async (conn: Peer.PeerConnection) => {
  const [tag, text] = await conn.command()
  const m = /^UID SEARCH (.*)SUBJECT \{(\d+)\+\}$/.exec(text)
  if (m === null) throw new Error(`unexpected search: ${text}`)
  const literal = (await conn.bytes(Number(m[2]) + 2)).subarray(0, -2).toString("utf8")
  return [tag, m[1], literal] as const
}

describe("search charset", () => {
  it.live("sends non-ASCII text with CHARSET UTF-8 to a server without UTF8=ACCEPT", () =>
    Effect.gen(function* () {
      const sent: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, Peer.basicCapabilities, 3)
        const [tag, prefix, literal] = await readTextSearch(conn)
        sent.push(`${prefix}SUBJECT ${literal}`)
        await conn.send("* SEARCH 2", `${tag} OK Completed`)
        // ASCII text needs no charset.
        const ascii = await conn.expect(/^UID SEARCH SUBJECT Koln$/)
        await conn.send("* SEARCH 3", `${ascii} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          assert.deepStrictEqual((yield* client.search(SearchKey.subject("Köln"))).map(Number), [2])
          assert.deepStrictEqual((yield* client.search(SearchKey.subject("Koln"))).map(Number), [3])
        })
      )
      assert.deepStrictEqual(sent, ["CHARSET UTF-8 SUBJECT Köln"])
    })
  )

  it.live("sends no CHARSET once UTF8=ACCEPT is enabled (RFC 6855 3)", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        const caps = `${Peer.basicCapabilities} ENABLE UTF8=ACCEPT`
        await Peer.greet(conn, caps)
        await Peer.acceptLogin(conn, caps)
        const enable = await conn.expect("ENABLE UTF8=ACCEPT")
        await conn.send("* ENABLED UTF8=ACCEPT", `${enable} OK Enabled`)
        await Peer.acceptSelect(conn, 3)
        const tag = await conn.expect('UID SEARCH SUBJECT "Köln"')
        await conn.send("* SEARCH 1", `${tag} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { enable: ["UTF8=ACCEPT"] }))
          yield* client.select("INBOX")
          assert.deepStrictEqual((yield* client.search(SearchKey.subject("Köln"))).map(Number), [1])
        })
      )
    })
  )

  it.live("reports a BADCHARSET refusal as CommandFailed with that code and says why", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, Peer.basicCapabilities, 3)
        const [tag] = await readTextSearch(conn)
        await conn.send(`${tag} NO [BADCHARSET (US-ASCII)] Unrecognized character set`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const error = yield* client.search(SearchKey.subject("Köln")).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "CommandFailed")
          assert.strictEqual(error.reason._tag === "CommandFailed" ? error.reason.code : "", "BADCHARSET")
          assert.include(error.message, "non-ASCII")
          assert.isFalse(error.isRetryable)
        })
      )
    })
  )
})

describe("ESEARCH", () => {
  const esearchCaps = `${Peer.basicCapabilities} ESEARCH`

  it.live("asks RETURN (ALL) where ESEARCH is offered and expands the set it gets back", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, esearchCaps, 150_000)
        const tag = await conn.expect("UID SEARCH RETURN (ALL) ALL")
        // Another command's reply (another TAG) is not ours.
        await conn.send('* ESEARCH (TAG "X9") UID ALL 7', `* ESEARCH (TAG "${tag}") UID ALL 1:149999,150001`)
        await conn.send(`${tag} OK Completed`)
        const empty = await conn.expect("UID SEARCH RETURN (ALL) UNSEEN")
        await conn.send(`* ESEARCH (TAG "${empty}") UID`, `${empty} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const all = yield* client.search(SearchKey.all)
          assert.strictEqual(all.length, 150_000)
          assert.deepStrictEqual(all.slice(0, 2).map(Number), [1, 2])
          assert.deepStrictEqual(all.slice(-2).map(Number), [149_999, 150_001])
          assert.deepStrictEqual(yield* client.search(SearchKey.unseen), [])
        })
      )
    })
  )

  it.live("gives MIN, MAX and COUNT without the UIDs, from ESEARCH or from a plain SEARCH", () =>
    Effect.gen(function* () {
      const script = (caps: string) => async (conn: Peer.PeerConnection) => {
        await loginAndSelect(conn, caps, 10)
        const [tag, text] = await conn.command()
        if (caps === esearchCaps) {
          if (text !== "UID SEARCH RETURN (MIN MAX COUNT) UNSEEN") throw new Error(`unexpected: ${text}`)
          await conn.send(`* ESEARCH (TAG "${tag}") UID MIN 3 MAX 9 COUNT 4`, `${tag} OK Completed`)
        } else {
          if (text !== "UID SEARCH UNSEEN") throw new Error(`unexpected: ${text}`)
          await conn.send("* SEARCH 9 3 5 7", `${tag} OK Completed`)
        }
        await Peer.acceptLogout(conn)
      }
      for (const caps of [esearchCaps, Peer.basicCapabilities]) {
        const peer = yield* Peer.scoped(script(caps))
        const result = yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
            yield* client.select("INBOX")
            return yield* client.searchSummary(SearchKey.unseen, ["MIN", "MAX", "COUNT"])
          })
        )
        assert.deepStrictEqual(
          { min: Number(result.min), max: Number(result.max), count: result.count, all: result.all },
          { min: 3, max: 9, count: 4, all: undefined },
          caps
        )
      }
    })
  )

  it.live("refuses an ESEARCH ALL naming more UIDs than the mailbox holds (a hostile 1:4294967295)", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, esearchCaps, 3)
        const tag = await conn.expect("UID SEARCH RETURN (ALL) ALL")
        await conn.send(`* ESEARCH (TAG "${tag}") UID ALL 1:4294967295`, `${tag} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const error = yield* client.search(SearchKey.all).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "ProtocolFailed")
          assert.include(error.message, "4294967295 UIDs in a mailbox of 3 messages")
        })
      )
    })
  )
})

describe("line limit", () => {
  it.live("reads a SEARCH reply longer than the default 1 MiB line when the limit is raised", () =>
    Effect.gen(function* () {
      const count = 200_000
      const ids = Array.from({ length: count }, (_, i) => String(i * 2 + 1)).join(" ")
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, Peer.basicCapabilities, count)
        const tag = await conn.expect("UID SEARCH ALL")
        await conn.send(`* SEARCH ${ids}`, `${tag} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      assert.isAbove(ids.length, 1024 * 1024)
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(
            Peer.clientOptions(peer.port, { limits: { maxLineLength: 4 * 1024 * 1024 } })
          )
          yield* client.select("INBOX")
          const found = yield* client.search(SearchKey.all)
          assert.strictEqual(found.length, count)
          assert.strictEqual(Number(found[count - 1]), count * 2 - 1)
        })
      )
    })
  )

  it.live("fails with ProtocolFailed, not a hang, when a line exceeds a lowered limit", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await loginAndSelect(conn, Peer.basicCapabilities, 1000)
        const tag = await conn.expect("UID SEARCH ALL")
        await conn.send(`* SEARCH ${Array.from({ length: 1000 }, (_, i) => i + 1).join(" ")}`, `${tag} OK`)
        await conn.ended
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { limits: { maxLineLength: 1024 } }))
          yield* client.select("INBOX")
          const error = yield* client.search(SearchKey.all).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "ProtocolFailed")
        })
      )
    })
  )
})
