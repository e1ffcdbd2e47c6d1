// Proves the cross-server harness itself (test/support: Cyrus.ts, Courier.ts, ServerProcess.ts,
// InProcessServer.ts, TestServer.imapServer) on Dovecot, Cyrus, Courier and @pkg/testing's server: each greets as itself on its plain port
// (offering STARTTLS) and over implicit TLS with the certificate it gives the tests, refuses a wrong
// password, and its helpers take effect: freshAccount makes an empty mailbox of its own, append stores
// a message under a new UID, killServing kills exactly the process serving a connection and the
// server goes on serving others. Speaks raw IMAP (LineSession, node:tls), not the client under test.
import { readFileSync } from "node:fs"
import * as tls from "node:tls"
import { describe, expect, it } from "vitest"
import * as LineSession from "./support/LineSession.ts"
import { quoted } from "./support/LineSession.ts"
import { parseSocketEnds, servingPids } from "./support/ServerProcess.ts"
import { type Account, imapServer, type ServerName, serverNames, type TestImapServer } from "./support/TestServer.ts"

const greetings: Record<ServerName, RegExp> = {
  dovecot: /Dovecot/,
  cyrus: /Cyrus IMAP 3\.6/,
  courier: /Courier-IMAP/,
  testing: /effect-imap test server/
}

/** A session logged in as `account`, for the harness checks. */
const loggedIn = async (server: TestImapServer, user: string, password: string) => {
  const session = await LineSession.open(server.host, server.port, 10_000)
  const reply = await session.command("h1", `LOGIN ${quoted(user)} ${quoted(password)}\r\n`)
  return { session, reply }
}

describe("servingPids (which process holds the other end of a client's connection)", () => {
  const ss = [
    'ESTAB 0 0 127.0.0.1:50001 127.0.0.1:143 users:(("node",pid=10,fd=20))',
    'ESTAB 0 0 127.0.0.1:143 127.0.0.1:50001 users:(("imapd",pid=20,fd=0),("imapd",pid=20,fd=1))',
    'ESTAB 0 0 127.0.0.1:50002 127.0.0.1:143 users:(("node",pid=11,fd=20))',
    'ESTAB 0 0 127.0.0.1:143 127.0.0.1:50002 users:(("imapd",pid=21,fd=0))',
    // Courier's couriertcpd listens on an IPv6 socket: its ends show IPv4-mapped addresses.
    'ESTAB 0 0 127.0.0.1:50003 127.0.0.1:993 users:(("node",pid=10,fd=21))',
    'ESTAB 0 0 [::ffff:127.0.0.1]:993 [::ffff:127.0.0.1]:50003 users:(("couriertls",pid=30,fd=3),("imapd",pid=31,fd=0))',
    // The client's connection to some other server is not ours to kill.
    'ESTAB 0 0 127.0.0.1:50004 127.0.0.1:5432 users:(("node",pid=10,fd=22))',
    'ESTAB 0 0 127.0.0.1:5432 127.0.0.1:50004 users:(("postgres",pid=40,fd=9))',
    // Dovecot relays implicit TLS through its one imap-login process, which serves every session.
    'ESTAB 0 0 127.0.0.1:50005 127.0.0.1:994 users:(("node",pid=13,fd=20))',
    'ESTAB 0 0 127.0.0.1:994 127.0.0.1:50005 users:(("imap-login",pid=50,fd=17))'
  ].join("\n")
  const ends = parseSocketEnds(ss)

  it.each([
    { client: 10, ports: [143], expected: [20] },
    { client: 11, ports: [143], expected: [21] },
    { client: 10, ports: [143, 993], expected: [20, 30, 31] },
    { client: 10, ports: [5432], expected: [40] },
    { client: 12, ports: [143], expected: [] },
    { client: 10, ports: [110], expected: [] }
  ])("client pid $client, server ports $ports -> $expected", ({ client, ports, expected }) => {
    expect(servingPids(ends, client, ports).sort()).toEqual(expected)
  })

  it("reads ports and every owner of a line, and skips lines without two addresses", () => {
    expect(parseSocketEnds(`${ss}\n\nState Recv-Q`)).toHaveLength(10)
    expect(ends[5]).toEqual({
      localPort: 993,
      peerPort: 50003,
      owners: [
        { name: "couriertls", pid: 30 },
        { name: "imapd", pid: 31 }
      ]
    })
  })

  it("refuses a process that serves every session (Dovecot's imap-login) instead of killing it", () => {
    expect(() => servingPids(ends, 13, [994])).toThrow(/imap-login \(pid 50\) serves every session/)
  })
})

describe.each(serverNames)("%s harness", (name) => {
  const server = imapServer(name)

  it("greets as itself on the plain port, with STARTTLS offered", async () => {
    const session = await LineSession.open(server.host, server.port, 10_000)
    session.socket.destroy()
    expect(session.greeting).toMatch(greetings[name])
    expect(session.greeting).toMatch(/STARTTLS/)
  })

  it("greets over implicit TLS with a certificate the tests trust through caPath", async () => {
    const ca = readFileSync(server.caPath)
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: server.host, port: server.tlsPort, ca, servername: "localhost" })
      socket.once("data", (chunk: Buffer) => {
        socket.destroy()
        resolve(chunk.toString("latin1"))
      })
      socket.once("error", reject)
    })
    expect(greeting).toMatch(/^\* OK /)
    expect(greeting).toMatch(greetings[name])
  })

  it("logs the account in, and refuses a wrong password", async () => {
    const account = await server.freshAccount("harness-login")
    const good = await loggedIn(server, account.user, account.password)
    good.session.socket.destroy()
    expect(good.reply).toMatch(/^h1 OK/)
    const bad = await loggedIn(server, account.user, `${account.password}-wrong`)
    bad.session.socket.destroy()
    expect(bad.reply).toMatch(/^h1 NO/)
  })

  it("freshAccount makes an empty mailbox of its own; append stores messages under rising UIDs", async () => {
    const a = await server.freshAccount("harness-append")
    const b = await server.freshAccount("harness-append")
    expect(a.mailbox).not.toEqual(b.mailbox)
    const first = await server.append(a, "Subject: one\r\n\r\nfirst\r\n")
    const second = await server.append(a, "Subject: two\r\n\r\nsecond\r\n")
    expect(second).toBeGreaterThan(first)
    const messages = async (account: Account) => {
      const { session } = await loggedIn(server, account.user, account.password)
      const lines = await session.exchange("h2", `STATUS ${quoted(account.mailbox)} (MESSAGES)\r\n`)
      session.socket.destroy()
      return Number(/^\* STATUS .*\(MESSAGES (\d+)\)$/m.exec(lines.join("\n"))?.[1])
    }
    expect(await messages(a)).toBe(2)
    expect(await messages(b)).toBe(0)
  })

  it("killServing kills the process serving a connection, and the server serves the next one", async () => {
    const account = await server.freshAccount("harness-kill")
    const { session } = await loggedIn(server, account.user, account.password)
    const closed = new Promise<void>((resolve) => session.socket.once("close", () => resolve()))
    const pids = await server.killServing(process.pid)
    expect(pids.length).toBeGreaterThan(0)
    expect(pids).not.toContain(process.pid)
    await closed
    const next = await loggedIn(server, account.user, account.password)
    next.session.socket.destroy()
    expect(next.reply).toMatch(/^h1 OK/)
  })
})
