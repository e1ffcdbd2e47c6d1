/**
 * The CLI, example and demo tests run programs as a user would: a Node subprocess configured only
 * through IMAP_* variables. What they share: that environment, and collecting what a run printed.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process"
import type { ImapAccess } from "./Dovecot.ts"

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
