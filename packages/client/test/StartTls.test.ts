/**
 * STARTTLS against a scripted peer that really upgrades (node:tls, a self-signed certificate made by
 * openssl): refused when not offered or after PREAUTH, plaintext injected behind the OK is thrown
 * away (CVE-2011-0411), capabilities learned in clear text are forgotten and asked again over TLS
 * (before login, so a session without `auth` knows them too), credentials only ever go out
 * encrypted, an untrusted certificate is a non-retryable TlsFailed, and a server that goes silent at
 * any step of the upgrade ends in a Timeout instead of a hang.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import { promisify } from "node:util"
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

/**
 * Distinct deadlines, so a Timeout's millis shows which one applied: the connect deadline bounds the
 * TLS handshake, the command deadline each command's reply.
 */
const deadlines = { connect: "400 millis", greeting: "2 seconds", command: "300 millis", logout: "1 second" } as const

/** Connects expecting a failure; a client that hangs fails the test instead of stalling it. */
const connectError = (peer: Peer.ScriptedPeer, ca: string | undefined) =>
  ImapClient.make(optionsFor(peer, ca, [], { timeouts: deadlines })).pipe(
    Effect.scoped,
    Effect.flip,
    Effect.timeoutOrElse({
      duration: "5 seconds",
      orElse: () => Effect.die(new Error("the client hung during STARTTLS"))
    })
  )

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
      // CAPABILITY is asked once, by the handshake right after the upgrade; login does not ask again.
      assert.deepStrictEqual(sent.slice(0, 3), ["C: T1 STARTTLS", "C: T2 CAPABILITY", "C: A1 LOGIN u <redacted>"])
    })
  )

  it.live("without auth, the session holds the post-TLS capabilities before login, and login asks no more", () =>
    Effect.gen(function* () {
      const { cert } = yield* Effect.promise(() => Peer.certificate())
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS LOGINDISABLED")
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} OK Begin TLS negotiation now.`)
        await conn.startTls()
        const caps = await conn.expect("CAPABILITY")
        await conn.send("* CAPABILITY IMAP4rev1 IDLE XSECURE", `${caps} OK Capability completed.`)
        // Straight to LOGIN: a second CAPABILITY here would fail the script.
        await Peer.acceptLogin(conn, "IMAP4rev1 IDLE XSECURE XPOSTLOGIN")
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer, cert, [], { auth: undefined }))
          assert.strictEqual((yield* client.currentState)._tag, "NotAuthenticated")
          const caps = yield* client.capabilities
          assert.deepStrictEqual([...caps].sort(), ["IDLE", "IMAP4REV1", "XSECURE"])
          yield* client.login(ImapConfig.password("u", "p"))
          assert.isTrue((yield* client.capabilities).has("XPOSTLOGIN"))
        })
      )
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

describe("STARTTLS deadlines", () => {
  it.live("fails with Timeout(command) when the server never answers STARTTLS", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS")
        await conn.expect("STARTTLS")
        await conn.ended
      })
      const error = yield* connectError(peer, undefined)
      assert.deepInclude(error.reason, { _tag: "Timeout", phase: "command", command: "STARTTLS", millis: 300 })
      assert.isTrue(error.isRetryable)
      yield* Peer.finished(peer)
    })
  )

  it.live("fails with Timeout(command) when the server never answers the CAPABILITY asked before STARTTLS", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* OK plain greeting")
        await conn.expect("CAPABILITY")
        await conn.ended
      })
      const error = yield* connectError(peer, undefined)
      assert.deepInclude(error.reason, { _tag: "Timeout", phase: "command", command: "CAPABILITY", millis: 300 })
      yield* Peer.finished(peer)
    })
  )

  it.live("fails with Timeout(connect) when the server says OK to STARTTLS but never does the TLS handshake", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS")
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} OK Begin TLS negotiation now.`)
        // The client's ClientHello arrives and is never answered.
        await conn.ended
      })
      const error = yield* connectError(peer, undefined)
      assert.deepInclude(error.reason, { _tag: "Timeout", phase: "connect", command: "STARTTLS", millis: 400 })
      assert.isTrue(error.isRetryable)
      yield* Peer.finished(peer)
    })
  )

  it.live("fails with Timeout(command) when the server never answers CAPABILITY after the upgrade", () =>
    Effect.gen(function* () {
      const { cert } = yield* Effect.promise(() => Peer.certificate())
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 STARTTLS")
        const tag = await conn.expect("STARTTLS")
        await conn.send(`${tag} OK Begin TLS negotiation now.`)
        await conn.startTls()
        await conn.expect("CAPABILITY")
        await conn.ended
      })
      const error = yield* connectError(peer, cert)
      assert.deepInclude(error.reason, { _tag: "Timeout", phase: "command", command: "CAPABILITY", millis: 300 })
      yield* Peer.finished(peer)
    })
  )
})

/**
 * A leaf for localhost signed by a throwaway private CA. Served without its chain, a client that does
 * not trust the CA fails with UNABLE_TO_VERIFY_LEAF_SIGNATURE, not the DEPTH_ZERO_SELF_SIGNED_CERT of
 * the peer's self-signed certificate: a different code, which once passed for a network failure.
 */
const privateCaLeaf = async (): Promise<{ readonly ca: string; readonly key: string; readonly cert: string }> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "starttls-private-ca-"))
  const file = (name: string) => path.join(dir, name)
  const openssl = (...args: ReadonlyArray<string>) => promisify(execFile)("openssl", [...args])
  try {
    await openssl(
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"],
      ...["-keyout", file("ca.key"), "-out", file("ca.pem"), "-subj", "/CN=Private Test CA"]
    )
    await openssl(
      ...["req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("leaf.key"), "-out", file("leaf.csr")],
      ...["-subj", "/CN=localhost"]
    )
    await writeFile(file("leaf.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    await openssl(
      ...["x509", "-req", "-in", file("leaf.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key")],
      ...["-CAcreateserial", "-days", "2", "-extfile", file("leaf.ext"), "-out", file("leaf.pem")]
    )
    const [ca, key, cert] = await Promise.all(["ca.pem", "leaf.key", "leaf.pem"].map((n) => readFile(file(n), "utf8")))
    return { ca: ca!, key: key!, cert: cert! }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** An implicit-TLS peer presenting `cert` alone: it greets and answers LOGOUT. */
const tlsPeer = (key: string, cert: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const server = tls.createServer({ key, cert }, (socket) => {
        socket.on("error", () => {})
        socket.write("* OK [CAPABILITY IMAP4rev1] private CA peer ready\r\n")
        socket.on("data", (data: Buffer) => {
          const logout = /^(\S+) LOGOUT\r\n/m.exec(data.toString("latin1"))
          if (logout) socket.end(`* BYE Logging out\r\n${logout[1]} OK Logout completed.\r\n`)
        })
      })
      // The client's refusal of the certificate reaches the server as an alert: expected here.
      server.on("tlsClientError", () => {})
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      return server
    }),
    (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )

describe("implicit TLS", () => {
  it.live("fails with a non-retryable TlsFailed when the leaf's private CA is not trusted and no chain is sent", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(privateCaLeaf)
      const server = yield* tlsPeer(pki.key, pki.cert)
      const port = (server.address() as AddressInfo).port
      const options = (ca: string | undefined) =>
        Peer.clientOptions(port, {
          tls: "implicit",
          auth: undefined,
          tlsOptions: { servername: "localhost", ...(ca !== undefined ? { ca } : {}) }
        })
      const error = yield* ImapClient.make(options(undefined)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.include(error.reason.message, "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
      assert.isFalse(error.isRetryable)
      // The same server once its CA is trusted: the certificate itself is sound.
      yield* ImapClient.make(options(pki.ca)).pipe(Effect.scoped)
    })
  )

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
