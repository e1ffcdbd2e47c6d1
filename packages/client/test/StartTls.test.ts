/**
 * STARTTLS against a scripted peer that really upgrades (node:tls, a self-signed certificate made by
 * openssl): refused when not offered or after PREAUTH, plaintext injected behind the OK is thrown
 * away (CVE-2011-0411), capabilities learned in clear text are forgotten and asked again over TLS,
 * credentials only ever go out encrypted, and an untrusted certificate is a non-retryable TlsFailed.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, type ImapConfig } from "@pkg/client"
import { Effect } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const optionsFor = (
  peer: Peer.ScriptedPeer,
  ca: string | undefined,
  trace: Array<string>,
  extra?: Partial<ImapConfig.ImapClientOptions>
) =>
  Peer.clientOptions(peer.port, {
    tls: "starttls",
    tlsOptions: { servername: "localhost", ...(ca !== undefined ? { ca } : {}) },
    trace: (d, l) => trace.push(`${d}: ${l}`),
    ...extra
  })

/** Fails the script if the client sent anything before closing. */
const expectNothing = async (conn: Peer.PeerConnection) => {
  await conn.ended
  if (conn.received.length > 0 || conn.buffered() > 0) throw new Error(`client sent ${conn.received.join(" | ")}`)
}

describe("STARTTLS", () => {
  it.live("upgrades, drops plaintext injected after the OK, asks CAPABILITY again, then logs in over TLS", () =>
    Effect.gen(function* () {
      const { cert } = yield* Effect.promise(() => Peer.certificate())
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS LOGINDISABLED XPLAIN")
        const tag = await conn.expect("STARTTLS")
        // A man in the middle appends responses to the OK, in the same segment: a complete one and
        // the start of another. None of it may survive the upgrade.
        await conn.sendRaw(`${tag} OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 XINJECTED\r\n* OK [ALERT] ha`)
        await conn.startTls()
        const caps = await conn.expect("CAPABILITY")
        await conn.send("* CAPABILITY IMAP4rev1 IDLE XSECURE", `${caps} OK Capability completed.`)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK [CAPABILITY IMAP4rev1 IDLE XSECURE XPOSTLOGIN] Logged in`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer, cert, trace))
          const caps = yield* client.capabilities
          assert.isTrue(caps.has("XPOSTLOGIN"))
          assert.isFalse(caps.has("XINJECTED"))
          // LOGINDISABLED was a clear-text capability: forgotten after TLS, so LOGIN was allowed.
          assert.isFalse(caps.has("LOGINDISABLED"))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          yield* client.noop()
        })
      )
      const sent = trace.filter((l) => l.startsWith("C: "))
      assert.deepStrictEqual(sent.slice(0, 3), ["C: T1 STARTTLS", "C: A1 CAPABILITY", "C: A2 LOGIN u <redacted>"])
    })
  )

  it.live("asks CAPABILITY first when the greeting has none, then upgrades", () =>
    Effect.gen(function* () {
      const { cert } = yield* Effect.promise(() => Peer.certificate())
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* OK plain greeting")
        const caps = await conn.expect("CAPABILITY")
        await conn.send("* CAPABILITY IMAP4rev1 STARTTLS", `${caps} OK done`)
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} OK Begin TLS negotiation now.`)
        await conn.startTls()
        const again = await conn.expect("CAPABILITY")
        await conn.send("* CAPABILITY IMAP4rev1", `${again} OK done`)
        await Peer.acceptLogin(conn)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(peer, ImapClient.make(optionsFor(peer, cert, [])))
    })
  )

  it.live("refuses with MissingCapability, before sending credentials, when STARTTLS is not offered", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 AUTH=PLAIN")
        await expectNothing(conn)
      })
      const error = yield* ImapClient.make(optionsFor(peer, undefined, [])).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "MissingCapability")
      if (error.reason._tag === "MissingCapability") assert.strictEqual(error.reason.capability, "STARTTLS")
      assert.isFalse(error.isRetryable)
      yield* Peer.finished(peer)
    })
  )

  it.live("refuses with TlsFailed when the server answers STARTTLS with NO", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS")
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} NO TLS not available right now`)
        await conn.ended
        if (conn.received.length > 1) throw new Error(`client went on in clear text: ${conn.received.join(" | ")}`)
      })
      const error = yield* ImapClient.make(optionsFor(peer, undefined, [])).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.isFalse(error.isRetryable)
      yield* Peer.finished(peer)
    })
  )

  it.live("refuses with TlsFailed when the server greets with PREAUTH (no STARTTLS possible)", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] you are in")
        await expectNothing(conn)
      })
      const error = yield* ImapClient.make(optionsFor(peer, undefined, [])).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "TlsFailed")
      yield* Peer.finished(peer)
    })
  )

  it.live("fails with a non-retryable TlsFailed when the certificate is not trusted, never sending LOGIN", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => Peer.certificate())
      const trace: Array<string> = []
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS")
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} OK Begin TLS negotiation now.`)
        // The client rejects the handshake; the server side sees it fail or the socket close.
        await conn.startTls().catch(() => undefined)
      })
      const error = yield* ImapClient.make(optionsFor(peer, undefined, trace)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.isFalse(error.isRetryable)
      assert.isFalse(trace.some((l) => l.includes("LOGIN")))
    })
  )
})

describe("implicit TLS", () => {
  it.live("works against a peer that speaks TLS from the first byte, trusting it through ca", () =>
    Effect.gen(function* () {
      const { cert } = yield* Effect.promise(() => Peer.certificate())
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.startTls()
        await Peer.login(conn)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(peer, ImapClient.make(optionsFor(peer, cert, [], { tls: "implicit" })))
    })
  )

  it.live("fails with a non-retryable TlsFailed, not a greeting timeout, against a plaintext server", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn)
        await conn.ended
      })
      const started = Date.now()
      const error = yield* ImapClient.make(optionsFor(peer, undefined, [], { tls: "implicit" })).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.isFalse(error.isRetryable)
      assert.isBelow(Date.now() - started, 1500)
    })
  )
})
