/**
 * The examples in examples/ run as a reader would run them (`node examples/<file>.ts`, settings in
 * IMAP_*), against the run's Dovecot, and print what their header comments promise.
 * (examples/app.test.ts is a vitest file of its own and runs with the suite.)
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { freePort } from "./support/FreePort.ts"
import { completion, imapEnv, lines, type Result } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()
const examples = path.join(import.meta.dirname, "..", "examples")

const spawnExample = (file: string, env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, [path.join(examples, file)], { env, stdio: ["pipe", "pipe", "pipe"] })

const envFor = (user: string, extra?: Record<string, string>) => imapEnv(server, user, extra)

const run = (file: string, user: string, extra?: Record<string, string>): Promise<Result> =>
  completion(spawnExample(file, envFor(user, extra)))

const message = (subject: string) =>
  `From: Alice <alice@example.com>\r\nTo: reader@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

describe("examples", { timeout: 60_000 }, () => {
  it("subjects.ts prints the UID and decoded subject of each message", async () => {
    const user = freshUser("ex-subjects")
    await server.importMany(user, "INBOX", [message("=?UTF-8?Q?caf=C3=A9?= au lait"), message("second")])
    const empty = freshUser("ex-empty")
    const [r, none] = await Promise.all([run("subjects.ts", user), run("subjects.ts", empty)])
    expect(r.code, r.stderr).toBe(0)
    expect(lines(r.stdout)).toEqual(["1 café au lait", "2 second"])
    expect(none.code, none.stderr).toBe(0)
    expect(none.stdout).toBe("INBOX is empty\n")
  })

  it("subjects-gen.ts and subjects-pipe.ts print the same thing, from IMAP_MAILBOX", async () => {
    const user = freshUser("ex-styles")
    await server.importMany(user, "Work", [message("alpha"), message("beta"), message("gamma")])
    const [gen, pipe] = await Promise.all([
      run("subjects-gen.ts", user, { IMAP_MAILBOX: "Work" }),
      run("subjects-pipe.ts", user, { IMAP_MAILBOX: "Work" })
    ])
    expect(gen.code, gen.stderr).toBe(0)
    expect(lines(gen.stdout)).toEqual(["1 alpha", "2 beta", "3 gamma"])
    expect(pipe.code, pipe.stderr).toBe(0)
    expect(pipe.stdout).toBe(gen.stdout)
  })

  it("subjects-robust.ts retries what a retry can fix and explains what it cannot", async () => {
    const user = freshUser("ex-robust")
    await server.importMany(user, "INBOX", [message("robust")])
    const [ok, refused, badPassword, noMailbox] = await Promise.all([
      run("subjects-robust.ts", user),
      freePort().then((port) => run("subjects-robust.ts", user, { IMAP_PORT: String(port) })),
      run("subjects-robust.ts", user, { IMAP_PASSWORD: "wrong" }),
      run("subjects-robust.ts", user, { IMAP_MAILBOX: "Missing" })
    ])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe("1 robust\n")
    // ConnectionFailed is retryable: 1 attempt + 3 retries, then the specific message.
    expect(refused.code).toBe(1)
    expect(lines(refused.stderr).filter((l) => l.includes("attempt failed"))).toHaveLength(4)
    expect(refused.stderr).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*even after retrying/)
    // AuthenticationFailed is not: no retry.
    expect(badPassword.code).toBe(1)
    expect(lines(badPassword.stderr)).toEqual(["subjects-robust: the server refused the user name or password"])
    expect(noMailbox.code).toBe(1)
    expect(noMailbox.stderr).toMatch(/the server refused EXAMINE/)
  })

  it("watch.ts prints each new message as it arrives, from IMAP_SINCE_UID on, until Ctrl-C", async () => {
    const user = freshUser("ex-watch")
    await server.importMany(user, "INBOX", [message("before 1"), message("before 2")])
    const child = spawnExample("watch.ts", envFor(user, { IMAP_SINCE_UID: "1" }))
    child.stdin.end()
    let stdout = ""
    let stderr = ""
    let onOutput = () => {}
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8")
      onOutput()
    })
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8")
    })
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
    const waitForLines = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${n} lines: ${stdout} / ${stderr}`)), 20_000)
        onOutput = () => {
          if (lines(stdout).length < n) return
          clearTimeout(timer)
          resolve()
        }
        onOutput()
      })
    // The message above UID 1 is printed once IDLE is about to start: new mail from here on is seen.
    await waitForLines(1)
    await server.deliver(user, "INBOX", message("live one"))
    await server.deliver(user, "INBOX", message("live two"))
    await waitForLines(3)
    child.kill("SIGINT")
    expect(await exited).toBe(130)
    expect(lines(stdout)).toEqual(["2 before 2", "3 live one", "4 live two"])
    expect(stderr).toMatch(/^watching INBOX on 127\.0\.0\.1/)
  })
})
