/**
 * What `imap` prints: data on stdout (a line per item, or a JSON object per line with `--json`),
 * everything else (progress, warnings, watch status, errors, log lines) on stderr so pipes only see
 * data. Every line goes through `TerminalText`, so no control character a server or a sender chose
 * reaches the terminal; only the help and version text that effect/cli formats (and may colour) is
 * written verbatim.
 */
import type { MessageSummary } from "@pkg/client"
import { Address } from "@pkg/protocol"
import { Cause, Effect, Formatter, Logger, type LogLevel } from "effect"
import * as TerminalText from "./TerminalText.ts"

export type Format = "line" | "json"

export const formatOf = (json: boolean): Format => (json ? "json" : "line")

/**
 * JSON that survives bigints (MODSEQ, Gmail ids) by writing them as strings, with every control
 * and bidi character escaped (`TerminalText.json`): a JSON line is read on terminals too.
 */
export const toJson = (value: unknown): string =>
  TerminalText.json(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))

/**
 * A line of data, made safe for a terminal. Waits while stdout's queue is over its high-water mark:
 * Node queues writes to a pipe in memory, so `imap watch --since-uid 0 | slow-reader` otherwise held
 * the whole replay there (5 MB queued, 314 MB RSS, at 120,000 of 200,000 messages). Waiting lets the
 * watcher's backpressure reach the socket.
 */
export const stdout = (text: string): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (process.stdout.write(`${TerminalText.text(text)}\n`)) resume(Effect.void)
    else process.stdout.once("drain", () => resume(Effect.void))
  })

/** A line (or lines) for the person at the terminal, made safe for it. */
export const stderr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stderr.write(`${TerminalText.text(text)}\n`)
  })

/** Text this program composed itself: effect/cli's help and version, with its own colours. */
export const verbatim = (stream: "stdout" | "stderr", text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process[stream].write(`${text}\n`)
  })

/** One item as a line or as JSON, depending on the format. */
export const item = (format: Format, line: string, json: unknown): Effect.Effect<void> =>
  stdout(format === "json" ? toJson(json) : line)

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
  process.stderr.write(`${TerminalText.text(logLine(options))}\n`)
})

// ---------------------------------------------------------------------------------------------
// Messages (subjects and watch print the same shape)

export interface MessageJson {
  readonly uid: number
  readonly uidValidity: number
  readonly seq: number
  readonly subject: string | null
  readonly from: ReadonlyArray<{ readonly name: string | null; readonly address: string | null }>
  readonly date: string | null
  readonly flags: ReadonlyArray<string>
  readonly size: number | null
}

export const messageJson = (m: MessageSummary.MessageSummary): MessageJson => ({
  uid: m.uid,
  uidValidity: m.uidValidity,
  seq: m.seq,
  subject: m.subject ?? null,
  from: m.from.map((a) => ({ name: a.name ?? null, address: a.address ?? null })),
  date: m.date?.toISOString() ?? null,
  flags: m.flags,
  size: m.size ?? null
})

/** `2026-11-26 10:00` in UTC: sortable, and the same on every machine. */
const shortDate = (d: Date | undefined): string =>
  d === undefined ? "-" : d.toISOString().slice(0, 16).replace("T", " ")

/** UID, date, sender and subject, tab-separated (so `cut -f` works). */
export const messageLine = (m: MessageSummary.MessageSummary): string => {
  const sender = m.from[0] === undefined ? "-" : TerminalText.field(Address.format(m.from[0])) || "-"
  const subject = TerminalText.field(m.subject ?? "(no subject)")
  return `${m.uid}\t${shortDate(m.date)}\t${sender}\t${subject}`
}

export const message = (format: Format, m: MessageSummary.MessageSummary): Effect.Effect<void> =>
  item(format, messageLine(m), messageJson(m))

// ---------------------------------------------------------------------------------------------
// Progress

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
