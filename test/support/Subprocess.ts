/**
 * The CLI, example and demo tests run programs as a user would: a Node subprocess configured only
 * through IMAP_* variables. What they share: that environment, and collecting what a run printed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"
import type { ImapAccess } from "./Dovecot.ts"

/** The built CLI, as users run it (`imap`). */
export const cliBin = path.join(import.meta.dirname, "..", "..", "packages", "cli", "dist", "bin.js")

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * The environment of `user` having configured `server` in IMAP_*: no other IMAP_* variable leaks in
 * from the test runner; `extra` overrides, and an `undefined` in it removes the variable.
 */
export const imapEnv = (
  server: ImapAccess,
  user: string,
  extra: Record<string, string | undefined> = {}
): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("IMAP_")) env[k] = v
  Object.assign(env, {
    IMAP_HOST: server.host,
    IMAP_PORT: String(server.port),
    IMAP_USER: user,
    IMAP_PASSWORD: server.password,
    IMAP_TLS: "none"
  })
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** The environment of a cross-server test's `account` (TestServer.freshAccount): its login and mailbox. */
export const accountEnv = (
  server: { readonly host: string; readonly port: number },
  account: { readonly user: string; readonly password: string; readonly mailbox: string },
  extra: Record<string, string | undefined> = {}
): NodeJS.ProcessEnv =>
  imapEnv({ host: server.host, port: server.port, password: account.password }, account.user, {
    IMAP_MAILBOX: account.mailbox,
    ...extra
  })

/** Feeds `input` (or nothing) to the child's stdin and collects its output until it exits. */
export const completion = (child: ChildProcessWithoutNullStreams, input?: string | Uint8Array): Promise<Result> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8")
    })
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8")
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

/** The non-empty lines of a program's output. */
export const lines = (text: string): Array<string> => text.split("\n").filter((l) => l !== "")

/** Runs `imap ARGS` to completion with `env`, feeding it `input`. */
export const runCli = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  input?: string | Uint8Array
): Promise<Result> =>
  completion(spawn(process.execPath, [cliBin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] }), input)

/** A long-running `imap watch`: its output as it comes, events to await, and a signal to stop it. */
export interface Watch {
  readonly pid: number
  readonly stdout: string
  readonly stderr: string
  /** Resolves once `watching ...` (IDLE is running) has been printed `count` times in all. */
  readonly watching: (count?: number) => Promise<void>
  /** Resolves once stdout has `n` lines. */
  readonly outputLines: (n: number) => Promise<void>
  /** Resolves once `done()` holds, re-checked at every output; rejects after `timeoutMs` with the output. */
  readonly waitUntil: (what: string, done: () => boolean, timeoutMs?: number) => Promise<void>
  /** Sends `signal` (default SIGINT) and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

export const startWatch = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Watch => {
  const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] })
  child.stdin.end()
  let stdout = ""
  let stderr = ""
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const w of waiters) w()
  }
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8")
    notify()
  })
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8")
    notify()
  })
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
  const waitUntil = (what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}\nstdout: ${stdout}\nstderr: ${stderr}`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  return {
    pid: child.pid ?? 0,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    watching: (count = 1) => waitUntil("the watching line", () => (stderr.match(/^watching /gm) ?? []).length >= count),
    outputLines: (n) => waitUntil(`${n} output lines`, () => lines(stdout).length >= n),
    waitUntil,
    stop: async (signal = "SIGINT") => {
      child.kill(signal)
      return exited
    }
  }
}
