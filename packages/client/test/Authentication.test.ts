/**
 * Authentication on the wire: AUTHENTICATE PLAIN with and without SASL-IR (then the client waits for
 * `+`), XOAUTH2's failure challenge (answered with an empty line, then NO), LOGIN with a password
 * that needs a literal, LOGINDISABLED honoured before login, and secrecy: neither the trace nor an
 * error ever shows a password or token, raw or base64-encoded.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Effect, Redacted } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const password = "s3cret-Pa55word"
const token = "ya29.s3cret-access-token"
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64")

const optionsFor = (peer: Peer.ScriptedPeer, trace: Array<string>, auth: ImapConfig.Authentication) =>
  Peer.clientOptions(peer.port, { auth, trace: (d, l) => trace.push(`${d}: ${l}`) })

const oauth = (mechanism?: "XOAUTH2" | "OAUTHBEARER"): ImapConfig.Authentication => ({
  _tag: "OAuth2",
  user: "u@example.com",
  accessToken: Redacted.make(token),
  mechanism
})

/** No secret, in clear or in base64 (whole or as the SASL blob), anywhere in these strings. */
const assertNoSecret = (texts: ReadonlyArray<string>) => {
  const forbidden = [
    password,
    token,
    b64(`\u0000u\u0000${password}`),
    b64(`user=u@example.com\u0001auth=Bearer ${token}\u0001\u0001`)
  ]
  for (const t of texts) for (const f of forbidden) assert.notInclude(t, f)
}

describe("AUTHENTICATE PLAIN", () => {
  it.live("without SASL-IR sends the command alone, waits for `+`, then base64(\\0user\\0pass)", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 AUTH=PLAIN")
        const tag = await conn.expect("AUTHENTICATE PLAIN")
        await conn.expectSilence(100)
        await conn.send("+ ")
        const response = await conn.line()
        if (response !== b64(`\u0000u\u0000${password}`)) throw new Error(`wrong PLAIN response ${response}`)
        await conn.send(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer, trace, ImapConfig.password("u", password)))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
        })
      )
      assertNoSecret(trace)
      assert.include(trace, "C: A1 AUTHENTICATE PLAIN")
    })
  )

  it.live("with SASL-IR sends the initial response on the command line", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 SASL-IR AUTH=PLAIN")
        const tag = await conn.expect(`AUTHENTICATE PLAIN ${b64(`\u0000u\u0000${password}`)}`)
        await conn.send(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(peer, ImapClient.make(optionsFor(peer, trace, ImapConfig.password("u", password))))
      assertNoSecret(trace)
      assert.include(trace, "C: A1 AUTHENTICATE PLAIN <redacted>")
    })
  )

  it.live("a refused password is a non-retryable AuthenticationFailed that does not show the password", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 SASL-IR AUTH=PLAIN")
        const tag = await conn.expect(/^AUTHENTICATE PLAIN /)
        await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer, trace, ImapConfig.password("u", password))).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      if (error.reason._tag === "AuthenticationFailed") {
        assert.strictEqual(error.reason.mechanism, "PLAIN")
        assert.strictEqual(error.reason.code, "AUTHENTICATIONFAILED")
      }
      assert.isFalse(error.isRetryable)
      assertNoSecret([...trace, String(error), error.message, JSON.stringify(error)])
    })
  )
})

describe("XOAUTH2", () => {
  it.live("answers the JSON failure challenge with an empty line and fails with AuthenticationFailed", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 SASL-IR AUTH=XOAUTH2")
        const tag = await conn.expect(
          `AUTHENTICATE XOAUTH2 ${b64(`user=u@example.com\u0001auth=Bearer ${token}\u0001\u0001`)}`
        )
        await conn.send("+ eyJzdGF0dXMiOiI0MDAifQ==")
        const empty = await conn.line()
        if (empty !== "") throw new Error(`expected an empty line, got ${empty}`)
        await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)`)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer, trace, oauth())).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      if (error.reason._tag === "AuthenticationFailed") assert.strictEqual(error.reason.mechanism, "XOAUTH2")
      assert.isFalse(error.isRetryable)
      yield* Peer.finished(peer)
      assertNoSecret([...trace, String(error), error.message, JSON.stringify(error)])
      assert.include(trace, "C: A1 AUTHENTICATE XOAUTH2 <redacted>")
    })
  )

  it.live("without SASL-IR sends the token only after `+`, and keeps it out of the trace", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 AUTH=XOAUTH2")
        const tag = await conn.expect("AUTHENTICATE XOAUTH2")
        await conn.send("+ ")
        const response = await conn.line()
        if (response !== b64(`user=u@example.com\u0001auth=Bearer ${token}\u0001\u0001`)) {
          throw new Error(`wrong XOAUTH2 response ${response}`)
        }
        await conn.send(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] Success`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(peer, ImapClient.make(optionsFor(peer, trace, oauth("XOAUTH2"))))
      assertNoSecret(trace)
    })
  )

  it.live("OAUTHBEARER answers the error challenge with the %x01 dummy response (RFC 7628 3.2.3)", () =>
    Effect.gen(function* () {
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 SASL-IR AUTH=OAUTHBEARER")
        const [tag, rest] = await conn.command()
        const blob = /^AUTHENTICATE OAUTHBEARER (\S+)$/.exec(rest)?.[1]
        const decoded = Buffer.from(blob ?? "", "base64").toString("utf8")
        if (!decoded.startsWith("n,a=u@example.com,\u0001") || !decoded.endsWith(`auth=Bearer ${token}\u0001\u0001`)) {
          throw new Error(`unexpected OAUTHBEARER response ${JSON.stringify(decoded)}`)
        }
        await conn.send(`+ ${b64('{"status":"invalid_token","scope":"mail"}')}`)
        const dummy = await conn.line()
        if (dummy !== b64("\u0001")) throw new Error(`expected base64(%x01), got ${JSON.stringify(dummy)}`)
        await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed`)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer, trace, oauth("OAUTHBEARER"))).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      yield* Peer.finished(peer)
      assertNoSecret([...trace, String(error)])
    })
  )

  it.live("fails with MissingCapability, sending nothing, when the server offers no AUTH=XOAUTH2", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 AUTH=PLAIN")
        await conn.ended
        if (conn.received.length > 0) throw new Error(`client sent ${conn.received.join(" | ")}`)
      })
      const error = yield* ImapClient.make(optionsFor(peer, [], oauth())).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "MissingCapability")
      yield* Peer.finished(peer)
    })
  )
})

describe("LOGIN", () => {
  it.live("refuses LOGIN when the server says LOGINDISABLED before authentication, sending nothing", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS LOGINDISABLED")
        await conn.ended
        if (conn.received.length > 0) throw new Error(`client sent ${conn.received.join(" | ")}`)
      })
      const error = yield* ImapClient.make(optionsFor(peer, [], ImapConfig.password("u", password))).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "MissingCapability")
      assert.isFalse(error.isRetryable)
      yield* Peer.finished(peer)
    })
  )

  it.live("a refused login leaves the session NotAuthenticated with its capabilities, so login can be retried", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 IDLE")
        const first = await conn.expect("LOGIN u wrong")
        await conn.send(`${first} NO [AUTHENTICATIONFAILED] Authentication failed.`)
        const second = await conn.expect(`LOGIN u ${password}`)
        await conn.send(`${second} OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make({
            ...optionsFor(peer, [], ImapConfig.password("u", password)),
            auth: undefined
          })
          const error = yield* client.login(ImapConfig.password("u", "wrong")).pipe(Effect.flip)
          assert.strictEqual(error.reason._tag, "AuthenticationFailed")
          assert.strictEqual((yield* client.currentState)._tag, "NotAuthenticated")
          assert.isTrue((yield* client.capabilities).has("IDLE"))
          yield* client.login(ImapConfig.password("u", password))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          assert.isTrue((yield* client.capabilities).has("MOVE"))
        })
      )
    })
  )

  it.live("sends a non-ASCII password as a synchronising literal after `+`, redacted in the trace", () =>
    Effect.gen(function* () {
      const secret = "pässwörd-ünïcode"
      const bytes = Buffer.byteLength(secret)
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1")
        const tag = await conn.expect(`LOGIN u {${bytes}}`)
        await conn.send("+ OK")
        const literal = await conn.bytes(bytes)
        if (literal.toString("utf8") !== secret) throw new Error("wrong password bytes")
        const rest = await conn.line()
        if (rest !== "") throw new Error(`expected the end of the command, got ${rest}`)
        await conn.send(`${tag} OK [CAPABILITY IMAP4rev1] Logged in`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(peer, ImapClient.make(optionsFor(peer, trace, ImapConfig.password("u", secret))))
      for (const line of trace) assert.notInclude(line, secret)
    })
  )
})
