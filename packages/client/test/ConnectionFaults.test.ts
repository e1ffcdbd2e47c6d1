/**
 * Faults a real server produces only on a bad day, replayed by a scripted peer: literals split
 * across reads, a body trickled a few bytes at a time, BYE in the middle of a command, malformed
 * responses, silence (command and greeting deadlines), refused connections and a socket closed in
 * the middle of a FETCH. Each must end in one typed `ImapError` with the right reason, never a hang.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { Command, SequenceSet } from "@pkg/protocol"
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import * as net from "node:net"
import { freePort } from "../../../test/support/FreePort.ts"
import * as Peer from "../../../test/support/ScriptedPeer.ts"
import * as SessionConnection from "../src/internal/SessionConnection.ts"

const optionsFor = Peer.clientOptions

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const bodyPeek = [Command.Attr.uid, Command.Attr.bodySection(undefined, { peek: true })] as const
const uid = (n: number) => SequenceSet.single("uid", SequenceSet.Uid(n))
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes)

/** A port nothing listens on: bound once by the OS, then released. */
const closedPort = () => Effect.promise(() => freePort())

describe("literals split across reads", () => {
  it.live("reassembles a body literal whose size line and bytes arrive in separate, delayed writes", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 1)
        const fetch = await conn.expect("UID FETCH 1 (UID BODY.PEEK[])")
        await conn.sendRaw("* 1 FETCH (UID 1 BODY[] {5}\r\n")
        await sleep(30)
        await conn.sendRaw("hel")
        await sleep(30)
        await conn.sendRaw("lo)\r\n")
        await sleep(30)
        await conn.send(`${fetch} OK Fetch completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer.port))
          yield* client.select("INBOX")
          const [m] = yield* client.fetch(uid(1), bodyPeek).pipe(Stream.runCollect)
          assert.strictEqual(text(m?.attributes.body?.[0]?.data), "hello")
        })
      )
    })
  )

  it.live("parses a FETCH whose body holds IMAP-looking lines, trickled to the client 3 bytes per write", () =>
    Effect.gen(function* () {
      // The body pretends to be a tagged OK, a BYE and a literal marker: only the framer's byte count
      // may decide where it ends.
      const body = `Subject: tricky\r\n\r\nA3 OK fake completion\r\n* BYE fake\r\n{3}\r\nabc\r\n+ fake continuation\r\n${"x".repeat(120)}\r\n`
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 2)
        const fetch = await conn.expect("UID FETCH 1:2 (UID BODY.PEEK[])")
        const reply = `* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n${body})\r\n* 2 FETCH (BODY[] {2}\r\nhi UID 2)\r\n${fetch} OK Fetch completed.\r\n`
        for (let i = 0; i < reply.length; i += 3) await conn.sendRaw(reply.slice(i, i + 3))
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer.port))
          yield* client.select("INBOX")
          const messages = yield* client
            .fetch(SequenceSet.range("uid", SequenceSet.Uid(1), SequenceSet.Uid(2)), bodyPeek)
            .pipe(Stream.runCollect)
          assert.deepStrictEqual(
            messages.map((m) => [Number(m.attributes.uid), text(m.attributes.body?.[0]?.data)]),
            [
              [1, body],
              [2, "hi"]
            ]
          )
          // Nothing in the body was taken for a response: the session is Selected and usable.
          assert.strictEqual((yield* client.currentState)._tag, "Selected")
        })
      )
    })
  )
})

describe("the server ends the session", () => {
  it.live("fails the pending command with a retryable ServerBye carrying the BYE's text and code", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await conn.send("* BYE [UNAVAILABLE] Server shutting down.")
        conn.close()
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      const error = yield* client.noop().pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "ServerBye")
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "ServerBye") {
        assert.strictEqual(error.reason.text, "Server shutting down.")
        assert.strictEqual(error.reason.code, "UNAVAILABLE")
      }
      // The connection is dead with that same error; later commands fail at once with it.
      assert.isTrue(SessionConnection.of(client).isClosed())
      const closed = yield* client.closed.pipe(Effect.flip)
      assert.strictEqual(closed, error)
      assert.strictEqual(yield* client.noop().pipe(Effect.flip), error)
      assert.strictEqual((yield* client.currentState)._tag, "Logout")
      yield* Peer.finished(peer)
    })
  )

  it.live("an unsolicited BYE between commands makes the next command fail with ServerBye", () =>
    Effect.gen(function* () {
      const byeSent = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.send("* BYE Autologout; idle for too long")
        conn.close()
        Deferred.doneUnsafe(byeSent, Exit.void)
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      yield* Deferred.await(byeSent)
      const error = yield* client.closed.pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "ServerBye")
      const next = yield* client.noop().pipe(Effect.flip)
      assert.strictEqual(next.reason._tag, "ServerBye")
    })
  )

  it.live("a socket closed in the middle of a FETCH fails the stream with a retryable ConnectionClosed", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 10)
        await conn.expect("UID FETCH 1:10 (UID FLAGS)")
        // The third response is cut in the middle of its line.
        await conn.sendRaw("* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n* 3 FETCH (UID 3 FLAGS (\\Se")
        conn.close()
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      yield* client.select("INBOX")
      const seen: Array<number> = []
      const error = yield* client
        .fetch(SequenceSet.range("uid", SequenceSet.Uid(1), SequenceSet.Uid(10)), [
          Command.Attr.uid,
          Command.Attr.flags
        ])
        .pipe(
          Stream.runForEach((m) => Effect.sync(() => seen.push(Number(m.attributes.uid)))),
          Effect.flip
        )
      assert.deepStrictEqual(seen, [1, 2])
      assert.strictEqual(error.reason._tag, "ConnectionClosed")
      assert.isTrue(error.isRetryable)
    })
  )
})

describe("malformed responses", () => {
  it.live("fails every pipelined waiter once with the same ProtocolFailed carrying the excerpt", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        for (let i = 0; i < 3; i++) await conn.expect(/^STATUS box\d \(MESSAGES\)$/)
        await conn.send("* STATUS box0 (MESSAGES 1", "A2 OK Status completed.")
        await conn.ended
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      const fibers = yield* Effect.forEach([0, 1, 2], (i) =>
        Effect.forkChild(client.status(`box${i}`, ["MESSAGES"]).pipe(Effect.flip))
      )
      const errors = yield* Effect.forEach(fibers, Fiber.join)
      const first = errors[0]!
      assert.strictEqual(first.reason._tag, "ProtocolFailed")
      if (first.reason._tag === "ProtocolFailed") assert.include(first.reason.excerpt, "* STATUS box0 (MESSAGES 1")
      for (const e of errors) assert.strictEqual(e, first)
      assert.strictEqual(yield* client.noop().pipe(Effect.flip), first)
    })
  )

  it.live("treats a tagged reply for a tag never sent as a protocol failure", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await conn.send("A99 OK who asked?")
        await conn.ended
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      const error = yield* client.noop().pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "ProtocolFailed")
      if (error.reason._tag === "ProtocolFailed") assert.include(error.reason.excerpt, "A99")
    })
  )

  it.live("treats a continuation nobody asked for as a protocol failure", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await conn.send("+ go ahead")
        await conn.ended
      })
      const client = yield* ImapClient.make(optionsFor(peer.port))
      const error = yield* client.noop().pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "ProtocolFailed")
    })
  )

  it.live("tolerates untagged lines it does not understand and completes the command", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const noop = await conn.expect("NOOP")
        await conn.send("* XAPPLEPUSHSERVICE aps-version 2", "* 12 XWHATEVER (a b)", `${noop} OK NOOP completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer.port))
          yield* client.noop()
        })
      )
    })
  )
})

describe("deadlines", () => {
  it.live("fails a command the server never answers with Timeout(command) after the command timeout", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await conn.ended
      })
      const client = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } }))
      const started = Date.now()
      const error = yield* client.noop().pipe(Effect.flip)
      const elapsed = Date.now() - started
      assert.strictEqual(error.reason._tag, "Timeout")
      if (error.reason._tag === "Timeout") {
        assert.strictEqual(error.reason.phase, "command")
        assert.strictEqual(error.reason.command, "NOOP")
        assert.strictEqual(error.reason.millis, 300)
      }
      assert.isTrue(error.isRetryable)
      assert.isAtLeast(elapsed, 290)
      assert.isBelow(elapsed, 1500)
      // A connection that missed a reply cannot be trusted: it is closed.
      assert.isTrue(SessionConnection.of(client).isClosed())
    })
  )

  it.live("fails with Timeout(greeting) when the server accepts the connection but never greets", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped((conn) => conn.ended)
      const error = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { greeting: "300 millis" } })).pipe(
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "Timeout")
      if (error.reason._tag === "Timeout") {
        assert.strictEqual(error.reason.phase, "greeting")
        assert.strictEqual(error.reason.millis, 300)
      }
      assert.isTrue(error.isRetryable)
    })
  )

  it.live("fails with a retryable ConnectionFailed when the connection is refused", () =>
    Effect.gen(function* () {
      const port = yield* closedPort()
      const error = yield* ImapClient.make(optionsFor(port)).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "ConnectionFailed")
      if (error.reason._tag === "ConnectionFailed") {
        assert.strictEqual(error.reason.port, port)
        assert.include(error.reason.message, "ECONNREFUSED")
      }
      assert.isTrue(error.isRetryable)
    })
  )
})

describe("failed connection attempts", () => {
  it.live("a session that fails to open closes its socket at once, not when the caller's scope ends", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn)
        const tag = await conn.expect("LOGIN u p")
        await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`)
        await Promise.race([
          conn.ended,
          sleep(1000).then(() => {
            throw new Error("the client kept the failed connection open")
          })
        ])
      })
      // Inside one long-lived scope, as a retry loop would run it: each failed attempt must not
      // leave a socket (and a reader fiber) behind until that scope closes.
      const error = yield* ImapClient.make(optionsFor(peer.port)).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "AuthenticationFailed")
      yield* Peer.finished(peer)
    })
  )
})

describe("silence while waiting for a continuation", () => {
  it.live("fails an APPEND whose `+` never comes with Timeout(command) instead of hanging", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn, "IMAP4rev1")
        await conn.expect(/^APPEND INBOX \{\d+\}$/)
        await conn.ended
      })
      const client = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } }))
      const error = yield* client
        .append("INBOX", "Subject: x\r\n\r\ny\r\n")
        .pipe(Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.die("the APPEND hung") }), Effect.flip)
      assert.strictEqual(error.reason._tag, "Timeout")
      if (error.reason._tag === "Timeout") assert.strictEqual(error.reason.command, "APPEND")
    })
  )

  it.live("fails an AUTHENTICATE whose `+` never comes with Timeout(command) instead of hanging", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.greet(conn, "IMAP4rev1 AUTH=PLAIN")
        await conn.expect("AUTHENTICATE PLAIN")
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } })).pipe(
        Effect.scoped,
        Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.die("the AUTHENTICATE hung") }),
        Effect.flip
      )
      assert.strictEqual(error.reason._tag, "Timeout")
    })
  )
})

/**
 * A server that answers LOGIN and then stops reading the socket at the first APPEND: the client's
 * writes fill the TCP window and block. `drain()` makes it read (and discard) again; `ended` resolves
 * when it has read the client's end of the connection.
 */
const stopsReadingAtAppend = Effect.acquireRelease(
  Effect.promise(async () => {
    const sockets = new Set<net.Socket>()
    let resolveEnded: () => void = () => {}
    const ended = new Promise<void>((resolve) => {
      resolveEnded = resolve
    })
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => resolveEnded())
      let buffered = ""
      const onData = (d: Buffer) => {
        buffered += d.toString("latin1")
        const login = /^(\S+) LOGIN u p\r\n/.exec(buffered)
        if (login !== null) {
          buffered = ""
          socket.write(`${login[1]} OK [CAPABILITY ${Peer.basicCapabilities}] Logged in\r\n`)
        } else if (buffered.includes(" APPEND ")) {
          socket.off("data", onData)
          socket.pause()
        }
      }
      socket.on("data", onData)
      socket.write(`* OK [CAPABILITY ${Peer.basicCapabilities}] ready\r\n`)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const drain = () => {
      for (const s of sockets) s.resume()
    }
    return { port: (server.address() as net.AddressInfo).port, drain, ended, server, sockets }
  }),
  ({ server, sockets }) =>
    Effect.promise(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy()
          server.close(() => resolve())
        })
    )
)

describe("a server that stops reading", () => {
  it.live("a 32 MB APPEND it never reads fails with Timeout(command), and the session closes promptly", () =>
    Effect.gen(function* () {
      const peer = yield* stopsReadingAtAppend
      const started = Date.now()
      yield* Effect.gen(function* () {
        const client = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } }))
        // LITERAL+: the whole message goes out at once, far more than the TCP window holds.
        const error = yield* client.append("INBOX", new Uint8Array(32 * 1024 * 1024).fill(120)).pipe(Effect.flip)
        assert.strictEqual(error.reason._tag, "Timeout")
        if (error.reason._tag === "Timeout") {
          assert.strictEqual(error.reason.phase, "command")
          assert.strictEqual(error.reason.command, "APPEND")
        }
        // The socket was destroyed, not left holding the rest of the message until the scope ends:
        // once the server reads again, it finds the end of the stream after what was in flight.
        peer.drain()
        yield* Effect.promise(() => peer.ended).pipe(
          Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.die("the socket was left open") })
        )
      }).pipe(Effect.scoped)
      // Failing, and closing the session (no LOGOUT on a dead connection), took about the deadline.
      assert.isBelow(Date.now() - started, 3000)
    })
  )
})

describe("a dead connection", () => {
  it.live("closes its socket at once after a command timeout, not when the caller's scope ends", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await conn.expect("NOOP")
        await Promise.race([
          conn.ended,
          sleep(1000).then(() => {
            throw new Error("the client kept the dead connection's socket open")
          })
        ])
      })
      // In the test's scope, as a layer would hold it for the life of the app.
      const client = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } }))
      const error = yield* client.noop().pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "Timeout")
      yield* Peer.finished(peer)
    })
  )
})

describe("greetings", () => {
  it.live("a BYE greeting (server full) fails with a retryable ServerBye carrying its text and code", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* BYE [UNAVAILABLE] Too many connections, try later")
        conn.close()
      })
      const error = yield* ImapClient.make(optionsFor(peer.port)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "ServerBye")
      assert.isTrue(error.isRetryable)
      if (error.reason._tag === "ServerBye") {
        assert.strictEqual(error.reason.text, "Too many connections, try later")
        assert.strictEqual(error.reason.code, "UNAVAILABLE")
      }
    })
  )

  it.live("a PREAUTH greeting starts Authenticated: no LOGIN is sent", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] logged in as u")
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK done`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer.port))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          assert.isTrue((yield* client.capabilities).has("IDLE"))
          yield* client.noop()
        })
      )
    })
  )

  it.live("a server that is not IMAP (an SMTP banner) fails with ProtocolFailed", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send("220 mail.example.com ESMTP Postfix")
        await conn.ended
      })
      const error = yield* ImapClient.make(optionsFor(peer.port)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "ProtocolFailed")
    })
  )

  it.live("a server that closes before greeting fails with a retryable ConnectionClosed", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        conn.close()
      })
      const error = yield* ImapClient.make(optionsFor(peer.port)).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual(error.reason._tag, "ConnectionClosed")
      assert.isTrue(error.isRetryable)
    })
  )
})

describe("long commands", () => {
  it.live("a FETCH that keeps streaming past the command timeout is not cut off (silence, not length, counts)", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 8)
        const tag = await conn.expect("UID FETCH 1:8 (UID FLAGS)")
        for (let i = 1; i <= 8; i++) {
          await conn.send(`* ${i} FETCH (UID ${i} FLAGS ())`)
          await sleep(100)
        }
        await conn.send(`${tag} OK Fetch completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(optionsFor(peer.port, { timeouts: { command: "300 millis" } }))
          yield* client.select("INBOX")
          const all = yield* client
            .fetch(SequenceSet.range("uid", SequenceSet.Uid(1), SequenceSet.Uid(8)), [
              Command.Attr.uid,
              Command.Attr.flags
            ])
            .pipe(Stream.runCollect)
          assert.strictEqual(all.length, 8)
        })
      )
    })
  )
})
