/**
 * OAuth with a token provider: the provider is asked once per connection and once more when the
 * server refuses its token (then AUTHENTICATE again on the same connection), for XOAUTH2 and
 * OAUTHBEARER; a second refusal is a final AuthenticationFailed; a provider that fails gives a typed
 * TokenUnavailable and sends nothing; a throttled AUTHENTICATE does not burn a token. The watcher,
 * forced to reconnect after its token expired, asks for a fresh one and delivers every message once.
 * No token appears in a trace or an error.
 */
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, ImapConfig, ImapError, Watcher } from "@pkg/client"
import { ConfigProvider, Effect, Redacted, Ref, Schedule, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

type Mechanism = "XOAUTH2" | "OAUTHBEARER"
const mechanisms: ReadonlyArray<Mechanism> = ["XOAUTH2", "OAUTHBEARER"]
const user = "u@example.com"
const tokenOf = (n: number) => `ya29.s3cret-token-${n}`
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64")

/** A provider that hands out tokenOf(1), tokenOf(2), ... and counts its calls. */
const counting = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const provider: ImapConfig.TokenProvider = Ref.updateAndGet(calls, (n) => n + 1).pipe(
    Effect.map((n) => Redacted.make(tokenOf(n)))
  )
  return { calls, provider }
})

/** The bearer token inside an AUTHENTICATE line's SASL-IR blob (XOAUTH2 or RFC 7628 OAUTHBEARER). */
const bearerIn = (mechanism: Mechanism, line: string): string => {
  const blob = new RegExp(`^AUTHENTICATE ${mechanism} (\\S+)$`).exec(line)?.[1]
  if (blob === undefined) throw new Error(`expected AUTHENTICATE ${mechanism} with an initial response, got ${line}`)
  const decoded = Buffer.from(blob, "base64").toString("utf8")
  const prefix = mechanism === "XOAUTH2" ? `user=${user}\u0001` : `n,a=${user},\u0001`
  const token = /auth=Bearer ([^\u0001]*)\u0001\u0001$/.exec(decoded)?.[1]
  if (!decoded.startsWith(prefix) || token === undefined) throw new Error(`malformed ${mechanism} response`)
  return token
}

const capabilitiesFor = (mechanism: Mechanism) => `IMAP4rev1 SASL-IR AUTH=${mechanism} LITERAL+ IDLE`

/** Reads AUTHENTICATE, records its token, and accepts it. */
const acceptToken = async (conn: Peer.PeerConnection, mechanism: Mechanism, seen: Array<string>) => {
  const [tag, line] = await conn.command()
  seen.push(bearerIn(mechanism, line))
  await conn.send(`${tag} OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] Success`)
}

/** Reads AUTHENTICATE, records its token, and refuses it as Gmail does (JSON challenge, then NO). */
const refuseToken = async (conn: Peer.PeerConnection, mechanism: Mechanism, seen: Array<string>) => {
  const [tag, line] = await conn.command()
  seen.push(bearerIn(mechanism, line))
  await conn.send(`+ ${b64('{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}')}`)
  const answer = await conn.line()
  const expected = mechanism === "XOAUTH2" ? "" : b64("\u0001")
  if (answer !== expected) throw new Error(`expected ${JSON.stringify(expected)} after the challenge, got ${answer}`)
  await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)`)
}

const optionsFor = (port: number, auth: ImapConfig.Authentication, trace?: Array<string>) =>
  Peer.clientOptions(port, {
    auth,
    ...(trace === undefined ? {} : { trace: (d: "C" | "S", l: string) => trace.push(`${d}: ${l}`) })
  })

const assertNoToken = (texts: ReadonlyArray<string>) => {
  for (const t of texts) for (let n = 1; n <= 5; n++) assert.notInclude(t, tokenOf(n))
}

describe("a token provider on one connection", () => {
  for (const mechanism of mechanisms) {
    it.live(`${mechanism}: a refused token makes the client ask the provider again and AUTHENTICATE once more`, () =>
      Effect.gen(function* () {
        const { calls, provider } = yield* counting
        const seen: Array<string> = []
        const trace: Array<string> = []
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.greet(conn, capabilitiesFor(mechanism))
          await refuseToken(conn, mechanism, seen)
          await acceptToken(conn, mechanism, seen)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(
              optionsFor(peer.port, ImapConfig.oauth2(user, provider, { mechanism }), trace)
            )
            assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          })
        )
        assert.deepStrictEqual(seen, [tokenOf(1), tokenOf(2)])
        assert.strictEqual(yield* Ref.get(calls), 2)
        assertNoToken(trace)
        assert.include(trace, `C: A1 AUTHENTICATE ${mechanism} <redacted>`)
      })
    )
  }

  it.live("a second refusal is a final AuthenticationFailed; the provider was asked exactly twice", () =>
    Effect.gen(function* () {
      const { calls, provider } = yield* counting
      const seen: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, capabilitiesFor("XOAUTH2"))
        await refuseToken(conn, "XOAUTH2", seen)
        await refuseToken(conn, "XOAUTH2", seen)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer.port, ImapConfig.oauth2(user, provider))).pipe(
        Effect.scoped,
        Effect.flip
      )
      yield* Peer.finished(peer)
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      assert.isFalse(error.isRetryable)
      assert.deepStrictEqual(seen, [tokenOf(1), tokenOf(2)])
      assert.strictEqual(yield* Ref.get(calls), 2)
      assertNoToken([String(error), error.message, JSON.stringify(error)])
    })
  )

  it.live("a throttled AUTHENTICATE is Throttled at once: the provider is not asked again", () =>
    Effect.gen(function* () {
      const { calls, provider } = yield* counting
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, capabilitiesFor("XOAUTH2"))
        const tag = await conn.expect(/^AUTHENTICATE XOAUTH2 /)
        await conn.send(`${tag} NO [ALERT] Too many simultaneous connections. (Failure)`)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer.port, ImapConfig.oauth2(user, provider))).pipe(
        Effect.scoped,
        Effect.flip
      )
      yield* Peer.finished(peer)
      assert.strictEqual(error.reason._tag, "Throttled")
      assert.strictEqual(yield* Ref.get(calls), 1)
    })
  )

  for (const retryable of [true, false]) {
    it.live(`a provider that fails gives TokenUnavailable (retryable: ${retryable}) and sends no command`, () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.greet(conn, capabilitiesFor("OAUTHBEARER"))
          await conn.ended
          if (conn.received.length > 0) throw new Error(`client sent ${conn.received.join(" | ")}`)
        })
        const provider: ImapConfig.TokenProvider = Effect.fail(
          new ImapError.TokenUnavailable({ message: "token endpoint answered 503", retryable })
        )
        const error = yield* ImapClient.make(optionsFor(peer.port, ImapConfig.oauth2(user, provider))).pipe(
          Effect.scoped,
          Effect.flip
        )
        yield* Peer.finished(peer)
        assert.strictEqual(error.reason._tag, "TokenUnavailable")
        assert.strictEqual(error.isRetryable, retryable)
        assert.include(error.message, "token endpoint answered 503")
      })
    )
  }

  it.live("a fixed token is sent as given, and the provider-less refusal is not retried", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, capabilitiesFor("XOAUTH2"))
        await refuseToken(conn, "XOAUTH2", seen)
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer.port, ImapConfig.oauth2(user, tokenOf(1)))).pipe(
        Effect.scoped,
        Effect.flip
      )
      yield* Peer.finished(peer)
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      assert.deepStrictEqual(seen, [tokenOf(1)])
    })
  )

  it.effect("IMAP_ACCESS_TOKEN still configures a fixed token through ImapConfig.fromConfig", () =>
    Effect.gen(function* () {
      const options = yield* ImapConfig.load().pipe(
        Effect.provide(
          ConfigProvider.layer(
            ConfigProvider.fromUnknown({
              IMAP_HOST: "imap.example.com",
              IMAP_USER: user,
              IMAP_ACCESS_TOKEN: tokenOf(1),
              IMAP_AUTH_MECHANISM: "OAUTHBEARER"
            })
          )
        )
      )
      const auth = options.auth
      assert.strictEqual(auth?._tag, "OAuth2")
      if (auth?._tag === "OAuth2") {
        assert.strictEqual(auth.mechanism, "OAUTHBEARER")
        assert.isFalse(ImapConfig.isTokenProvider(auth.accessToken))
        if (!ImapConfig.isTokenProvider(auth.accessToken)) {
          assert.strictEqual(Redacted.value(auth.accessToken), tokenOf(1))
        }
      }
    })
  )
})

const fetched = (uid: number) =>
  `* ${uid} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "s${uid}" NIL NIL NIL NIL NIL NIL NIL NIL) RFC822.SIZE 10 INTERNALDATE "26-Nov-2026 10:00:00 +0000")`

const acceptExamine = async (conn: Peer.PeerConnection, exists: number) => {
  const tag = await conn.expect("EXAMINE INBOX")
  await conn.send(
    `* ${exists} EXISTS`,
    "* OK [UIDVALIDITY 7] UIDs valid",
    `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
    `${tag} OK [READ-ONLY] Examine completed.`
  )
}

describe("the watcher with a token provider", () => {
  for (const mechanism of mechanisms) {
    it.live(
      `${mechanism}: after a forced reconnect whose first token is refused, it asks again and delivers each message once`,
      () =>
        Effect.gen(function* () {
          const { calls, provider } = yield* counting
          const seen: Array<Array<string>> = [[], []]
          const fetches: Array<string> = []
          const peer = yield* Peer.scoped(async (conn, index) => {
            await Peer.greet(conn, capabilitiesFor(mechanism))
            if (index === 0) {
              await acceptToken(conn, mechanism, seen[0]!)
              await acceptExamine(conn, 1)
              fetches.push(await Peer.answer(conn, [fetched(1)]))
              await Peer.acceptIdle(conn)
              // The token has expired meanwhile; the connection drops.
              await new Promise((resolve) => setTimeout(resolve, 100))
              conn.destroy()
              return
            }
            await refuseToken(conn, mechanism, seen[1]!)
            await acceptToken(conn, mechanism, seen[1]!)
            await acceptExamine(conn, 2)
            fetches.push(await Peer.answer(conn, [fetched(2)]))
            // The consumer has its two messages: it may stop before or after IDLE goes out.
            const [tag, command] = await conn.command()
            if (command === "IDLE") {
              await conn.send("+ idling")
              await Peer.acceptDone(conn, tag, 10_000)
              await Peer.acceptLogout(conn)
            } else if (command === "LOGOUT") {
              await conn.send("* BYE Logging out", `${tag} OK Logout completed.`)
            } else throw new Error(`expected IDLE or LOGOUT, got ${command}`)
          })
          const got = yield* Watcher.watch({
            client: optionsFor(peer.port, ImapConfig.oauth2(user, provider, { mechanism })),
            reconnect: Schedule.spaced("50 millis"),
            sinceUid: 0
          }).pipe(Stream.take(2), Stream.runCollect, Effect.provide(Checkpoint.layerMemory))
          yield* Peer.finished(peer)
          assert.deepStrictEqual(
            got.map((m) => Number(m.uid)),
            [1, 2]
          )
          assert.deepStrictEqual(
            fetches.map((c) => /^UID FETCH (\S+) /.exec(c)?.[1]),
            ["1:*", "2:*"]
          )
          // One token per connection, and one more for the refused one.
          assert.deepStrictEqual(seen, [[tokenOf(1)], [tokenOf(2), tokenOf(3)]])
          assert.strictEqual(yield* Ref.get(calls), 3)
          assert.strictEqual(peer.connections(), 2)
        })
    )
  }
})
