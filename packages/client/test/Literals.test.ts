/**
 * How a value that needs a literal goes on the wire, by what the server offers (RFC 7888): with
 * LITERAL+ a non-synchronising `{n+}` followed at once by the bytes; with LITERAL- the same up to
 * 4096 bytes and a synchronising `{n}` above; with neither a synchronising `{n}` whose bytes wait
 * for the server's `+`, and are never sent when the server answers with a tagged NO instead.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig, type ImapSession } from "@pkg/client"
import { Effect } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

const encoder = new TextEncoder()
const byteLength = (s: string) => encoder.encode(s).length

/** Non-ASCII: a quoted string cannot carry it without UTF8=ACCEPT, so the encoder picks a literal. */
const literalPassword = "pässwörd-ß"
/** A SP makes it a string, and past 1024 bytes a string goes as a literal. */
const longName = (c: string) => `Long ${c.repeat(1100)}`
const message = (size: number) => {
  const head = "Subject: literal\r\n\r\n"
  return head + "x".repeat(size - head.length)
}

/** Reads a command line that ends in a literal marker; fails the script if it does not. */
const literalCommand = async (conn: Peer.PeerConnection, before: RegExp) => {
  const [tag, text] = await conn.command()
  const m = /^(.*)\{(\d+)(\+?)\}$/.exec(text)
  if (m === null || !before.test(m[1]!)) throw new Error(`expected ${before} and a literal, got ${text}`)
  return { tag, size: Number(m[2]), nonSync: m[3] === "+" }
}

/** The literal's bytes arrive without any `+` from us (a client waiting for one would time out here). */
const readUnprompted = async (conn: Peer.PeerConnection, size: number) => conn.bytes(size, 1000)

/** A synchronising literal: nothing follows the marker until we say `+`; then exactly `size` bytes do. */
const readAfterContinuation = async (conn: Peer.PeerConnection, size: number) => {
  await conn.expectSilence(200)
  await conn.send("+ Ready for literal data")
  return conn.bytes(size)
}

/** The CRLF that ends a command after its last literal. */
const endOfCommand = async (conn: Peer.PeerConnection) => {
  const rest = await conn.line()
  if (rest !== "") throw new Error(`expected the command to end after the literal, got ${JSON.stringify(rest)}`)
}

/**
 * Reads a command that ends in one literal holding `expected`: its marker must be `{n+}` (the bytes
 * then follow unprompted) or `{n}` (they wait for our `+`), as `kind` says, with n its UTF-8 size,
 * and the command must end right after it. Returns the tag.
 */
const acceptLiteral = async (
  conn: Peer.PeerConnection,
  before: RegExp,
  kind: "unprompted" | "after +",
  expected: string
): Promise<string> => {
  const { tag, size, nonSync } = await literalCommand(conn, before)
  const n = byteLength(expected)
  if (nonSync !== (kind === "unprompted") || size !== n) {
    throw new Error(`expected {${n}${kind === "unprompted" ? "+" : ""}}, got {${size}${nonSync ? "+" : ""}}`)
  }
  const bytes = kind === "unprompted" ? await readUnprompted(conn, size) : await readAfterContinuation(conn, size)
  if (bytes.toString("utf8") !== expected) throw new Error("literal bytes differ")
  await endOfCommand(conn)
  return tag
}

const auth = ImapConfig.password("u", literalPassword)

/**
 * A logged-in session on a server offering `caps`, where `op` must send one command that ends in a
 * single literal holding `payload`, marked as `kind` says (see `acceptLiteral`).
 */
const sendsOneLiteral = (
  caps: string,
  before: RegExp,
  kind: "unprompted" | "after +",
  payload: string,
  op: (client: ImapSession) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function* () {
    const peer = yield* Peer.scoped(async (conn) => {
      await Peer.login(conn, caps)
      const tag = await acceptLiteral(conn, before, kind, payload)
      await conn.send(`${tag} OK completed`)
      await Peer.acceptLogout(conn)
    })
    yield* Peer.check(
      peer,
      Effect.gen(function* () {
        yield* op(yield* ImapClient.make(Peer.clientOptions(peer.port)))
      })
    )
  })

describe("with LITERAL+", () => {
  const caps = "IMAP4rev1 LITERAL+"

  it.live("sends a LOGIN password that needs a literal as {n+} followed at once by its bytes, unprompted", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, caps)
        const tag = await acceptLiteral(conn, /^LOGIN u $/, "unprompted", literalPassword)
        await conn.send(`${tag} OK [CAPABILITY ${caps}] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(
            Peer.clientOptions(peer.port, { auth, trace: (direction, line) => direction === "C" && trace.push(line) })
          )
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
        })
      )
      assert.include(trace, "A1 LOGIN u <redacted>")
      assert.isFalse(trace.some((l) => l.includes(literalPassword)))
    })
  )

  it.live("sends an APPEND message above 4096 bytes as {n+} too, without waiting for `+`", () => {
    const body = message(10_000)
    return sendsOneLiteral(caps, /^APPEND INBOX $/, "unprompted", body, (client) => client.append("INBOX", body))
  })

  it.live("sends a mailbox name longer than a quoted string may be as {n+}", () => {
    const name = longName("a")
    return sendsOneLiteral(caps, /^CREATE $/, "unprompted", name, (client) => client.create(name))
  })
})

describe("with LITERAL-", () => {
  const caps = "IMAP4rev1 LITERAL-"

  it.live("sends a literal of exactly 4096 bytes as {4096+}, without waiting for `+`", () => {
    const body = message(4096)
    return sendsOneLiteral(caps, /^APPEND INBOX $/, "unprompted", body, (client) => client.append("INBOX", body))
  })

  it.live("sends a literal of 4097 bytes as a synchronising {4097} and its bytes only after `+`", () => {
    const body = message(4097)
    return sendsOneLiteral(caps, /^APPEND INBOX $/, "after +", body, (client) => client.append("INBOX", body))
  })
})

describe("with neither LITERAL+ nor LITERAL-", () => {
  const caps = "IMAP4rev1"

  it.live("sends a LOGIN password that needs a literal as a synchronising {n} and its bytes only after `+`", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, caps)
        const tag = await acceptLiteral(conn, /^LOGIN u $/, "after +", literalPassword)
        await conn.send(`${tag} OK [CAPABILITY ${caps}] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth }))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
        })
      )
    })
  )

  it.live("waits for a `+` before each literal of a command that has two (RENAME of two long names)", () =>
    Effect.gen(function* () {
      const from = longName("a")
      const to = longName("b")
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, caps)
        const first = await literalCommand(conn, /^RENAME $/)
        if (first.nonSync || first.size !== from.length) throw new Error("bad first marker")
        const firstBytes = await readAfterContinuation(conn, first.size)
        if (firstBytes.toString("utf8") !== from) throw new Error("first name differs")
        // The rest of the line announces the second literal; its bytes wait for a second `+`.
        const second = await conn.line()
        if (second !== ` {${to.length}}`) throw new Error(`expected the second marker, got ${second.slice(0, 40)}`)
        if ((await readAfterContinuation(conn, to.length)).toString("utf8") !== to) {
          throw new Error("second name differs")
        }
        await endOfCommand(conn)
        await conn.send(`${first.tag} OK RENAME completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.rename(from, to)
        })
      )
    })
  )

  it.live(
    "a LOGIN answered with a tagged NO instead of `+` fails with AuthenticationFailed, never sends the password, and a retry works",
    () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.greet(conn, caps)
          const { tag, nonSync } = await literalCommand(conn, /^LOGIN u $/)
          if (nonSync) throw new Error("expected a synchronising literal")
          await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`)
          // Had the password followed, it would be the next line instead of the retry.
          await Peer.acceptLogin(conn, caps)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: undefined }))
            const error = yield* client.login(ImapConfig.password("u", literalPassword)).pipe(Effect.flip)
            assert.strictEqual(error.reason._tag, "AuthenticationFailed")
            if (error.reason._tag === "AuthenticationFailed")
              assert.strictEqual(error.reason.code, "AUTHENTICATIONFAILED")
            assert.isFalse(SessionConnection.of(client).isClosed())
            yield* client.login(ImapConfig.password("u", "p"))
            assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          })
        )
        assert.isFalse(peer.received.some((l) => l.includes(literalPassword)))
      })
  )

  it.live("a CREATE answered with a tagged NO instead of `+` fails with CommandFailed and sends no name", () =>
    Effect.gen(function* () {
      const name = longName("c")
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, caps)
        const { tag, nonSync } = await literalCommand(conn, /^CREATE $/)
        if (nonSync) throw new Error("expected a synchronising literal")
        await conn.send(`${tag} NO [LIMIT] Mailbox name too long`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const error = yield* client.create(name).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "CommandFailed")
          if (error.reason._tag === "CommandFailed") {
            assert.deepStrictEqual(
              [error.reason.command, error.reason.status, error.reason.code],
              ["CREATE", "NO", "LIMIT"]
            )
          }
          yield* client.noop()
        })
      )
    })
  )
})
