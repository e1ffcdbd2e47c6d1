/**
 * The client connects and logs in to Dovecot, Cyrus and Courier over each transport: the plain port
 * in clear text, the plain port upgraded with STARTTLS, and the implicit-TLS port, trusting each
 * server's certificate through its CA file, and the session then selects a mailbox and runs a command.
 * On the plain port each server authenticates as it allows: LOGIN everywhere, AUTHENTICATE PLAIN where
 * AUTH=PLAIN is offered; Courier offers no AUTH= before TLS, so there PLAIN is a typed, non-retryable
 * MissingCapability before anything is sent, and works after STARTTLS.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { Effect, Redacted } from "effect"
import { clientOptions, imapServer, serverNames } from "./support/TestServer.ts"

const transports = ["none", "starttls", "implicit"] as const

describe.each(serverNames)("%s", (name) => {
  const server = imapServer(name)

  it.live.each(transports)("logs in over tls=%s, selects a mailbox and runs NOOP", (tls) =>
    Effect.gen(function* () {
      const account = yield* Effect.promise(() => server.freshAccount(`transport-${tls}`))
      const client = yield* ImapClient.make(clientOptions(server, account, tls))
      const box = yield* client.select(account.mailbox)
      assert.strictEqual(box.exists, 0)
      assert.isDefined(box.uidValidity)
      yield* client.noop()
      const state = yield* client.currentState
      assert.strictEqual(state._tag, "Selected")
      const caps = yield* client.capabilities
      assert.isTrue(caps.has("IDLE"), [...caps].join(" "))
      // After the upgrade (or on the TLS port) the server no longer offers to start TLS.
      if (tls !== "none") assert.isFalse(caps.has("STARTTLS"), [...caps].join(" "))
    })
  )
})

describe.each(serverNames)("%s authentication", (name) => {
  const server = imapServer(name)
  /** Logs in with `mechanism`; the commands it sent (tag dropped), as the trace shows them. */
  const logIn = (mechanism: "LOGIN" | "PLAIN", tls: "none" | "starttls") =>
    Effect.gen(function* () {
      const account = yield* Effect.promise(() => server.freshAccount(`auth-${mechanism.toLowerCase()}`))
      const sent: Array<string> = []
      const options = clientOptions(server, account, tls)
      const client = yield* ImapClient.make({
        ...options,
        auth: { _tag: "Password", user: account.user, password: Redacted.make(account.password), mechanism },
        trace: (direction, line) => {
          if (direction === "C") sent.push(line)
        }
      })
      yield* client.select(account.mailbox)
      for (const line of sent) assert.notInclude(line, account.password)
      return sent.map((line) => line.split(" ").slice(1).join(" "))
    })

  it.live("logs in with LOGIN on the plain port", () =>
    Effect.gen(function* () {
      const sent = yield* logIn("LOGIN", "none")
      assert.isTrue(
        sent.some((c) => c.startsWith("LOGIN ")),
        sent.join("\n")
      )
    })
  )

  it.live("authenticates with AUTHENTICATE PLAIN where the plain port offers AUTH=PLAIN, and after STARTTLS", () =>
    Effect.gen(function* () {
      if (name === "courier") {
        const refused = yield* logIn("PLAIN", "none").pipe(Effect.scoped, Effect.flip)
        assert.strictEqual(refused.reason._tag, "MissingCapability")
        assert.isFalse(refused.isRetryable)
      } else {
        assert.isTrue((yield* logIn("PLAIN", "none")).some((c) => c.startsWith("AUTHENTICATE PLAIN")))
      }
      assert.isTrue((yield* logIn("PLAIN", "starttls")).some((c) => c.startsWith("AUTHENTICATE PLAIN")))
    })
  )
})
