/**
 * UID SEARCH against Dovecot and @pkg/testing's server: ESEARCH carries a result whose plain SEARCH line would pass the line
 * limit (shown with the limit lowered to 4 KiB, against 2,000 messages), non-ASCII text is found
 * (sent with CHARSET UTF-8), and MIN/MAX/COUNT come back without the UIDs.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { SearchKey } from "@pkg/protocol"
import { Effect } from "effect"
import { backend, backendNames } from "./support/Backend.ts"

// The same tests on Dovecot and on @pkg/testing's in-process server (test/support/Backend.ts).
describe.each(backendNames)("on %s", (name) => {
  const server = backend(name)

  const message = (subject: string) =>
    `From: a@example.com\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n`

  const optionsFor = (user: string, limits?: ImapConfig.Limits): ImapConfig.ImapClientOptions => ({
    host: server.host,
    port: server.port,
    tls: "none",
    auth: ImapConfig.password(user, server.password),
    limits
  })

  describe("search", () => {
    it.live("returns 2,000 UIDs through ESEARCH with a 4 KiB line limit a plain SEARCH reply would break", () =>
      Effect.gen(function* () {
        const user = server.freshUser("esearch")
        const count = 2000
        yield* Effect.promise(() =>
          server.importMany(
            user,
            "INBOX",
            Array.from({ length: count }, (_, i) => message(i % 2 === 0 ? `even ${i}` : `odd ${i}`))
          )
        )
        const client = yield* ImapClient.make(optionsFor(user, { maxLineLength: 4096 }))
        assert.isTrue((yield* client.capabilities).has("ESEARCH"))
        yield* client.examine("INBOX")
        const all = yield* client.search(SearchKey.all)
        assert.strictEqual(all.length, count)
        assert.deepStrictEqual([Number(all[0]), Number(all[count - 1])], [1, count])
        const odd = yield* client.searchSummary(SearchKey.subject("odd"), ["MIN", "MAX", "COUNT"])
        assert.deepStrictEqual([Number(odd.min), Number(odd.max), odd.count], [2, count, count / 2])
      })
    )

    it.live("finds a message by non-ASCII subject text", () =>
      Effect.gen(function* () {
        const user = server.freshUser("charset")
        yield* Effect.promise(() => server.deliver(user, "INBOX", message("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=")))
        yield* Effect.promise(() => server.deliver(user, "INBOX", message("Greetings from Koln")))
        const client = yield* ImapClient.make(optionsFor(user))
        yield* client.examine("INBOX")
        assert.deepStrictEqual((yield* client.search(SearchKey.subject("Köln"))).map(Number), [1])
        assert.deepStrictEqual((yield* client.search(SearchKey.subject("Koln"))).map(Number), [2])
      })
    )
  })
})
