/**
 * What the private test servers (Dovecot.ts, Cyrus.ts, Courier.ts) share about their processes: a temp
 * dir per server and run, a self-signed certificate, launching on free loopback ports until the
 * server greets (retrying when a port was taken meanwhile), stopping, and removing what runs that
 * died without teardown left behind.
 */
import { type ChildProcess, execFile } from "node:child_process"
import { once } from "node:events"
import { rmSync } from "node:fs"
import { chmod, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { promisify } from "node:util"
import { freePort } from "./FreePort.ts"
import * as LineSession from "./LineSession.ts"

export const HOST = "127.0.0.1"

/** Where scripts/install-servers.sh unpacks Cyrus and Courier (outside any checkout). */
export const installRoot = (): string => process.env.EFFECT_IMAP_SERVERS ?? "/opt/effect-imap-servers"

/** What a test needs to reach a server that has one account (Cyrus, Courier); serializable for `provide`. */
export interface AccountServerInfo {
  readonly host: string
  readonly port: number
  /** Implicit TLS; the plain `port` also offers STARTTLS. Both present a certificate for localhost. */
  readonly tlsPort: number
  /** The self-signed certificate (PEM), to trust as a CA. */
  readonly caPath: string
  readonly user: string
  readonly password: string
}

export interface AccountServer extends AccountServerInfo {
  readonly dir: string
  /** Stops the server and removes its temp dir (config, cert, logs, mail). */
  readonly stop: () => Promise<void>
}

/** uid and gid of a system user (`id`, since Node has no getpwnam). */
export const systemUser = async (name: string): Promise<{ uid: number; gid: number }> => {
  const id = async (flag: string) => Number((await run("id", [flag, name])).trim())
  return { uid: await id("-u"), gid: await id("-g") }
}

/** Runs a command, feeding `input` on stdin; rejects with its stderr on a non-zero exit. */
export const run = async (
  command: string,
  args: ReadonlyArray<string>,
  input?: string | Uint8Array
): Promise<string> => {
  const pending = promisify(execFile)(command, [...args], { maxBuffer: 64 * 1024 * 1024 })
  // The command may exit before reading stdin (bad user, bad mailbox): its EPIPE must not mask that exit status.
  pending.child.stdin?.on("error", () => {})
  pending.child.stdin?.end(input)
  try {
    return (await pending).stdout
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr || (error as Error).message}`)
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Whether `child` exits within `ms`. */
const exited = async (child: ChildProcess, ms: number): Promise<boolean> =>
  child.exitCode !== null ||
  child.signalCode !== null ||
  (await Promise.race([once(child, "exit").then(() => true), sleep(ms, false)]))

/** SIGTERM (each server's master takes its children down with it), then SIGKILL after `ms`. */
const stopChild = async (child: ChildProcess, ms = 5000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGTERM")
  if (!(await exited(child, ms))) child.kill("SIGKILL")
}

/**
 * Removes temp dirs `prefix*` of earlier runs that died without teardown (SIGKILL, a crashed runner):
 * a stale pid in `pidFile` (relative to the dir), or none (clean exit or never started) and
 * untouched for 10 minutes. Mail stores of bulk tests take hundreds of MB each.
 */
const sweepStale = async (prefix: string, pidFile: string): Promise<void> => {
  for (const name of await readdir(os.tmpdir()).catch(() => [])) {
    if (!name.startsWith(prefix)) continue
    const dir = path.join(os.tmpdir(), name)
    const pid = Number(await readFile(path.join(dir, pidFile), "utf8").catch(() => "0"))
    const modified = (await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now()
    const stale = pid > 0 ? !alive(pid) : Date.now() - modified > 10 * 60_000
    if (stale) await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {})
  }
}

/** A fresh temp dir the servers' unprivileged users can traverse (mkdtemp gives 0700). */
export const tempDir = async (prefix: string): Promise<string> => {
  await sweepStale(prefix, path.join("run", "master.pid"))
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  await chmod(dir, 0o755)
  return dir
}

/** A self-signed certificate for localhost and 127.0.0.1, which tests trust as their CA. */
export const selfSignedCertificate = async (certPath: string, keyPath: string): Promise<void> => {
  await run("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"],
    ...["-keyout", keyPath, "-out", certPath],
    ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
  ])
}

export interface Ports {
  readonly port: number
  readonly tlsPort: number
}

export interface LaunchOptions {
  /** For messages: "Cyrus", "Courier", ... */
  readonly name: string
  readonly dir: string
  readonly timeoutMs: number
  /** Writes the config for these ports and starts the server's processes. */
  readonly spawn: (ports: Ports) => Promise<ReadonlyArray<ChildProcess>>
  /** Our server's greeting: another one on the port means it was taken between probing and binding. */
  readonly greeting: RegExp
  /** The server's own log, for the error when it does not come up. */
  readonly logTail: () => Promise<string>
}

export interface Launched extends Ports {
  readonly children: ReadonlyArray<ChildProcess>
  /** Stops the processes and removes the temp dir. */
  readonly stop: () => Promise<void>
}

type Probe = "up" | "foreign" | "down"

const probe = async (port: number, greeting: RegExp): Promise<Probe> => {
  const session = await LineSession.open(HOST, port, 1000).catch(() => undefined)
  session?.socket.destroy()
  return session === undefined ? "down" : greeting.test(session.greeting) ? "up" : "foreign"
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, HOST)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/**
 * Starts a server on two free ports and waits until the plain one greets as `greeting` and the TLS one
 * accepts. A free port can be taken between probing and the server's bind: then it tries again with
 * fresh ports (3 attempts). If the test runner exits without teardown, neither processes holding the
 * ports nor the temp dir stay behind.
 */
export const launch = async (o: LaunchOptions): Promise<Launched> => {
  let lastError: Error | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports = { port: await freePort(HOST), tlsPort: await freePort(HOST) }
    const children = await o.spawn(ports)
    let stderr = ""
    for (const child of children) {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
      })
    }
    const onExit = () => {
      for (const child of children) child.kill("SIGTERM")
      rmSync(o.dir, { recursive: true, force: true })
    }
    process.once("exit", onExit)
    const deadline = Date.now() + o.timeoutMs
    const running = () => children.every((c) => c.exitCode === null && c.signalCode === null)
    let state: Probe = "down"
    while (state === "down" && Date.now() < deadline && running()) {
      state = await probe(ports.port, o.greeting)
      if (state === "up" && !(await listening(ports.tlsPort))) state = "down"
      if (state === "down") await sleep(25)
    }
    if (state === "up") {
      const stop = async () => {
        process.removeListener("exit", onExit)
        await Promise.all(children.map((child) => stopChild(child)))
        await rm(o.dir, { recursive: true, force: true, maxRetries: 3 })
      }
      return { ...ports, children, stop }
    }
    process.removeListener("exit", onExit)
    await Promise.all(children.map((child) => stopChild(child, 3000)))
    const exits = children.map((c) => c.exitCode ?? c.signalCode).filter((e) => e !== null)
    const what =
      state === "foreign"
        ? "found another server on its port"
        : exits.length > 0
          ? `exited (${exits.join(", ")}) before greeting`
          : `did not greet within ${o.timeoutMs} ms`
    const tail = await o.logTail()
    lastError = new Error(
      `${o.name} on ${HOST}:${ports.port} ${what}.\nstderr: ${stderr.trim()}\nlog (${o.dir}):\n${tail}`
    )
    if (state !== "foreign" && !/Address already in use/i.test(stderr + tail)) break
  }
  await rm(o.dir, { recursive: true, force: true })
  throw lastError
}

/** The last lines of a log file, or "" when there is none. */
export const tail = async (file: string, lines = 30): Promise<string> =>
  (await readFile(file, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n")

/** One TCP connection end as `ss -tnpH` lists it: ports (everything is on loopback) and owners. */
export interface SocketEnd {
  readonly localPort: number
  readonly peerPort: number
  readonly owners: ReadonlyArray<{ readonly name: string; readonly pid: number }>
}

/** Parses `ss -tnpH` lines (`ESTAB 0 0 127.0.0.1:40537 [::ffff:127.0.0.1]:143 users:(("imapd",pid=7,fd=0))`). */
export const parseSocketEnds = (ssOutput: string): Array<SocketEnd> =>
  ssOutput.split("\n").flatMap((line) => {
    const ports = line
      .split(/\s+/)
      .map((field) => /^\S+:(\d+)$/.exec(field)?.[1])
      .filter((port) => port !== undefined)
    const [local, peer] = ports
    if (local === undefined || peer === undefined) return []
    const owners = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1] ?? "", pid: Number(m[2]) }))
    return [{ localPort: Number(local), peerPort: Number(peer), owners }]
  })

/**
 * Processes that serve every session, not one: Dovecot's imap-login (one process for all logins,
 * `service_count = 0`) also relays each implicit-TLS connection after login.
 */
const shared = new Set(["imap-login"])

/**
 * The processes holding the server end of `clientPid`'s connections to `serverPorts`: the other end
 * of each connection the client holds (local and peer ports swapped), minus the client itself. Fails
 * on a process that serves other sessions too: killing it would cut off other tests.
 */
export const servingPids = (
  ends: ReadonlyArray<SocketEnd>,
  clientPid: number,
  serverPorts: ReadonlyArray<number>
): Array<number> => {
  const holds = (e: SocketEnd, pid: number) => e.owners.some((o) => o.pid === pid)
  const client = ends.filter((e) => holds(e, clientPid) && serverPorts.includes(e.peerPort))
  const serving = ends
    .filter((e) => client.some((c) => c.localPort === e.peerPort && c.peerPort === e.localPort))
    .flatMap((e) => e.owners)
    .filter((o) => o.pid !== clientPid)
  const sharedOwner = serving.find((o) => shared.has(o.name))
  if (sharedOwner !== undefined) {
    throw new Error(`${sharedOwner.name} (pid ${sharedOwner.pid}) serves every session: use a plain-port connection`)
  }
  return [...new Set(serving.map((o) => o.pid))]
}

/** The local ports of `clientPid`'s connections to `serverPorts` (its ends, as the server sees them). */
export const clientPorts = async (clientPid: number, serverPorts: ReadonlyArray<number>): Promise<Array<number>> =>
  parseSocketEnds(await run("ss", ["-tnpH"]))
    .filter((e) => e.owners.some((o) => o.pid === clientPid) && serverPorts.includes(e.peerPort))
    .map((e) => e.localPort)

/**
 * kill -9 of every server process serving `clientPid`'s connections to `serverPorts` (a crash, as
 * opposed to a shutdown: no BYE, the socket just closes). Returns the pids; fails if there were none.
 */
export const killServing = async (clientPid: number, serverPorts: ReadonlyArray<number>): Promise<Array<number>> => {
  const pids = servingPids(parseSocketEnds(await run("ss", ["-tnpH"])), clientPid, serverPorts)
  if (pids.length === 0) throw new Error(`no server process holds a connection of pid ${clientPid} to ${serverPorts}`)
  for (const pid of pids) process.kill(pid, "SIGKILL")
  return pids
}
