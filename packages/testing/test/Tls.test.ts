/**
 * TLS on the test server against the real client: implicit TLS on its TLS port and STARTTLS on its
 * clear-text port, both trusting the certificate the server made at start through the CA the
 * handle gives; without that CA the client refuses the certificate (TlsFailed); a server started
 * without TLS offers no STARTTLS.
 */
import { ImapClient } from "@pkg/client"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as TestServer from "../src/TestServer.ts"

const accounts = [{ user: "alice", password: "pw" }]

describe("TLS", () => {
  it.live.each(["implicit", "starttls"] as const)("%s TLS logs in, trusting the handle's CA", (tls) =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const client = yield* ImapClient.make(server.config("alice", { tls }))
      assert.strictEqual((yield* client.list()).length, 1)
      const commands = (yield* server.received).map((r) => r.command._tag)
      assert.strictEqual(commands.includes("StartTls"), tls === "starttls")
    }).pipe(Effect.scoped)
  )

  it.live.each(["implicit", "starttls"] as const)("%s TLS without the CA is TlsFailed", (tls) =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const { tlsOptions: _, ...untrusted } = server.config("alice", { tls })
      const e = yield* Effect.flip(ImapClient.make(untrusted))
      assert.strictEqual(e.reason._tag, "TlsFailed")
    }).pipe(Effect.scoped)
  )

  it.live("STARTTLS is offered before login on clear text only, and not by a server without TLS", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make({ accounts })
      const before = yield* ImapClient.make({ host: server.host, port: server.port, tls: "none" })
      assert.isTrue((yield* before.capabilities).has("STARTTLS"))
      const plain = yield* TestServer.make({ accounts, tls: false })
      assert.isUndefined(plain.tlsPort)
      const e = yield* Effect.flip(ImapClient.make(plain.config("alice", { tls: "starttls" })))
      assert.strictEqual(e.reason._tag, "MissingCapability")
    }).pipe(Effect.scoped)
  )
})
