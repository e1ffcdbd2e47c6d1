/**
 * A private PostgreSQL for the fleet's tests: initdb into a temp dir, started on a free loopback port
 * with its socket in that dir, trust authentication, durability off (a test database). Debian's
 * server binaries live in /usr/lib/postgresql/<version>/bin; PostgreSQL refuses to run as root, so
 * under root (CI) the cluster belongs to the `postgres` system user Debian's package creates.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { chown, readdir } from "node:fs/promises"
import * as net from "node:net"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { freePort } from "./FreePort.ts"
import { HOST, run, systemUser, tempDir } from "./ServerProcess.ts"

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly url: string
  readonly port: number
  readonly dir: string
  /** Stops the server and removes its temp dir. */
  readonly stop: () => Promise<void>
}

/** The newest installed server's bin dir, or undefined when no PostgreSQL server is installed. */
export const binDir = async (): Promise<string | undefined> => {
  const root = "/usr/lib/postgresql"
  const versions = (await readdir(root).catch(() => [] as Array<string>))
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const bin = path.join(root, version, "bin")
    const ok = await readdir(bin).then(
      (names) => names.includes("postgres") && names.includes("initdb"),
      () => false
    )
    if (ok) return bin
  }
  return undefined
}

const accepting = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, HOST)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/** Starts a private PostgreSQL; rejects with its log when it does not accept within `timeoutMs`. */
export const start = async (timeoutMs = 30_000): Promise<Postgres> => {
  const bin = await binDir()
  if (bin === undefined)
    throw new Error("no PostgreSQL server: install it (apt-get install postgresql) or use ./run test")
  const dir = await tempDir("effect-imap-pg-")
  const data = path.join(dir, "data")
  const owner = process.getuid?.() === 0 ? await systemUser("postgres") : undefined
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid)
  const as = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid }
  await runAs(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], as)
  const port = await freePort(HOST)
  const child: ChildProcess = spawn(
    path.join(bin, "postgres"),
    [
      ...["-D", data, "-p", String(port), "-k", dir, "-c", `listen_addresses=${HOST}`],
      // A test database: losing it on a crash costs nothing, waiting for disks costs every test.
      ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      ...["-c", "max_connections=200"]
    ],
    { ...as, stdio: ["ignore", "ignore", "pipe"] }
  )
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const onExit = () => child.kill("SIGKILL")
  process.once("exit", onExit)
  const stop = async () => {
    process.removeListener("exit", onExit)
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT: PostgreSQL's fast shutdown (disconnects clients instead of waiting for them).
      child.kill("SIGINT")
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      const timer = sleep(5000).then(() => child.kill("SIGKILL"))
      await Promise.race([done, timer])
    }
    await run("rm", ["-rf", dir])
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break
    // The port opens before start-up ends; its log line says when connections are taken.
    if (stderr.includes("ready to accept connections") && (await accepting(port))) {
      return { url: `postgres://postgres@${HOST}:${port}/postgres`, port, dir, stop }
    }
    await sleep(25)
  }
  await stop()
  throw new Error(`PostgreSQL did not start on port ${port}: ${stderr}`)
}

const runAs = (command: string, args: ReadonlyArray<string>, as: { uid?: number; gid?: number }) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(command, [...args], { ...as, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.once("error", reject)
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed: ${stderr}`))
    )
  })
