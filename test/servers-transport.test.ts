/**
 * The client connects and logs in to Dovecot, Cyrus and Courier over each transport: the plain port
 * in clear text, the plain port upgraded with STARTTLS, and the implicit-TLS port, trusting each
 * server's certificate through its CA file. Each server authenticates as it allows (Courier offers no
 * AUTH= before TLS, so LOGIN there), and the session then selects a mailbox and runs a command.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { Effect } from "effect"
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
