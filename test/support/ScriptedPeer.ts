/**
 * A scripted IMAP server peer for client tests: exact byte sequences real servers produce (from the
 * transcripts) and faults Dovecot will not produce on demand (literals split across reads, BYE in
 * the middle of a command, garbage lines, silence, plaintext injected after STARTTLS). Each accepted
 * connection runs a script; a script that throws (a wrong command, a timeout) fails `finished()`,
 * so a test asserts what the client sent by awaiting it.
 *
 * STARTTLS: `startTls()` wraps the accepted socket in a server-side `tls.TLSSocket` with a
 * self-signed certificate made once per process by openssl (`certificate()`).
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import { ImapConfig } from "@pkg/client"
import { Effect, type Scope } from "effect"

export interface PeerConnection {
  /** Sends raw text; `\r\n` is NOT appended (so a test can split a line or literal anywhere). */
  readonly sendRaw: (text: string | Uint8Array) => Promise<void>
  /** Sends lines, each terminated by CRLF, in one write. */
  readonly send: (...lines: ReadonlyArray<string>) => Promise<void>
  /** The next line the client sent (without CRLF); rejects if none arrives within the deadline. */
  readonly line: (timeoutMs?: number) => Promise<string>
  /** Reads exactly n raw bytes (a literal the client sent). */
  readonly bytes: (n: number, timeoutMs?: number) => Promise<Buffer>
  /** Reads a command line, returns [tag, rest]. */
  readonly command: (timeoutMs?: number) => Promise<readonly [string, string]>
  /**
   * Reads a command and checks its text after the tag (a string must match exactly, a RegExp must
   * match); returns the tag. Throws, failing the script, when the client sent something else.
   */
  readonly expect: (pattern: string | RegExp, timeoutMs?: number) => Promise<string>
  /** Waits `ms` and throws if the client sent any byte meanwhile (for "must not pipeline" checks). */
  readonly expectSilence: (ms: number) => Promise<void>
  /** Bytes received from the client and not yet consumed by `line`/`bytes`. */
  readonly buffered: () => number
  /** Lines received on this connection, in order. */
  readonly received: ReadonlyArray<string>
  /**
   * The server side of STARTTLS: from now on the socket speaks TLS with `certificate()`. Bytes the
   * client sent in clear text before the handshake are dropped.
   */
  readonly startTls: () => Promise<void>
  readonly close: () => void
  readonly destroy: () => void
  /** Resolves when the client closes the connection. */
  readonly ended: Promise<void>
}

export interface ScriptedPeer {
  readonly port: number
  /** Every line received on every connection, in order (for assertions on what the client sent). */
  readonly received: Array<string>
  readonly connections: () => number
  /** Resolves when every script started so far has returned; rejects with the first script error. */
  readonly finished: () => Promise<void>
  readonly stop: () => Promise<void>
}

export interface Certificate {
  readonly key: string
  readonly cert: string
}

let certificatePromise: Promise<Certificate> | undefined
let loaded: Certificate | undefined

/**
 * A self-signed certificate for `localhost` / 127.0.0.1, generated once per process. Await it before
 * a script calls `startTls()` (a test needs it anyway, as the client's trust anchor).
 */
export const certificate = (): Promise<Certificate> => {
  certificatePromise ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "scripted-peer-tls-"))
    const key = path.join(dir, "key.pem")
    const cert = path.join(dir, "cert.pem")
    await new Promise<void>((resolve, reject) =>
      execFile(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          key,
          "-out",
          cert,
          "-days",
          "3650",
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1"
        ],
        (error) => (error ? reject(error) : resolve())
      )
    )
    loaded = { key: await readFile(key, "utf8"), cert: await readFile(cert, "utf8") }
    await rm(dir, { recursive: true, force: true })
    return loaded
  })()
  return certificatePromise
}

const makeConnection = (raw: net.Socket, received: Array<string>): PeerConnection => {
  let socket: net.Socket = raw
  let buffer = Buffer.alloc(0)
  let wake: (() => void) | undefined
  let ended = false
  const own: Array<string> = []
  let resolveEnded: () => void = () => {}
  const endedPromise = new Promise<void>((r) => {
    resolveEnded = r
  })
  const onData = (d: Buffer) => {
    buffer = Buffer.concat([buffer, d])
    wake?.()
  }
  const onEnd = () => {
    ended = true
    wake?.()
    resolveEnded()
  }
  const attach = (s: net.Socket) => {
    s.on("data", onData)
    s.on("end", onEnd)
    s.on("close", onEnd)
    s.on("error", () => {})
  }
  attach(raw)

  const waitFor = async <A>(take: () => A | undefined, timeoutMs: number, what: string): Promise<A> => {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const v = take()
      if (v !== undefined) return v
      if (ended) throw new Error(`peer: connection ended while waiting for ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`peer: timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        wake = () => {
          clearTimeout(t)
          wake = undefined
          resolve()
        }
      })
    }
  }

  const line = (timeoutMs = 5000) =>
    waitFor(
      () => {
        const i = buffer.indexOf("\r\n")
        if (i < 0) return undefined
        const l = buffer.subarray(0, i).toString("utf8")
        buffer = buffer.subarray(i + 2)
        received.push(l)
        own.push(l)
        return l
      },
      timeoutMs,
      "a line"
    )

  const write = (data: string | Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      socket.write(data, (e) => (e ? reject(e) : resolve()))
    })

  const command = async (timeoutMs?: number) => {
    const l = await line(timeoutMs)
    const sp = l.indexOf(" ")
    return sp < 0 ? ([l, ""] as const) : ([l.slice(0, sp), l.slice(sp + 1)] as const)
  }

  return {
    sendRaw: write,
    send: (...lines) => write(lines.map((l) => `${l}\r\n`).join("")),
    line,
    bytes: (n, timeoutMs = 5000) =>
      waitFor(
        () => {
          if (buffer.length < n) return undefined
          const b = buffer.subarray(0, n)
          buffer = buffer.subarray(n)
          return b
        },
        timeoutMs,
        `${n} bytes`
      ),
    command,
    expect: async (pattern, timeoutMs) => {
      const [tag, rest] = await command(timeoutMs)
      const ok = typeof pattern === "string" ? rest === pattern : pattern.test(rest)
      if (!ok) throw new Error(`peer: expected ${String(pattern)}, client sent ${JSON.stringify(`${tag} ${rest}`)}`)
      return tag
    },
    expectSilence: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      if (buffer.length > 0) {
        throw new Error(`peer: expected silence, client sent ${JSON.stringify(buffer.toString("latin1"))}`)
      }
    },
    buffered: () => buffer.length,
    received: own,
    startTls: async () => {
      // Synchronous up to the wrap: the client's ClientHello may follow our last write at once.
      if (loaded === undefined) throw new Error("peer: await certificate() before startTls()")
      const { key, cert } = loaded
      raw.removeListener("data", onData)
      buffer = Buffer.alloc(0)
      const secure = new tls.TLSSocket(raw, { isServer: true, key, cert })
      socket = secure
      attach(secure)
      await new Promise<void>((resolve, reject) => {
        secure.once("secure", resolve)
        secure.once("error", reject)
      })
    },
    close: () => socket.end(),
    destroy: () => socket.destroy(),
    ended: endedPromise
  }
}

/** Starts a peer on 127.0.0.1 and a free port; each connection runs `script` (errors are recorded). */
export const start = async (script: (conn: PeerConnection, index: number) => Promise<void>): Promise<ScriptedPeer> => {
  const received: Array<string> = []
  const sockets = new Set<net.Socket>()
  const scripts: Array<Promise<void>> = []
  let count = 0
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    const index = count++
    socket.on("close", () => sockets.delete(socket))
    const run = script(makeConnection(socket, received), index)
    run.catch(() => socket.destroy())
    scripts.push(run)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    received,
    connections: () => count,
    finished: async () => {
      await Promise.all(scripts)
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** A peer that lives as long as the test's scope. */
export const scoped = (
  script: (conn: PeerConnection, index: number) => Promise<void>
): Effect.Effect<ScriptedPeer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(script)),
    (peer) => Effect.promise(() => peer.stop())
  )

/** Waits for every script to return; a script error becomes a test failure (a defect). */
export const finished = (peer: ScriptedPeer): Effect.Effect<void> => Effect.promise(() => peer.finished())

// --- IMAP building blocks for scripts ------------------------------------------------------------

/** Capabilities of a minimal server: no AUTH=, so the client uses LOGIN; LITERAL+ and IDLE. */
/** Client options for a scripted peer: plain TCP, LOGIN u/p, nothing to ENABLE or ID, short timeouts. */
export const clientOptions = (
  port: number,
  extra?: Partial<ImapConfig.ImapClientOptions>
): ImapConfig.ImapClientOptions => ({
  host: "127.0.0.1",
  port,
  tls: "none",
  auth: ImapConfig.password("u", "p"),
  enable: [],
  clientId: false,
  timeouts: { connect: "2 seconds", greeting: "2 seconds", command: "2 seconds", logout: "1 second" },
  ...extra
})

export const basicCapabilities = "IMAP4rev1 LITERAL+ IDLE"

export const greet = (conn: PeerConnection, capabilities: string = basicCapabilities) =>
  conn.send(`* OK [CAPABILITY ${capabilities}] scripted peer ready`)

/** Answers `LOGIN u p` with a tagged OK carrying `capabilities` (so the client asks nothing more). */
export const acceptLogin = async (conn: PeerConnection, capabilities: string = basicCapabilities) => {
  const tag = await conn.expect("LOGIN u p")
  await conn.send(`${tag} OK [CAPABILITY ${capabilities}] Logged in`)
}

/** Greeting and LOGIN: the client is Authenticated afterwards. */
export const login = async (conn: PeerConnection, capabilities: string = basicCapabilities) => {
  await greet(conn, capabilities)
  await acceptLogin(conn, capabilities)
}

/** Answers `SELECT <mailbox>` like Dovecot: `exists` messages, UIDVALIDITY 7, UIDNEXT exists+1. */
export const acceptSelect = async (conn: PeerConnection, exists = 0, mailbox = "INBOX") => {
  const tag = await conn.expect(`SELECT ${mailbox}`)
  await conn.send(
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
    `* ${exists} EXISTS`,
    "* 0 RECENT",
    "* OK [UIDVALIDITY 7] UIDs valid",
    `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
    `${tag} OK [READ-WRITE] Select completed.`
  )
}

/** Reads IDLE and answers `continuation`, then `pushed` in the same write (e.g. an EXISTS); returns the tag. */
export const acceptIdle = async (
  conn: PeerConnection,
  continuation = "+ idling",
  ...pushed: ReadonlyArray<string>
): Promise<string> => {
  const tag = await conn.expect("IDLE")
  await conn.send(continuation, ...pushed)
  return tag
}

/** Reads DONE (within `timeoutMs`) and answers the IDLE's tagged OK, as Dovecot words it. */
export const acceptDone = async (conn: PeerConnection, tag: string, timeoutMs?: number): Promise<void> => {
  const done = await conn.line(timeoutMs)
  if (done !== "DONE") throw new Error(`expected DONE, got ${done}`)
  await conn.send(`${tag} OK Idle completed (0.001 + 1.000 secs).`)
}

/**
 * Reads the next command, checks it against `expected` if given, answers `lines` and a tagged OK;
 * returns the command's text (without its tag), for a script that records what the client sent.
 */
export const answer = async (
  conn: PeerConnection,
  lines: ReadonlyArray<string>,
  expected?: RegExp
): Promise<string> => {
  const [tag, text] = await conn.command()
  if (expected !== undefined && !expected.test(text)) throw new Error(`expected ${expected}, got ${text}`)
  await conn.send(...lines, `${tag} OK done`)
  return text
}

/** Answers LOGOUT (BYE, tagged OK) and closes the connection. */
export const acceptLogout = async (conn: PeerConnection) => {
  const tag = await conn.expect("LOGOUT")
  await conn.send("* BYE Logging out", `${tag} OK Logout completed.`)
  conn.close()
}

/**
 * Runs `body` in its own scope (so the client's LOGOUT happens inside), then waits for the peer's
 * scripts: a script error (the client sent something unexpected) is reported before the client's
 * own failure, which is usually just its consequence.
 */
export const check = <A, E, R>(
  peer: ScriptedPeer,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(Effect.scoped(body))
    yield* Effect.promise(() => peer.finished())
    return yield* exit
  })
