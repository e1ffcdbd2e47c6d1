// What an integration test file uses to reach the run's servers (started by globalSetup.ts): the
// injected connection details plus the server-side actions. `dovecot()` and `freshUser` serve the
// Dovecot-only files (any fresh user logs in, so each file or test gets a store nobody else touches);
// `imapServer(name)` gives the cross-server files the same shape on Dovecot, Cyrus, Courier and
// @pkg/testing's in-process server.
import { ImapConfig } from "@pkg/client"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { beforeAll, inject } from "vitest"
import * as Dovecot from "./Dovecot.ts"
import * as InProcessServer from "./InProcessServer.ts"
import * as LineSession from "./LineSession.ts"
import { quoted } from "./LineSession.ts"
import { type AccountServerInfo, killServing } from "./ServerProcess.ts"

export type { DovecotInfo } from "./Dovecot.ts"

export interface TestDovecot extends Dovecot.DovecotInfo, Dovecot.DovecotActions {}

export const dovecot = (): TestDovecot => {
  // globalSetup provides nothing when Dovecot is not installed, despite the declared type.
  const info = inject("dovecot") as Dovecot.DovecotInfo | undefined
  if (info === undefined)
    throw new Error("no Dovecot for this run: install it (apt-get install dovecot-imapd) or use ./run test")
  return {
    ...info,
    kick: (user) => Dovecot.kick(info.configPath, user),
    deliver: (user, mailbox, rfc822) => Dovecot.deliver(info.configPath, user, mailbox, rfc822),
    importMany: (user, mailbox, messages) => Dovecot.importMany(info, user, mailbox, messages),
    createMailbox: (user, name) => Dovecot.createMailbox(info.configPath, user, name)
  }
}

let counter = 0

/** A name part no other test (in any worker, or an earlier run) has used. */
const unique = (prefix: string): string => {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9._-]+/g, "-")
  counter += 1
  return `${clean}-${process.pid}-${counter}-${randomBytes(3).toString("hex")}`
}

/**
 * A username no other test (in any worker, or an earlier run) has used; any name logs in with the shared
 * password. Lower-case and restricted to Dovecot's default `auth_username_chars`, because Dovecot
 * lower-cases logins (`auth_username_format = %Lu`) and rejects other characters.
 */
export const freshUser = (prefix = "user"): string => unique(prefix)

// --- Every server: Dovecot, Cyrus, Courier ------------------------------------------------------

// "testing" is @pkg/testing's in-process server, held to the same cross-server tests as the real three.
export type ServerName = "dovecot" | "cyrus" | "courier" | "testing"
export const serverNames: ReadonlyArray<ServerName> = ["dovecot", "cyrus", "courier", "testing"]

/** What globalSetup provides for a server with one account: its details, or why there is none. */
export type Provided = { readonly info: AccountServerInfo } | { readonly unavailable: string }

/** A login and an empty mailbox that no other test uses. */
export interface Account {
  readonly user: string
  readonly password: string
  readonly mailbox: string
}

export interface TestImapServer {
  readonly name: ServerName
  readonly host: string
  /** Plain, with STARTTLS. */
  readonly port: number
  readonly tlsPort: number
  /** The server's self-signed certificate, to trust as a CA. */
  readonly caPath: string
  /** The hierarchy separator of the personal namespace. */
  readonly separator: string
  /**
   * Dovecot: a fresh user (any name logs in) and a folder. Cyrus and Courier have one account per
   * run (Courier's is a system user), so a fresh folder in it: INBOX is shared by the run's tests.
   */
  readonly freshAccount: (prefix?: string) => Promise<Account>
  /** APPEND over a connection of its own (another client, as new mail arrives); the new UID. */
  readonly append: (account: Account, rfc822: string | Uint8Array, mailbox?: string) => Promise<number>
  readonly createMailbox: (account: Account, name: string) => Promise<void>
  /**
   * kill -9 of the server processes serving `clientPid`'s connections to this server; their pids.
   * Refuses Dovecot's implicit-TLS connections: the imap-login relaying them serves every session.
   * The in-process server has no process of its own: it drops those connections at once (no BYE)
   * and returns their client ports.
   */
  readonly killServing: (clientPid: number) => Promise<ReadonlyArray<number>>
}

/** Cyrus and Courier keep folders below INBOX (Debian's namespace); Dovecot's are top-level. */
const layout: Record<ServerName, { readonly parent: string; readonly separator: string }> = {
  dovecot: { parent: "", separator: "/" },
  cyrus: { parent: "INBOX", separator: "." },
  courier: { parent: "INBOX", separator: "." },
  testing: { parent: "", separator: "/" }
}

/** One short IMAP session beside the client under test: LOGIN, `body`, LOGOUT. */
const withSession = async <A>(
  info: { readonly host: string; readonly port: number },
  account: Account,
  body: (session: LineSession.LineSession) => Promise<A>
): Promise<A> => {
  const session = await LineSession.open(info.host, info.port, 10_000)
  try {
    await session.expectOk("s1", `LOGIN ${quoted(account.user)} ${quoted(account.password)}\r\n`)
    const result = await body(session)
    await session.expectOk("s9", "LOGOUT\r\n")
    return result
  } finally {
    session.socket.destroy()
  }
}

let inProcess: InProcessServer.InProcess | undefined

/** The injected details of a server, or an error saying why this run has none. */
const serverInfo = (name: ServerName): AccountServerInfo => {
  if (name === "testing") {
    if (inProcess === undefined) throw new Error("the in-process server is started in imapServer's beforeAll")
    const { handle, caPath, password } = inProcess
    return { host: handle.host, port: handle.port, tlsPort: handle.tlsPort ?? 0, caPath, user: "", password }
  }
  if (name === "dovecot") {
    const d = dovecot()
    // No `user`: any name logs in, and freshAccount makes up a new one each time.
    return { host: d.host, port: d.port, tlsPort: d.tlsPort, caPath: d.caPath, user: "", password: d.password }
  }
  const provided = inject(name) as Provided | undefined
  if (provided === undefined) throw new Error(`no ${name} for this run: globalSetup did not provide it`)
  if ("unavailable" in provided) throw new Error(`no ${name} for this run: ${provided.unavailable}`)
  return provided.info
}

/**
 * A server for `describe.each(serverNames)`. Its details are looked up at first use, inside a test:
 * a server this run could not start then fails each of its tests with the reason (vitest would
 * report the tests of a failing beforeAll or describe as skipped, or lose the whole file).
 */
export const imapServer = (name: ServerName): TestImapServer => {
  if (name === "testing") {
    beforeAll(async () => {
      inProcess = await InProcessServer.start()
    })
  }
  let resolved: AccountServerInfo | undefined
  const info = () => {
    resolved ??= serverInfo(name)
    return resolved
  }
  const { parent, separator } = layout[name]
  const createMailbox = (account: Account, mailbox: string) =>
    withSession(info(), account, async (session) => {
      await session.expectOk("s2", `CREATE ${quoted(mailbox)}\r\n`)
    })
  return {
    name,
    get host() {
      return info().host
    },
    get port() {
      return info().port
    },
    get tlsPort() {
      return info().tlsPort
    },
    get caPath() {
      return info().caPath
    },
    separator,
    freshAccount: async (prefix = "test") => {
      const folder = unique(prefix)
      const fresh = name === "dovecot" || name === "testing"
      const account = {
        user: fresh ? freshUser(prefix) : info().user,
        password: info().password,
        mailbox: parent === "" ? folder : `${parent}${separator}${folder}`
      }
      if (name === "testing") await InProcessServer.addUser(account.user)
      await createMailbox(account, account.mailbox)
      return account
    },
    append: (account, rfc822, mailbox = account.mailbox) =>
      withSession(info(), account, async (session) => {
        const reply = await session.append("s2", mailbox, rfc822)
        const uid = /\[APPENDUID \d+ (\d+)\]/i.exec(reply)?.[1]
        if (uid === undefined) throw new Error(`APPEND to ${mailbox}: no APPENDUID in ${reply}`)
        return Number(uid)
      }),
    createMailbox,
    killServing: (clientPid) =>
      name === "testing" ? InProcessServer.dropClient(clientPid) : killServing(clientPid, [info().port, info().tlsPort])
  }
}

/**
 * Client options for `account` on `server`: the plain port without TLS (the default), or with
 * STARTTLS, or the implicit-TLS port, trusting the server's own certificate.
 */
export const clientOptions = (
  server: TestImapServer,
  account: Account,
  tls: "none" | "starttls" | "implicit" = "none"
): ImapConfig.ImapClientOptions => ({
  host: server.host,
  port: tls === "implicit" ? server.tlsPort : server.port,
  tls,
  tlsOptions: tls === "none" ? undefined : { ca: readFileSync(server.caPath), servername: "localhost" },
  auth: ImapConfig.password(account.user, account.password),
  timeouts: { connect: "5 seconds", greeting: "5 seconds", command: "15 seconds", logout: "2 seconds" }
})
