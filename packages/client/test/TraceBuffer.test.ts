/**
 * The protocol trace's one buffer (internal/TraceBuffer.ts), shared by the handshake and the
 * connection: every line reaches the user's sink at once; at debug level the same lines reach the
 * Effect logger, in order and annotated `imap=trace`, when flushed; above debug nothing is buffered.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, References } from "effect"
import * as TraceBuffer from "../src/internal/TraceBuffer.ts"

/** Runs `body` with a logger that keeps each message and its `imap` annotation. */
const logged = <A>(level: "Debug" | "Info", body: Effect.Effect<A>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const capture = Logger.make((o) => {
      const annotation = o.fiber.getRef(References.CurrentLogAnnotations).imap
      lines.push(`${String(annotation)} ${Array.isArray(o.message) ? o.message.join(" ") : String(o.message)}`)
    })
    const result = yield* body.pipe(
      Effect.provide(Logger.layer([capture])),
      Effect.provideService(References.MinimumLogLevel, level)
    )
    return { lines, result }
  })

describe("trace buffer", () => {
  it.effect("sends each line to the sink at once and logs nothing until flushed, then all in order", () =>
    Effect.gen(function* () {
      const sunk: Array<string> = []
      const { lines, result } = yield* logged(
        "Debug",
        Effect.gen(function* () {
          const trace = yield* TraceBuffer.make((d, l) => sunk.push(`${d}: ${l}`))
          trace.line("C", "A1 NOOP")
          trace.line("S", "A1 OK done")
          const beforeFlush = [...sunk]
          yield* trace.flush
          yield* trace.flush
          return { beforeFlush, enabled: trace.enabled, logging: trace.logging }
        })
      )
      assert.deepStrictEqual(result.beforeFlush, ["C: A1 NOOP", "S: A1 OK done"])
      assert.deepStrictEqual(lines, ["trace C: A1 NOOP", "trace S: A1 OK done"])
      assert.deepStrictEqual([result.enabled, result.logging], [true, true])
    })
  )

  it.effect("above debug level buffers nothing, and without a sink is disabled", () =>
    Effect.gen(function* () {
      const { lines, result } = yield* logged(
        "Info",
        Effect.gen(function* () {
          const trace = yield* TraceBuffer.make(undefined)
          trace.line("C", "A1 NOOP")
          yield* trace.flush
          return { enabled: trace.enabled, logging: trace.logging }
        })
      )
      assert.deepStrictEqual(lines, [])
      assert.deepStrictEqual([result.enabled, result.logging], [false, false])
    })
  )

  it.effect("at debug level without a sink is enabled: the log is a reader", () =>
    Effect.gen(function* () {
      const { lines, result } = yield* logged(
        "Debug",
        Effect.gen(function* () {
          const trace = yield* TraceBuffer.make(undefined)
          trace.line("S", "* OK ready")
          yield* trace.flush
          return trace.enabled
        })
      )
      assert.deepStrictEqual(lines, ["trace S: * OK ready"])
      assert.isTrue(result)
    })
  )
})
