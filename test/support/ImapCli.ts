/**
 * Running the `imap` command as a user would, for the CLI test files: the compiled
 * `packages/cli/dist/bin.js` in a Node subprocess configured through IMAP_* variables, run to
 * completion (`run`) or kept running (`startWatch`, for `imap watch`), against the run's servers or a
 * scripted peer (`peerEnv`).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"
import { completion, imapEnv, lines, type Result } from "./Subprocess.ts"

export const bin = path.join(import.meta.dirname, "..", "..", "packages", "cli", "dist", "bin.js")

export const spawnCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, [bin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] })

/** Runs `imap args` to its end with `input` on stdin. */
export const run = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  input?: string | Uint8Array
): Promise<Result> => completion(spawnCli(args, env), input)

/** The environment for a scripted peer on `port`: plain TCP, user `u`, password `p` (`Peer.acceptLogin`). */
export const peerEnv = (port: number, extra?: Record<string, string | undefined>): NodeJS.ProcessEnv =>
  imapEnv({ host: "127.0.0.1", port, password: "p" }, "u", extra)

/** A long-running `imap watch`: its stdout and stderr lines as they come. */
export const startWatch = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const child = spawnCli(args, env)
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
    /** For finding its connections (TestServer.killServing). */
    pid: child.pid ?? 0,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    /** The next `watching ...` line after `count` earlier ones: IDLE is running. */
    watching: (count = 1) => waitUntil("the watching line", () => (stderr.match(/^watching /gm) ?? []).length >= count),
    outputLines: (n: number) => waitUntil(`${n} output lines`, () => lines(stdout).length >= n),
    stop: async (signal: NodeJS.Signals = "SIGINT"): Promise<number | null> => {
      child.kill(signal)
      return exited
    }
  }
}
