/**
 * How a password is read: from `--password-file`, or by a hidden prompt when stdin is a terminal
 * (Credentials.ts decides which, and reads IMAP_PASSWORD). Never a plain flag: argv is visible to every
 * user of the machine (`ps`) and lands in shell history. The value is `Redacted` from the moment it
 * is read.
 */
import { Effect, Redacted } from "effect"
import * as fs from "node:fs/promises"
import { UsageError } from "./ExitCode.ts"
import { cannotRead } from "./Report.ts"

/** The file's first line (a trailing newline is not part of a password). */
export const fromFile = (file: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (cause) => new UsageError({ message: cannotRead(`password file ${file}`, cause) })
  }).pipe(Effect.map((text) => Redacted.make(text.replace(/\r?\n[\s\S]*$/, ""))))

/** Reads a line from the terminal without echoing it; the question goes to stderr, not stdout. */
const promptHidden = (question: string): Effect.Effect<string> =>
  Effect.callback<string>((resume) => {
    const stdin = process.stdin
    let input = ""
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      stdin.off("data", onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write("\n")
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish()
          return resume(Effect.succeed(input))
        }
        // Raw mode turns Ctrl-C into a byte instead of SIGINT.
        if (ch === "\u0003") {
          finish()
          return resume(Effect.interrupt)
        }
        if (ch === "\u007f" || ch === "\b") input = Array.from(input).slice(0, -1).join("")
        else input += ch
      }
    }
    // Echo off before the question shows: whatever is typed after seeing it must not be echoed.
    stdin.setEncoding("utf8")
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on("data", onData)
    process.stderr.write(question)
    return Effect.sync(finish)
  })

/** Asks on the terminal (stdin must be a TTY). */
export const prompt = (user: string, host: string): Effect.Effect<Redacted.Redacted<string>> =>
  Effect.map(promptHidden(`Password for ${user}@${host}: `), Redacted.make)
