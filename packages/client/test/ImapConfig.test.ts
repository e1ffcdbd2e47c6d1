/**
 * ImapConfig owns the IMAP_* variables and the reading of a CA file, for the client and the CLI
 * alike: `fromConfig` maps the variables to options (a CA file and IMAP_INSECURE to `tlsOptions`,
 * a token before a password, no mechanism chosen unless IMAP_AUTH_MECHANISM names one), and an
 * unreadable CA file is a `TlsFailed` naming the file, both from `readCaFile` and when a client
 * opens a connection with `tlsOptions.caFile`.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import * as ImapClient from "../src/ImapClient.ts"
import * as ImapConfig from "../src/ImapConfig.ts"

const missing = "/nonexistent/effect-imap-ca.pem"

const read = (env: Record<string, string>) =>
  Effect.provideService(ImapConfig.load(), ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(env))

describe("ImapConfig", () => {
  it.effect("fromConfig maps IMAP_CA_FILE and IMAP_INSECURE to tlsOptions, and prefers a token to a password", () =>
    Effect.gen(function* () {
      const options = yield* read({
        IMAP_HOST: "mail.example.com",
        IMAP_PORT: "993",
        IMAP_TLS: "implicit",
        IMAP_USER: "u",
        IMAP_PASSWORD: "p",
        IMAP_ACCESS_TOKEN: "t",
        IMAP_AUTH_MECHANISM: "OAUTHBEARER",
        IMAP_CA_FILE: "/etc/ca.pem",
        IMAP_INSECURE: "true"
      })
      assert.deepStrictEqual(
        { host: options.host, port: options.port, tls: options.tls, tlsOptions: options.tlsOptions },
        {
          host: "mail.example.com",
          port: 993,
          tls: "implicit",
          tlsOptions: { rejectUnauthorized: false, caFile: "/etc/ca.pem" }
        }
      )
      const auth = options.auth
      assert.strictEqual(auth?._tag, "OAuth2")
      if (auth?._tag !== "OAuth2" || ImapConfig.isTokenProvider(auth.accessToken)) return assert.fail("a fixed token")
      assert.strictEqual(Redacted.value(auth.accessToken), "t")
      assert.strictEqual(auth.mechanism, "OAUTHBEARER")
    })
  )

  it.effect("IMAP_ACCESS_TOKEN without IMAP_AUTH_MECHANISM leaves the mechanism to the server's offer", () =>
    Effect.gen(function* () {
      // As the CLI reads the same variables, and as `oauth2` documents: OAUTHBEARER where offered.
      const { auth } = yield* read({ IMAP_HOST: "h", IMAP_USER: "u", IMAP_ACCESS_TOKEN: "t" })
      assert.strictEqual(auth?._tag, "OAuth2")
      assert.isUndefined(auth?.mechanism)
      const password = yield* read({ IMAP_HOST: "h", IMAP_USER: "u", IMAP_PASSWORD: "p", IMAP_AUTH_MECHANISM: "LOGIN" })
      assert.deepStrictEqual([password.auth?._tag, password.auth?.mechanism], ["Password", "LOGIN"])
    })
  )

  it("trust: no CA and certificates checked is no TlsOptions at all", () => {
    assert.isUndefined(ImapConfig.trust({ insecure: false }))
    assert.deepStrictEqual(ImapConfig.trust({ ca: "PEM", insecure: false }), { ca: "PEM" })
    assert.deepStrictEqual(ImapConfig.trust({ caFile: "/ca.pem", insecure: true }), {
      caFile: "/ca.pem",
      rejectUnauthorized: false
    })
  })

  it.effect("a value outside a variable's rule is refused (IMAP_TLS, IMAP_PORT)", () =>
    Effect.gen(function* () {
      const badTls = yield* Effect.flip(read({ IMAP_HOST: "h", IMAP_TLS: "sometimes" }))
      assert.include(badTls.message, "IMAP_TLS")
      const badPort = yield* Effect.flip(read({ IMAP_HOST: "h", IMAP_PORT: "70000" }))
      assert.include(badPort.message, "IMAP_PORT")
    })
  )

  it.effect("readCaFile fails with a TlsFailed that names the file", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ImapConfig.readCaFile(missing))
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.include(error.reason.message, `cannot read CA file ${missing}`)
      assert.isFalse(error.isRetryable)
    })
  )

  it.live("a client given tlsOptions.caFile it cannot read fails with that TlsFailed before connecting", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(ImapClient.make({ host: "127.0.0.1", port: 1, tls: "implicit", tlsOptions: { caFile: missing } }))
      )
      assert.strictEqual(error.reason._tag, "TlsFailed")
      assert.include(error.reason.message, `cannot read CA file ${missing}`)
    })
  )
})
