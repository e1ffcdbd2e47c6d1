/**
 * What `imap` prints: data on stdout (a line per item, or a JSON object per line with `--json`),
 * everything else (progress, warnings, watch status, errors, log lines) on stderr so pipes only see
 * data. Every line goes through `TerminalText`, so no control character a server or a sender chose
 * reaches the terminal; only the help and version text that effect/cli formats (and may colour) is
 * written verbatim.
 */
import { MessageSummary } from "@pkg/client"
import { Address } from "@pkg/protocol"
import { Cause, Effect, Formatter, Logger, type LogLevel } from "effect"
import * as TerminalText from "./TerminalText.ts"

/** How a command prints its results: one text `line` per item, or one `json` value per line. */
export type Format = "line" | "json"

/** The output format a command was asked for: `json` with `--json`, else `line`. */
export const formatOf = (json: boolean): Format => (json ? "json" : "line")

/**
 * JSON that survives bigints (MODSEQ, Gmail ids) by writing them as strings, with every control
 * and bidi character escaped (`TerminalText.json`): a JSON line is read on terminals too.
 */
export const toJson = (value: unknown): string =>
  TerminalText.json(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))

// ---------------------------------------------------------------------------------------------
// Writing stdout

/**
 * Lines of data are written in batches: a `write` per line cost 0.08 s over 10,000 lines (a
 * syscall and a Buffer each). A batch goes out once it holds `BATCH` characters, at the end of the
 * current turn of the event loop (so `watch` prints a new message at once), before anything is
 * written to stderr (so a terminal shows both streams in order), and when the program ends (`flush`).
 */
const BATCH = 16 * 1024
let pending = ""
let scheduled = false
/**
 * Set while stdout is over its high-water mark: the writers waiting for `drain`. Node queues writes
 * to a pipe in memory, so `imap watch --since-uid 0 | slow-reader` otherwise held the whole replay
 * there (5 MB queued, 314 MB RSS, at 120,000 of 200,000 messages). Waiting lets the watcher's
 * backpressure reach the socket.
 */
let waiting: Array<() => void> | undefined

/** Hands the batch to Node now; from then on writers wait if stdout is over its high-water mark. */
const writePending = (): void => {
  scheduled = false
  if (pending === "") return
  const batch = pending
  pending = ""
  if (!process.stdout.write(batch) && waiting === undefined) {
    const resumes: Array<() => void> = []
    waiting = resumes
    process.stdout.once("drain", () => {
      waiting = undefined
      for (const resume of resumes) resume()
    })
  }
}

/** Queues a line that is already safe for a terminal; waits while stdout is over its high-water mark. */
const writeLine = (line: string): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    pending += `${line}\n`
    if (pending.length >= BATCH) writePending()
    else if (!scheduled) {
      scheduled = true
      setImmediate(writePending)
    }
    if (waiting === undefined) resume(Effect.void)
    else waiting.push(() => resume(Effect.void))
  })

/** Writes what is batched and waits until stdout takes it: the last step of a command that succeeded. */
export const flush: Effect.Effect<void> = Effect.callback<void>((resume) => {
  writePending()
  if (waiting === undefined) resume(Effect.void)
  else waiting.push(() => resume(Effect.void))
})

/** Writes what is batched without waiting: for a command that failed or was interrupted. */
export const flushNow: Effect.Effect<void> = Effect.sync(writePending)

/** A line of data, made safe for a terminal. */
export const stdout = (text: string): Effect.Effect<void> => writeLine(TerminalText.text(text))

/** A line (or lines) for the person at the terminal, made safe for it. */
export const stderr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    writePending()
    process.stderr.write(`${TerminalText.text(text)}\n`)
  })

/** Text this program composed itself: effect/cli's help and version, with its own colours. */
export const verbatim = (stream: "stdout" | "stderr", text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    writePending()
    process[stream].write(`${text}\n`)
  })

/** One item as a line or as JSON, depending on the format. */
export const item = (format: Format, line: string, json: unknown): Effect.Effect<void> =>
  stdout(format === "json" ? toJson(json) : line)

/** Prints a warning on stderr as `imap: warning: ...`. */
export const warning = (text: string): Effect.Effect<void> => stderr(`imap: warning: ${text}`)

// ---------------------------------------------------------------------------------------------
// Log lines

const levelWord = (level: LogLevel.LogLevel): string => (level === "Warn" ? "warning" : level.toLowerCase())

/** `imap: warning: ...`, `imap: debug: S: * OK ...`: the message, then the cause's lines if any. */
export const logLine = (options: Logger.Options<unknown>): string => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const message = parts.map((p) => (typeof p === "string" ? p : Formatter.format(p))).join(" ")
  const cause = options.cause.reasons.length > 0 ? `\n${Cause.pretty(options.cause)}` : ""
  return `imap: ${levelWord(options.logLevel)}: ${message}${cause}`
}

/**
 * The CLI's Effect logger. Effect's default logger writes to stdout (console.log), where a warning
 * or a `--log-level debug` line would land among `--json` objects or inside `fetch`'s bytes: every
 * log line goes to stderr instead, as safe text like any other line there.
 */
export const logger: Logger.Logger<unknown, void> = Logger.make((options) => {
  writePending()
  process.stderr.write(`${TerminalText.text(logLine(options))}\n`)
})

// ---------------------------------------------------------------------------------------------
// Messages (subjects and watch print the same shape)

/** One message as `--json` prints it (`MessageSummary.Json`, shared with the fleet's outbox). */
export type MessageJson = MessageSummary.Json

/** The `--json` object of a message. */
export const messageJson: (m: MessageSummary.MessageSummary) => MessageJson = MessageSummary.toJson

/** `2026-11-26 10:00` in UTC: sortable, and the same on every machine. */
const shortDate = (d: Date | undefined): string =>
  d === undefined ? "-" : d.toISOString().slice(0, 16).replace("T", " ")

/** UID, date, sender and subject, tab-separated (so `cut -f` works). */
export const messageLine = (m: MessageSummary.MessageSummary): string => {
  const sender = m.from[0] === undefined ? "-" : TerminalText.field(Address.format(m.from[0])) || "-"
  const subject = TerminalText.field(m.subject ?? "(no subject)")
  return `${m.uid}\t${shortDate(m.date)}\t${sender}\t${subject}`
}

/**
 * Prints a message on stdout: one text line (UID, date, sender, subject), or its `--json` object.
 * Only the line asked for is built. A message's JSON holds no bigint, so it needs no `toJson`
 * replacer (which takes `JSON.stringify` off its fast path), and `TerminalText.json` leaves no
 * character that `TerminalText.text` would change.
 */
export const message = (format: Format, m: MessageSummary.MessageSummary): Effect.Effect<void> =>
  format === "json" ? writeLine(TerminalText.json(JSON.stringify(messageJson(m)))) : stdout(messageLine(m))

// ---------------------------------------------------------------------------------------------
// Progress

/** Progress lines on stderr while a long listing runs. */
export interface Progress {
  readonly tick: (n?: number) => void
  readonly done: () => void
}

const noProgress: Progress = { tick: () => {}, done: () => {} }

/**
 * A `fetched n/total` counter redrawn in place on stderr, at most 10 times a second; only when
 * stderr is a terminal and the job is large enough to make waiting noticeable.
 */
export const progress = (label: string, total: number, threshold = 1000): Progress => {
  if (!process.stderr.isTTY || total <= threshold) return noProgress
  let count = 0
  let drawnAt = 0
  const draw = () => {
    process.stderr.write(`\r${label} ${count}/${total}`)
    drawnAt = Date.now()
  }
  return {
    tick: (n = 1) => {
      count += n
      if (Date.now() - drawnAt >= 100) draw()
    },
    done: () => {
      if (drawnAt > 0) process.stderr.write("\r\u001b[K")
    }
  }
}
