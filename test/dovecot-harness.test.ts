// Proves the integration-test harness itself (test/support): the shared Dovecot greets on both ports,
// accepts any fresh user with the run's password and rejects a wrong one, trusts its own CA over implicit
// TLS and STARTTLS, and its server-side helpers (deliver, importMany, createMailbox, kick) take effect.
// Speaks raw IMAP over node:net/node:tls so a bug in the client under test cannot hide a harness bug.
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as tls from "node:tls"
import { describe, expect, it } from "vitest"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()

/** A line-at-a-time IMAP peer: enough for tagged commands whose replies carry no literals. */
class Wire {
  private buffered = ""
  private readonly lines: Array<string> = []
  private waiter: (() => void) | undefined
  ended = false
  socket: net.Socket

  constructor(socket: net.Socket) {
    this.socket = socket
    this.attach(socket)
  }

  private attach(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.buffered += chunk.toString("latin1")
      for (let end = this.buffered.indexOf("\r\n"); end >= 0; end = this.buffered.indexOf("\r\n")) {
        this.lines.push(this.buffered.slice(0, end))
        this.buffered = this.buffered.slice(end + 2)
      }
      this.waiter?.()
    })
    const end = () => {
      this.ended = true
      this.waiter?.()
    }
    socket.on("close", end)
    socket.on("error", end)
  }

  /** The next line, or undefined once the connection has closed and nothing is left. */
  async line(timeoutMs = 5000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const next = this.lines.shift()
      if (next !== undefined) return next
      if (this.ended) return undefined
      if (Date.now() > deadline) throw new Error("timed out waiting for a line")
      await new Promise<void>((resolve) => {
        this.waiter = resolve
        setTimeout(resolve, 50)
      })
    }
  }

  /** Sends `tag command` and returns every line up to and including the tagged one. */
  async command(tag: string, command: string): Promise<Array<string>> {
    this.socket.write(`${tag} ${command}\r\n`)
    const seen: Array<string> = []
    for (;;) {
      const line = await this.line()
      if (line === undefined) throw new Error(`connection closed during ${command}; saw ${seen.join(" | ")}`)
      seen.push(line)
      if (line.startsWith(`${tag} `)) return seen
    }
  }

  /** Continues the session over TLS on the same TCP connection (after STARTTLS's OK). */
  async upgrade(ca: Buffer): Promise<void> {
    this.socket.removeAllListeners("data")
    this.socket.removeAllListeners("close")
    this.socket.removeAllListeners("error")
    const secure = tls.connect({ socket: this.socket, ca, servername: "localhost" })
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve)
      secure.once("error", reject)
    })
    this.socket = secure
    this.attach(secure)
  }

  close(): void {
    this.socket.destroy()
  }
}

const connectPlain = async (): Promise<Wire> => {
  const socket = net.connect(server.port, server.host)
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  return new Wire(socket)
}

const connectTls = async (ca: Buffer | undefined): Promise<Wire> => {
  const socket = tls.connect({ host: server.host, port: server.tlsPort, servername: "localhost", ...(ca && { ca }) })
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve)
    socket.once("error", reject)
  })
  return new Wire(socket)
}

const login = (wire: Wire, user: string, password = server.password) =>
  wire.command("l1", `LOGIN "${user}" "${password}"`)

const message = (subject: string) =>
  `From: harness@example.com\r\nTo: test@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@harness>\r\n\r\nbody\r\n`

describe("Dovecot test harness", () => {
  it("greets on the plain port and logs in any fresh user with the shared password", async () => {
    const wire = await connectPlain()
    try {
      expect(await wire.line()).toMatch(/^\* OK .*Dovecot/)
      const reply = await login(wire, freshUser("harness"))
      expect(reply.at(-1)).toMatch(/^l1 OK/)
    } finally {
      wire.close()
    }
  })

  it("rejects a wrong password with NO", async () => {
    const wire = await connectPlain()
    try {
      await wire.line()
      const reply = await login(wire, freshUser("harness"), `${server.password}-wrong`)
      expect(reply.at(-1)).toMatch(/^l1 NO /)
    } finally {
      wire.close()
    }
  })

  it("answers wrong passwords at once and without slowing later logins", async () => {
    // Stock Dovecot holds each failure for a 500 ms tick, then delays every login from the IP 2, 4, 8 s.
    const user = freshUser("harness-penalty")
    const wire = await connectPlain()
    try {
      await wire.line()
      const started = Date.now()
      for (const tag of ["w1", "w2", "w3"])
        expect((await wire.command(tag, `LOGIN "${user}" "wrong"`)).at(-1)).toMatch(new RegExp(`^${tag} NO `))
      expect((await login(wire, user)).at(-1)).toMatch(/^l1 OK/)
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      wire.close()
    }
  })

  it("serves implicit TLS with a certificate the exported CA validates", async () => {
    const ca = readFileSync(server.caPath)
    const wire = await connectTls(ca)
    try {
      expect(await wire.line()).toMatch(/^\* OK /)
      expect((await login(wire, freshUser("harness-tls"))).at(-1)).toMatch(/^l1 OK/)
    } finally {
      wire.close()
    }
    // Without the CA the self-signed certificate must be refused, or the test above proves nothing.
    await expect(connectTls(undefined)).rejects.toThrow(/self[- ]signed/i)
  })

  it("upgrades the plain port with STARTTLS", async () => {
    const wire = await connectPlain()
    try {
      expect(await wire.line()).toMatch(/STARTTLS/)
      expect((await wire.command("s1", "STARTTLS")).at(-1)).toMatch(/^s1 OK/)
      await wire.upgrade(readFileSync(server.caPath))
      expect((await login(wire, freshUser("harness-starttls"))).at(-1)).toMatch(/^l1 OK/)
    } finally {
      wire.close()
    }
  })

  it("deliver() stores a message that SELECT then counts", async () => {
    const user = freshUser("harness-deliver")
    await server.deliver(user, "INBOX", message("delivered"))
    const wire = await connectPlain()
    try {
      await wire.line()
      await login(wire, user)
      const reply = await wire.command("s1", "SELECT INBOX")
      expect(reply).toContain("* 1 EXISTS")
      expect(reply.at(-1)).toMatch(/^s1 OK/)
    } finally {
      wire.close()
    }
  })

  it("importMany() stores 1,000 messages in order and createMailbox() makes a listable mailbox", async () => {
    const user = freshUser("harness-import")
    const messages = Array.from({ length: 1000 }, (_, i) => message(`bulk ${i}`))
    await server.importMany(user, "INBOX", messages)
    await server.createMailbox(user, "Archive")
    await server.createMailbox(user, "Archive") // idempotent
    const wire = await connectPlain()
    try {
      await wire.line()
      await login(wire, user)
      expect(await wire.command("s1", "SELECT INBOX")).toContain("* 1000 EXISTS")
      const fetched = await wire.command("f1", "FETCH 1000 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
      expect(fetched[0]).toMatch(/^\* 1000 FETCH \(UID 1000 /)
      expect(fetched).toContain("Subject: bulk 999")
      expect(await wire.command("l2", 'LIST "" "*"')).toContainEqual(expect.stringMatching(/^\* LIST .* "?Archive"?$/))
    } finally {
      wire.close()
    }
  })

  it("importMany() creates and fills a mailbox with a non-ASCII name (sent as modified UTF-7)", async () => {
    const user = freshUser("harness-utf7")
    await server.importMany(user, "Archiv/Ä & co", [message("one"), message("two"), message("three")])
    const wire = await connectPlain()
    try {
      await wire.line()
      await login(wire, user)
      expect(await wire.command("s1", 'STATUS "Archiv/&AMQ- &- co" (MESSAGES)')).toContain(
        '* STATUS "Archiv/&AMQ- &- co" (MESSAGES 3)'
      )
    } finally {
      wire.close()
    }
  })

  it("kick() drops the user's open session", async () => {
    const user = freshUser("harness-kick")
    const wire = await connectPlain()
    try {
      await wire.line()
      expect((await login(wire, user)).at(-1)).toMatch(/^l1 OK/)
      await server.kick(user)
      // Dovecot may say BYE first; either way the connection must end.
      const after: Array<string> = []
      for (let line = await wire.line(); line !== undefined; line = await wire.line()) after.push(line)
      expect(wire.ended).toBe(true)
      expect(after.every((line) => line.startsWith("* BYE"))).toBe(true)
    } finally {
      wire.close()
    }
  })
})
