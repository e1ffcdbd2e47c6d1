/**
 * TLS against the real Dovecot and @pkg/testing's server (each one's own certificate is the CA): implicit TLS with and without
 * trust (untrusted is a non-retryable TlsFailed, `rejectUnauthorized: false` an explicit opt-out),
 * STARTTLS on the plain port with the post-TLS capabilities (before login too) and the post-login
 * ones, and credentials that never go out before the upgrade.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { backend, backendNames } from "./support/Backend.ts"

// The same tests on Dovecot and on @pkg/testing's in-process server (test/support/Backend.ts).
describe.each(backendNames)("on %s", (name) => {
  const server = backend(name)
  // Read when a test runs: the in-process server starts in beforeAll.
  const ca = () => readFileSync(server.caPath)

  const optionsFor = (user: string, extra: Partial<ImapConfig.ImapClientOptions>): ImapConfig.ImapClientOptions => ({
    host: server.host,
    port: server.tlsPort,
    tls: "implicit",
    tlsOptions: { ca: ca(), servername: "localhost" },
    auth: ImapConfig.password(user, server.password),
    timeouts: { connect: "5 seconds", greeting: "5 seconds", command: "5 seconds", logout: "2 seconds" },
    ...extra
  })

  describe("implicit TLS", () => {
    it.live("connects, authenticates and selects INBOX when the server certificate is trusted via ca", () =>
      Effect.gen(function* () {
        const client = yield* ImapClient.make(optionsFor(server.freshUser("tls-ok"), {}))
        const box = yield* client.select("INBOX")
        assert.strictEqual(box.exists, 0)
        assert.isTrue((yield* client.capabilities).has("IDLE"))
      })
    )

    it.live("fails with a non-retryable TlsFailed when the certificate is not trusted", () =>
      Effect.gen(function* () {
        const error = yield* ImapClient.make(
          optionsFor(server.freshUser("tls-untrusted"), { tlsOptions: { servername: "localhost" } })
        ).pipe(Effect.scoped, Effect.flip)
        assert.strictEqual(error.reason._tag, "TlsFailed")
        assert.isFalse(error.isRetryable)
      })
    )

    it.live("fails with TlsFailed when the certificate does not match the server name", () =>
      Effect.gen(function* () {
        const error = yield* ImapClient.make(
          optionsFor(server.freshUser("tls-name"), { tlsOptions: { ca: ca(), servername: "imap.example.org" } })
        ).pipe(Effect.scoped, Effect.flip)
        assert.strictEqual(error.reason._tag, "TlsFailed")
        assert.isFalse(error.isRetryable)
      })
    )

    it.live("connects to an untrusted certificate only with the explicit rejectUnauthorized: false opt-out", () =>
      Effect.gen(function* () {
        const client = yield* ImapClient.make(
          optionsFor(server.freshUser("tls-insecure"), { tlsOptions: { rejectUnauthorized: false } })
        )
        yield* client.noop()
        assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
      })
    )
  })

  describe("STARTTLS", () => {
    it.live("upgrades the plain port and learns the post-login capabilities", () =>
      Effect.gen(function* () {
        const client = yield* ImapClient.make(
          optionsFor(server.freshUser("starttls"), { port: server.port, tls: "starttls" })
        )
        const caps = yield* client.capabilities
        // Dovecot lists these only after login; STARTTLS and LOGINDISABLED are gone after the upgrade.
        for (const c of ["MOVE", "UIDPLUS", "CONDSTORE", "ESEARCH"]) assert.isTrue(caps.has(c), c)
        assert.isFalse(caps.has("STARTTLS"))
        const box = yield* client.select("INBOX")
        assert.isDefined(box.uidValidity)
      })
    )

    it.live("without auth, holds the post-TLS capabilities before login, asked once after the upgrade", () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        const user = server.freshUser("starttls-noauth")
        const client = yield* ImapClient.make(
          optionsFor(user, {
            port: server.port,
            tls: "starttls",
            auth: undefined,
            trace: (d, l) => lines.push(`${d}: ${l}`)
          })
        )
        const before = yield* client.capabilities
        // Dovecot's pre-login list over TLS: no STARTTLS any more, but the mechanisms to log in with.
        assert.isTrue(before.has("AUTH=PLAIN"))
        assert.isFalse(before.has("STARTTLS"))
        yield* client.login(ImapConfig.password(user, server.password))
        assert.isTrue((yield* client.capabilities).has("MOVE"))
        const commands = lines.filter((l) => l.startsWith("C: ")).map((l) => l.split(" ")[2])
        const credentials = commands.findIndex((c) => c === "LOGIN" || c === "AUTHENTICATE")
        assert.deepStrictEqual(commands.slice(0, credentials), ["STARTTLS", "CAPABILITY"])
      })
    )

    it.live("sends credentials only after the TLS upgrade, and never in the trace", () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        const user = server.freshUser("starttls-trace")
        yield* Effect.scoped(
          ImapClient.make(
            optionsFor(user, { port: server.port, tls: "starttls", trace: (d, l) => lines.push(`${d}: ${l}`) })
          )
        )
        const sent = lines.filter((l) => l.startsWith("C: "))
        const starttls = sent.findIndex((l) => / STARTTLS$/.test(l))
        const credentials = sent.findIndex((l) => / (LOGIN|AUTHENTICATE) /.test(l))
        assert.isAtLeast(starttls, 0)
        assert.isAbove(credentials, starttls)
        // Before STARTTLS the client sent nothing else that could carry a secret.
        assert.isTrue(sent.slice(0, starttls).every((l) => / (CAPABILITY)$/.test(l)))
        for (const l of lines) assert.notInclude(l, server.password)
      })
    )

    it.live("fails with TlsFailed on the plain port when the upgraded certificate is not trusted", () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        const error = yield* ImapClient.make(
          optionsFor(server.freshUser("starttls-untrusted"), {
            port: server.port,
            tls: "starttls",
            tlsOptions: { servername: "localhost" },
            trace: (d, l) => lines.push(`${d}: ${l}`)
          })
        ).pipe(Effect.scoped, Effect.flip)
        assert.strictEqual(error.reason._tag, "TlsFailed")
        assert.isFalse(error.isRetryable)
        assert.isFalse(lines.some((l) => / (LOGIN|AUTHENTICATE) /.test(l)))
      })
    )
  })
})
