/**
 * Refusals that mean "later": the classification table (every provider reply in docs/servers.md, plus
 * NO/BAD that stay final), the wait parsed from the text, and the same replies on the wire from a
 * scripted peer: a throttled LOGIN, AUTHENTICATE or FETCH fails with a retryable `Throttled`, a
 * throttling BYE or greeting carries its wait, OVERQUOTA on APPEND stays a final CommandFailed, and
 * Gmail's `OK Success [THROTTLED]` is a success.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig, ImapError, Throttling } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Duration, Effect, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

type Row = readonly [
  what: string,
  refusal: Throttling.Refusal,
  transient: boolean,
  retryAfterMillis: number | undefined
]

const rows: ReadonlyArray<Row> = [
  [
    "Microsoft 365 NO throttled, with its backoff",
    {
      command: "UID FETCH",
      status: "NO",
      code: undefined,
      text: "Request is throttled. Suggested Backoff Time: 299609 milliseconds"
    },
    true,
    299609
  ],
  [
    "Microsoft 365 BAD throttled, with its backoff",
    {
      command: "SELECT",
      status: "BAD",
      code: undefined,
      text: "Request is throttled. Suggested Backoff Time: 1250 milliseconds"
    },
    true,
    1250
  ],
  [
    "Microsoft 365 BYE throttled",
    { command: undefined, status: "BYE", code: undefined, text: "Request is throttled." },
    true,
    undefined
  ],
  [
    "Microsoft 365 Server Unavailable",
    { command: "LOGIN", status: "NO", code: undefined, text: "Server Unavailable. 15" },
    true,
    undefined
  ],
  [
    "Gmail too many connections at LOGIN",
    { command: "LOGIN", status: "NO", code: "ALERT", text: "Too many simultaneous connections. (Failure)" },
    true,
    undefined
  ],
  [
    "Gmail OVERQUOTA on FETCH (bandwidth)",
    {
      command: "UID FETCH",
      status: "NO",
      code: "OVERQUOTA",
      text: "Account exceeded command or bandwidth limits."
    },
    true,
    undefined
  ],
  [
    "Dovecot UNAVAILABLE at LOGIN",
    {
      command: "LOGIN",
      status: "NO",
      code: "UNAVAILABLE",
      text: "Maximum number of connections from user+IP exceeded (mail_max_userip_connections=16)"
    },
    true,
    undefined
  ],
  [
    "Dovecot UNAVAILABLE BYE greeting",
    { command: undefined, status: "BYE", code: "UNAVAILABLE", text: "Too many connections, try later" },
    true,
    undefined
  ],
  ["RFC 5530 INUSE", { command: "DELETE", status: "NO", code: "INUSE", text: "Mailbox in use" }, true, undefined],
  ["THROTTLED code", { command: "SEARCH", status: "NO", code: "THROTTLED", text: "Slow down" }, true, undefined],
  [
    "a wait in seconds",
    { command: "LOGIN", status: "NO", code: "UNAVAILABLE", text: "Busy, retry after 30 seconds" },
    true,
    30_000
  ],
  [
    "a wait of years is capped at an hour",
    {
      command: "FETCH",
      status: "NO",
      code: undefined,
      text: "Request is throttled. Suggested Backoff Time: 999999999999 ms"
    },
    true,
    3_600_000
  ],
  [
    "OVERQUOTA on APPEND is a full mailbox",
    { command: "APPEND", status: "NO", code: "OVERQUOTA", text: "Quota exceeded (mailbox for user is full)" },
    false,
    undefined
  ],
  [
    "OVERQUOTA on UID COPY is a full mailbox",
    { command: "UID COPY", status: "NO", code: "OVERQUOTA", text: "Account exceeded command or bandwidth limits." },
    false,
    undefined
  ],
  [
    "OVERQUOTA on MOVE is a full mailbox",
    { command: "UID MOVE", status: "NO", code: "OVERQUOTA", text: "Quota exceeded" },
    false,
    undefined
  ],
  [
    "wrong password",
    { command: "LOGIN", status: "NO", code: "AUTHENTICATIONFAILED", text: "Authentication failed." },
    false,
    undefined
  ],
  [
    "Gmail invalid credentials",
    { command: "AUTHENTICATE", status: "NO", code: "AUTHENTICATIONFAILED", text: "Invalid credentials (Failure)" },
    false,
    undefined
  ],
  [
    "no such mailbox",
    { command: "SELECT", status: "NO", code: "NONEXISTENT", text: "Mailbox doesn't exist: Nope" },
    false,
    undefined
  ],
  [
    "Dovecot BAD syntax",
    { command: "FETCH", status: "BAD", code: undefined, text: "Error in IMAP command FETCH: Invalid messageset" },
    false,
    undefined
  ],
  [
    "an implementation LIMIT stays a CommandFailed",
    { command: "CREATE", status: "NO", code: "LIMIT", text: "Mailbox name too long" },
    false,
    undefined
  ],
  [
    "an admin's BYE",
    { command: undefined, status: "BYE", code: undefined, text: "Disconnected by admin" },
    false,
    undefined
  ]
]

describe("Throttling.classify", () => {
  for (const [what, refusal, transient, retryAfterMillis] of rows) {
    it(`${what}: ${transient ? "transient" : "final"}${retryAfterMillis === undefined ? "" : `, retry after ${retryAfterMillis} ms`}`, () => {
      const verdict = Throttling.classify(refusal)
      assert.strictEqual(verdict !== undefined, transient)
      const wait = verdict?.retryAfter
      assert.strictEqual(wait === undefined ? undefined : Duration.toMillis(wait), retryAfterMillis)
    })
  }

  it("reads the wait in the units servers write", () => {
    const table: ReadonlyArray<readonly [string, number | undefined]> = [
      ["Suggested Backoff Time: 299609 milliseconds", 299609],
      ["suggested backoff time: 10 ms", 10],
      ["Retry after 2 minutes", 120_000],
      ["try again in 45 secs", 45_000],
      ["Too many connections, try later", undefined],
      ["Backoff Time: soon", undefined]
    ]
    for (const [text, millis] of table) {
      const d = Throttling.parseRetryAfter(text)
      assert.strictEqual(d === undefined ? undefined : Duration.toMillis(d), millis, text)
    }
  })
})

const refuse =
  (capabilities: string, expected: string | RegExp, reply: string) => async (conn: Peer.PeerConnection) => {
    await Peer.greet(conn, capabilities)
    const tag = await conn.expect(expected)
    await conn.send(`${tag} ${reply}`)
    await conn.ended
  }

describe("throttling on the wire", () => {
  it.live("Gmail's NO to LOGIN for too many connections is a retryable Throttled, not AuthenticationFailed", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(
        refuse(Peer.basicCapabilities, "LOGIN u p", "NO [ALERT] Too many simultaneous connections. (Failure)")
      )
      const error = yield* ImapClient.make(Peer.clientOptions(peer.port)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "Throttled")
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "Throttled") {
        assert.deepStrictEqual(
          [error.reason.command, error.reason.status, error.reason.code, error.reason.retryAfter],
          ["LOGIN", "NO", "ALERT", undefined]
        )
      }
      yield* Peer.finished(peer)
    })
  )

  it.live("Microsoft 365's throttled AUTHENTICATE carries the suggested backoff as retryAfter", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(
        refuse(
          "IMAP4rev1 SASL-IR AUTH=XOAUTH2",
          /^AUTHENTICATE XOAUTH2 /,
          "NO Request is throttled. Suggested Backoff Time: 299609 milliseconds"
        )
      )
      const auth = ImapConfig.oauth2("u@example.com", "ya29.fixed", { mechanism: "XOAUTH2" })
      const error = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth })).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "Throttled")
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "Throttled") {
        assert.strictEqual(error.reason.command, "AUTHENTICATE")
        assert.strictEqual(Duration.toMillis(error.reason.retryAfter ?? Duration.zero), 299609)
      }
      yield* Peer.finished(peer)
    })
  )

  it.live("a throttled BAD to a command followed by a dropped connection fails that command with Throttled", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect("SELECT INBOX")
        await conn.send(`${tag} BAD Request is throttled. Suggested Backoff Time: 5000 milliseconds`)
        conn.destroy()
      })
      const error = yield* Effect.scoped(
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          return yield* client.select("INBOX").pipe(Effect.flip)
        })
      )
      assert.strictEqual(error.reason._tag, "Throttled")
      if (error.reason._tag === "Throttled") {
        assert.strictEqual(error.reason.status, "BAD")
        assert.strictEqual(Duration.toMillis(error.reason.retryAfter ?? Duration.zero), 5000)
      }
      yield* Peer.finished(peer)
    })
  )

  it.live("OVERQUOTA is Throttled on FETCH but a final CommandFailed on APPEND (a full mailbox)", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 3)
        const fetch = await conn.expect(/^UID FETCH 1:\* /)
        await conn.send(`${fetch} NO [OVERQUOTA] Account exceeded command or bandwidth limits.`)
        const [append, line] = await conn.command()
        const size = /^APPEND INBOX .*\{(\d+)\+\}$/.exec(line)?.[1]
        if (size === undefined) throw new Error(`expected APPEND with a literal, got ${line}`)
        await conn.bytes(Number(size))
        await conn.line()
        await conn.send(`${append} NO [OVERQUOTA] Quota exceeded (mailbox for user is full)`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          const onFetch = yield* client
            .fetch(SequenceSet.from("uid", SequenceSet.Uid(1)), [{ _tag: "Uid" }])
            .pipe(Stream.runDrain, Effect.flip)
          assert.strictEqual(onFetch.reason._tag, "Throttled")
          assert.isTrue(onFetch.isRetryable)
          const onAppend = yield* client
            .append("INBOX", new TextEncoder().encode("Subject: x\r\n\r\nx\r\n"))
            .pipe(Effect.flip)
          assert.strictEqual(onAppend.reason._tag, "CommandFailed")
          assert.isFalse(onAppend.isRetryable)
        })
      )
    })
  )

  it.live("a throttling BYE mid-session is a ServerBye that carries the server's wait", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await conn.send("* BYE Request is throttled. Suggested Backoff Time: 60000 milliseconds")
        conn.close()
      })
      const error = yield* Effect.scoped(
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          return yield* client.noop().pipe(Effect.flip)
        })
      )
      assert.strictEqual(error.reason._tag, "ServerBye")
      assert.isTrue(error.isRetryable)
      assert.strictEqual(Duration.toMillis(ImapError.retryAfter(error) ?? Duration.zero), 60000)
      yield* Peer.finished(peer)
    })
  )

  it.live("a NO greeting that says the server is busy is a retryable Throttled, not a protocol error", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* NO [UNAVAILABLE] Maximum number of connections from user+IP exceeded")
        conn.close()
      })
      const error = yield* ImapClient.make(Peer.clientOptions(peer.port)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "Throttled")
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "Throttled") assert.strictEqual(error.reason.command, undefined)
    })
  )

  it.live("Gmail's `OK Success [THROTTLED]` is a success", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect("NOOP")
        await conn.send(`${tag} OK Success [THROTTLED]`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.noop()
        })
      )
    })
  )
})
