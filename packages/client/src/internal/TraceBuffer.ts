/**
 * The protocol trace as the handshake and the connection both write it: each line goes at once to
 * the user's sink (`--trace`), and, when debug logging is on, is buffered for the Effect logger. The
 * reader makes its lines synchronously, inside the framer's callback, where it cannot log: `flush`
 * logs what was buffered, in order, once the reader or writer is back in an effect.
 */
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import type { TraceSink } from "../Trace.ts"

export interface TraceBuffer {
  /** Someone reads the trace (a sink, or the debug log): only then are printable lines worth building. */
  readonly enabled: boolean
  /** Debug logging is on: `flush` has lines to log. Lets hot paths skip it otherwise. */
  readonly logging: boolean
  readonly line: (direction: "C" | "S", text: string) => void
  /** Logs the buffered lines at debug level, annotated `imap=trace`. */
  readonly flush: Effect.Effect<void>
}

/** Nobody reads the trace: one value shared by every connection (no buffer, no closures each). */
const disabled: TraceBuffer = { enabled: false, logging: false, line: () => {}, flush: Effect.void }

export const make: (sink: TraceSink | undefined) => Effect.Effect<TraceBuffer> = Effect.fnUntraced(function* (
  sink: TraceSink | undefined
) {
  const logging = LogLevel.isLessThanOrEqualTo(yield* References.MinimumLogLevel, "Debug")
  if (sink === undefined && !logging) return disabled
  const lines: Array<string> = []
  return {
    enabled: sink !== undefined || logging,
    logging,
    line: (direction, text) => {
      sink?.(direction, text)
      if (logging) lines.push(`${direction}: ${text}`)
    },
    flush: Effect.suspend(() => {
      if (lines.length === 0) return Effect.void
      return Effect.forEach(lines.splice(0, lines.length), (l) => Effect.logDebug(l), { discard: true }).pipe(
        Effect.annotateLogs("imap", "trace")
      )
    })
  }
})
