// A private Dovecot for integration tests: writes its own config, TLS cert and mail store into a fresh
// temp dir, starts `dovecot -F` on free 127.0.0.1 ports and waits for the greeting. Also owns the
// server-side helpers (kick, deliver, createMailbox via doveadm; importMany via one IMAP MULTIAPPEND).
// They take the config path (or host/port/password), not a handle, so test workers can call them with
// the description globalSetup `provide`s. Nothing here touches /etc/dovecot or the system's mail.
import { execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { chown, mkdir, writeFile } from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as LineSession from "./LineSession.ts"
import { quoted } from "./LineSession.ts"
import { HOST, launch, run, selfSignedCertificate, tail, tempDir } from "./ServerProcess.ts"

/** What a test needs to reach the server; serializable so globalSetup can `provide` it. */
export interface DovecotInfo {
  readonly host: string
  readonly port: number
  /** Implicit TLS; the plain `port` also offers STARTTLS. Both present a certificate for localhost. */
  readonly tlsPort: number
  /** Every username logs in with this one password. */
  readonly password: string
  /** The self-signed certificate (PEM), to trust as a CA. */
  readonly caPath: string
  readonly configPath: string
}

/** The server-side actions a test needs, each bound to one server. */
export interface DovecotActions {
  /** Disconnects every session of `user`, as a server restart or an admin would. */
  readonly kick: (user: string) => Promise<void>
  /** Saves one message as new mail (IDLE sessions see it about 0.5 s later); creates the mailbox if missing. */
  readonly deliver: (user: string, mailbox: string, rfc822: string | Uint8Array) => Promise<void>
  /** Appends messages in order, atomically, creating the mailbox if missing (50,000 in a few seconds). */
  readonly importMany: (user: string, mailbox: string, messages: ReadonlyArray<string | Uint8Array>) => Promise<void>
  /** Creates a mailbox unless it exists. */
  readonly createMailbox: (user: string, name: string) => Promise<void>
}

export interface Dovecot extends DovecotInfo, DovecotActions {
  readonly dir: string
  /** Stops Dovecot and removes its temp dir (config, cert, logs, mail). */
  readonly stop: () => Promise<void>
}

export interface StartOptions {
  readonly password?: string
  readonly timeoutMs?: number
  /** Sessions one user may hold from one IP (default 1000); past it LOGIN gets `NO [UNAVAILABLE]`. */
  readonly maxUserIpConnections?: number
  /** imap processes at most (default 1024); with `imapClientLimit` > 1, benches hold thousands of sessions. */
  readonly imapProcessLimit?: number
  /** Sessions one imap process serves (default 1: a process per session, Dovecot's default). */
  readonly imapClientLimit?: number
  /** Dovecot's fallback poll of an IDLE session's mailbox (default "1 secs"; Dovecot's own default is 30 s). */
  readonly mailboxIdleCheckInterval?: string
  /** How often Dovecot sends `* OK Still here` during IDLE (unset: Dovecot's default, 2 mins). */
  readonly idleNotifyInterval?: string
  /** More limits for holding thousands of sessions (bench/scale.ts); each unset leaves the harness's default. */
  readonly scale?: ScaleLimits
}

/**
 * Dovecot's per-service limits beside imap's (doc.dovecot.org, "Service configuration"): with TLS the
 * login processes proxy every connection for its whole life, and an imap process serving many
 * sessions outgrows the default address-space cap.
 */
export interface ScaleLimits {
  /** `service imap-login { client_limit }`: connections (TLS ones proxied) one login process holds. */
  readonly loginClientLimit?: number
  /** `service imap-login { process_min_avail }` (harness default 1): login processes kept running. */
  readonly loginProcesses?: number
  /** `default_vsz_limit` (Dovecot's default 256M): the address-space cap of every service process. */
  readonly vszLimit?: string
  /** `default_client_limit` (Dovecot's default 1000): anvil, auth and log take their limits from it. */
  readonly defaultClientLimit?: number
}

const PREFIX = "effect-imap-dovecot-"
const MAIL_USER = "imaptest"
const DEFAULT_PASSWORD = "imaptest-password"

// Non-root shells often lack /usr/sbin on PATH; Debian installs dovecot there and doveadm in /usr/bin.
const binary = (name: string): string =>
  ["/usr/sbin", "/usr/bin"].map((dir) => path.join(dir, name)).find((p) => existsSync(p)) ?? name

const doveadm = (configPath: string, args: ReadonlyArray<string>, input?: string | Uint8Array) =>
  run(binary("doveadm"), ["-c", configPath, ...args], input)

/** Dovecot refuses to access mail as root, so as root mail belongs to a dedicated system user. */
const ensureMailUser = (): { uid: number; gid: number } => {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  const id = (flag: string) => Number(execFileSync("id", [flag, MAIL_USER], { stdio: ["ignore", "pipe", "ignore"] }))
  try {
    return { uid: id("-u"), gid: id("-g") }
  } catch {
    // A concurrent start may win the race to create it (useradd exit 9); the lookup after decides.
    const args = ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MAIL_USER]
    try {
      execFileSync(binary("useradd"), args, { stdio: "ignore" })
    } catch {}
    return { uid: id("-u"), gid: id("-g") }
  }
}

const renderConfig = (o: {
  dir: string
  port: number
  tlsPort: number
  password: string
  uid: number
  gid: number
  root: boolean
  maxUserIpConnections: number
  imapProcessLimit: number
  imapClientLimit: number
  mailboxIdleCheckInterval: string
  idleNotifyInterval: string | undefined
  scale: ScaleLimits
}): string => {
  const me = o.root ? "" : os.userInfo().username
  // Dovecot wants a group name; Node has no getgrgid.
  const group = o.root ? "" : execFileSync("id", ["-gn"], { encoding: "utf8" }).trim()
  return `# Generated by test/support/Dovecot.ts for one test run; deleted with ${o.dir}.
base_dir = ${o.dir}/run
state_dir = ${o.dir}/state
log_path = ${o.dir}/log/dovecot.log
info_log_path = ${o.dir}/log/dovecot.log
debug_log_path = ${o.dir}/log/dovecot.log
protocols = imap
listen = ${HOST}
ssl = yes
ssl_cert = <${o.dir}/tls/cert.pem
ssl_key = <${o.dir}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
# sdbox: maildir re-reads its uidlist on every re-SELECT (slow at 50,000 messages).
mail_location = sdbox:~/mail
# A test store need not survive a crash; fsync dominates bulk imports.
mail_fsync = never
# Only the fallback poll: IDLE notices new mail through inotify (then holds it ~0.5 s, compiled in).
mailbox_idle_check_interval = ${o.mailboxIdleCheckInterval}
${o.idleNotifyInterval === undefined ? "" : `imap_idle_notify_interval = ${o.idleNotifyInterval}\n`}${o.scale.vszLimit === undefined ? "" : `default_vsz_limit = ${o.scale.vszLimit}\n`}${o.scale.defaultClientLimit === undefined ? "" : `default_client_limit = ${o.scale.defaultClientLimit}\n`}${o.root ? "" : `# Not root: every service runs as us (no setuid), and no chroot.\ndefault_internal_user = ${me}\ndefault_internal_group = ${group}\ndefault_login_user = ${me}\n`}
# Dovecot answers a failed login only on a 500 ms tick and then makes every login from the same IP
# wait 2, 4 .. 15 s (anvil's auth penalty): one wrong-password test would slow every later login.
# The "nodelay" extra field skips both, but a failing passdb's fields are rolled back, so this first
# passdb always succeeds (%w is the password the client sent), sets nodelay, and defers to the next.
passdb {
  driver = static
  args = password=%w nodelay=yes
  result_success = continue-fail
}
# Any username logs in with the one password, so each test file can use a fresh user.
passdb {
  driver = static
  args = password=${o.password}
}
userdb {
  driver = static
  args = uid=${o.uid} gid=${o.gid} home=${o.dir}/home/%u
}
protocol imap {
  mail_max_userip_connections = ${o.maxUserIpConnections}
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${o.port}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${o.tlsPort}
    ssl = yes
  }
  # One long-lived login process serves every connection: no fork per test connection.
  service_count = 0
  # Keep it warm: after idle_kill a fresh one would be forked on the next connection.
  process_min_avail = ${o.scale.loginProcesses ?? 1}
${o.scale.loginClientLimit === undefined ? "" : `  client_limit = ${o.scale.loginClientLimit}\n`}${o.root ? "" : "  chroot =\n"}}
service imap {
  # Tests that hold many sessions at once; the default is 100.
  process_limit = ${o.imapProcessLimit}
  client_limit = ${o.imapClientLimit}
${o.imapClientLimit > 1 ? "  # A process per session would not share: reuse processes (Dovecot's default ends one after a session).\n  service_count = 0\n" : ""}}
${o.root ? "" : "service anvil {\n  chroot =\n}\n"}`
}

export const start = async (options: StartOptions = {}): Promise<Dovecot> => {
  const password = options.password ?? DEFAULT_PASSWORD
  const root = process.getuid?.() === 0
  const { uid, gid } = ensureMailUser()
  // Traversable: the mail user and Dovecot's own users (dovecot, dovenull) work in it.
  const dir = await tempDir(PREFIX)
  for (const sub of ["run", "state", "log", "tls", "home"]) await mkdir(path.join(dir, sub))
  if (root) await chown(path.join(dir, "home"), uid, gid)
  const caPath = path.join(dir, "tls", "cert.pem")
  await selfSignedCertificate(caPath, path.join(dir, "tls", "key.pem"))
  const configPath = path.join(dir, "dovecot.conf")
  const { port, tlsPort, stop } = await launch({
    name: "Dovecot",
    dir,
    timeoutMs: options.timeoutMs ?? 10_000,
    greeting: /Dovecot/,
    logTail: () => tail(path.join(dir, "log", "dovecot.log")),
    // The master takes its auth, log and login children down with it on SIGTERM.
    spawn: async ({ port, tlsPort }) => {
      await writeFile(
        configPath,
        renderConfig({
          ...{ dir, port, tlsPort, password, uid, gid, root },
          maxUserIpConnections: options.maxUserIpConnections ?? 1000,
          imapProcessLimit: options.imapProcessLimit ?? 1024,
          imapClientLimit: options.imapClientLimit ?? 1,
          mailboxIdleCheckInterval: options.mailboxIdleCheckInterval ?? "1 secs",
          idleNotifyInterval: options.idleNotifyInterval,
          scale: options.scale ?? {}
        })
      )
      return [spawn(binary("dovecot"), ["-c", configPath, "-F"], { stdio: ["ignore", "ignore", "pipe"] })]
    }
  })
  return {
    ...{ host: HOST, port, tlsPort, password, caPath, configPath, dir, stop },
    kick: (user) => kick(configPath, user),
    deliver: (user, mailbox, rfc822) => deliver(configPath, user, mailbox, rfc822),
    importMany: (user, mailbox, messages) => importMany({ host: HOST, port, password }, user, mailbox, messages),
    createMailbox: (user, name) => createMailbox(configPath, user, name)
  }
}

export const kick = async (configPath: string, user: string): Promise<void> => {
  await doveadm(configPath, ["kick", user])
}

export const deliver = async (
  configPath: string,
  user: string,
  mailbox: string,
  rfc822: string | Uint8Array
): Promise<void> => {
  await createMailbox(configPath, user, mailbox)
  await doveadm(configPath, ["save", "-u", user, "-m", mailbox], rfc822)
}

export const createMailbox = async (configPath: string, user: string, name: string): Promise<void> => {
  if (name.toUpperCase() === "INBOX") return
  await doveadm(configPath, ["mailbox", "create", "-u", user, name]).catch((error: Error) => {
    if (!/already exists/i.test(error.message)) throw error
  })
}

/** Where `importMany` logs in; a `DovecotInfo` or `Dovecot` will do. */
export type ImapAccess = Pick<DovecotInfo, "host" | "port" | "password">

/**
 * One MULTIAPPEND (RFC 3502) with LITERAL+ over one IMAP session: atomic, and the fastest way measured
 * at 50,000 messages of ~450 bytes (2 shared cores, ext4): 3.2-7.6 s, against `doveadm import` from a
 * scratch maildir 6.4-8.9 s (writing the 50,000 source files alone takes 2 s), from an mbox 8.7 s (and
 * it adds a byte per message), and `doveadm save` at 13 ms per message (about 11 minutes).
 */
export const importMany = async (
  server: ImapAccess,
  user: string,
  mailbox: string,
  messages: ReadonlyArray<string | Uint8Array>
): Promise<void> => {
  // Dovecot says nothing while it stores the batch: allow minutes of silence, not seconds.
  const session = await LineSession.open(server.host, server.port, 300_000)
  try {
    const name = quoted(encodeMailboxName(mailbox))
    await session.expectOk("i1", `LOGIN ${quoted(user)} ${quoted(server.password)}\r\n`)
    if (mailbox.toUpperCase() !== "INBOX") {
      const created = await session.command("i2", `CREATE ${name}\r\n`)
      if (!/^i2 OK|\[ALREADYEXISTS\]/.test(created)) throw new Error(`CREATE ${mailbox}: ${created}`)
    }
    if (messages.length === 0) return
    const parts: Array<Uint8Array> = [Buffer.from(`APPEND ${name}`)]
    for (const message of messages) {
      const bytes = typeof message === "string" ? Buffer.from(message, "utf8") : message
      parts.push(Buffer.from(` {${bytes.byteLength}+}\r\n`), bytes)
    }
    parts.push(Buffer.from("\r\n"))
    await session.expectOk("i3", Buffer.concat(parts))
  } finally {
    session.socket.destroy()
  }
}

/** RFC 3501 5.1.3 modified UTF-7: Dovecot 2.3 has no UTF8=ACCEPT, so non-ASCII names must be encoded. */
export const encodeMailboxName = (name: string): string =>
  name.replace(/&/g, "&-").replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.alloc(run.length * 2)
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2)
    return `&${utf16.toString("base64").replace(/=+$/, "").replace(/\//g, ",")}-`
  })
