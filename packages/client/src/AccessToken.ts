/**
 * Access tokens for XOAUTH2/OAUTHBEARER from outside the tool, asked for again on every connection
 * (tokens expire after about an hour; `imap watch` outlives many): a file an external refresher
 * rewrites (`--access-token-file`), or a command that prints a fresh one (`--access-token-command`,
 * e.g. `oauth2l fetch ...` or `gcloud auth print-access-token`), run through the shell.
 *
 * The CLI's `--access-token-file` / `--access-token-command` and the fleet's stored token sources are
 * these. A failure is a `TokenUnavailable` that names the file, or the command's exit status and stderr;
 * never its stdout, which is where the token would be.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import type { TokenProvider } from "./ImapConfig.ts"
import * as ImapError from "./ImapError.ts"

/** The token in a file or a command's output: its first line, without surrounding blanks. */
export const firstLine = (text: string): string | undefined => {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? ""
  return line === "" ? undefined : line
}

const unavailable = (message: string, cause?: unknown) =>
  new ImapError.TokenUnavailable(cause === undefined ? { message } : { message, cause })

/** Re-read on every call: an external refresher may have replaced it since. */
export const fromFile = (file: string): TokenProvider =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (cause) => unavailable(ImapError.cannotRead(`access token file ${file}`, cause), cause)
  }).pipe(
    Effect.flatMap((text) => {
      const token = firstLine(text)
      return token === undefined
        ? Effect.fail(unavailable(`access token file ${file} is empty`))
        : Effect.succeed(Redacted.make(token))
    })
  )

/** A token is a line of a few KB (a Microsoft 365 JWT is about 2-4 KB); more is not a token. */
const maxStdout = 64 * 1024
/** Enough of stderr to say why; the rest is dropped. */
const maxStderrShown = 300
/** A token endpoint that has not answered by then is down; the command is killed. */
export const commandTimeout = 30_000

/**
 * Another program's stderr folded into one short clause of our message: runs of controls (an ANSI
 * colour's ESC, CR, LF) become one space, so colours and line breaks vanish rather than show as
 * escapes. Lossy on purpose, unlike `TerminalText.field` (the user's data, every control kept visible)
 * and the client's `Trace.printable` (wire bytes, every control escaped): this is a reason, not data.
 */
export const stderrExcerpt = (stderr: string): string => {
  const flat = stderr
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
  if (flat === "") return "nothing on stderr"
  return flat.length > maxStderrShown ? `${flat.slice(0, maxStderrShown)}...` : flat
}

interface Finished {
  /** Killed for taking longer than `commandTimeout`. */
  readonly timedOut: boolean
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string): Effect.Effect<Finished, ImapError.TokenUnavailable> =>
  Effect.callback<Finished, ImapError.TokenUnavailable>((resume) => {
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8")
    child.stderr.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      if (stdout.length < maxStdout) stdout += chunk
    })
    child.stderr.on("data", (chunk: string) => {
      // The end of stderr usually says why; keep a bounded tail.
      stderr = (stderr + chunk).slice(-4096)
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, commandTimeout)
    child.once("error", (cause) => {
      clearTimeout(timer)
      resume(Effect.fail(unavailable(`cannot run the access token command: ${cause.message}`, cause)))
    })
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      resume(Effect.succeed({ timedOut, code, signal, stdout, stderr }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

/** What a finished command gave: the token, or the reason there is none (never quoting stdout). */
export const outcome = (f: Finished): Redacted.Redacted<string> | ImapError.TokenUnavailable => {
  if (f.timedOut) return unavailable(`access token command gave no token within ${commandTimeout / 1000} s`)
  const status = f.signal !== null ? `killed by ${f.signal}` : `exit status ${f.code}`
  if (f.signal !== null || f.code !== 0) {
    return unavailable(`access token command failed (${status}): ${stderrExcerpt(f.stderr)}`)
  }
  const token = firstLine(f.stdout)
  if (token === undefined) return unavailable(`access token command printed no token (${status})`)
  return Redacted.make(token)
}

/** Runs `command` through the shell on every call; its stdout's first line is the token. */
export const fromCommand = (command: string): TokenProvider =>
  Effect.flatMap(run(command), (f) => {
    const got = outcome(f)
    return got instanceof ImapError.TokenUnavailable ? Effect.fail(got) : Effect.succeed(got)
  })
