/**
 * FETCH results as a `Stream` in constant memory. The reader hands each `* n FETCH` to a small
 * buffer; past a high-water mark the connection stops reading the socket (TCP backpressure) until
 * the consumer catches up, unless another command needs the reader, in which case buffering wins
 * over deadlock. A consumer that stops early leaves the command to be drained by the reader.
 */
import type { FetchData, UntaggedData } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { CommandRequest, ImapConnection } from "./ImapConnection.ts"
import type { ImapError } from "./ImapError.ts"
import * as Handoff from "./internal/Handoff.ts"

export interface FetchStreamOptions {
  /** Responses buffered before the socket is paused. */
  readonly highWater?: number | undefined
}

/**
 * Runs `request` (whose collector is replaced) and streams the FETCH responses that `accept` claims.
 * `accept` returns an error for a response that answers the command but breaks the protocol: the
 * stream fails with it (after what came before), and the rest of the reply is drained.
 */
/** What `stream` takes besides the connection, the request and `accept`. */
type StreamOptions = FetchStreamOptions & {
  readonly collectOther?: (r: UntaggedData) => boolean
  /** A span from the first pull to the end of the stream, parent of the command's span. */
  readonly span?: string | undefined
}

export const stream = (
  connection: ImapConnection,
  request: Omit<CommandRequest, "collect">,
  accept: (r: FetchData) => boolean | ImapError,
  options?: StreamOptions
): Stream.Stream<FetchData, ImapError> => Stream.unwrap(open(connection, request, accept, options))

/** A generator function defined once: one made per FETCH got its own prototype and V8 object shape. */
const open = Effect.fnUntraced(function* (
  connection: ImapConnection,
  request: Omit<CommandRequest, "collect">,
  accept: (r: FetchData) => boolean | ImapError,
  options: StreamOptions | undefined
) {
  // Not `Stream.withSpan`: that provides the span again on every pull and captures a stack
  // trace, which was a tenth of a cold 2,000-message FETCH's CPU. The span only needs to
  // cover the stream's life (its scope) and be the command's parent.
  const span = options?.span === undefined ? undefined : yield* Effect.makeSpanScoped(options.span)
  const highWater = options?.highWater ?? 512
  const key = {}
  const handoff = Handoff.make<FetchData, ImapError>()
  let cancelled = false
  handoff.onTake(() => connection.resume(key))
  const collect = (r: UntaggedData): boolean => {
    const verdict = r._tag === "Fetch" ? accept(r) : false
    if (verdict !== false && verdict !== true) {
      if (!cancelled) handoff.end(Exit.fail(verdict))
      cancelled = true
      return true
    }
    if (r._tag === "Fetch" && verdict) {
      if (cancelled) return true
      handoff.push(r)
      if (handoff.size() >= highWater) connection.pause(key)
      return true
    }
    return options?.collectOther?.(r) ?? false
  }
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      // Stopping early: drop what is left of the reply, let the reader run again.
      cancelled = true
      handoff.clear()
      connection.resume(key)
    })
  )
  const run = connection.run({ ...request, collect })
  yield* (span === undefined ? run : Effect.withParentSpan(run, span, { captureStackTrace: false })).pipe(
    Effect.exit,
    Effect.tap((exit) =>
      Effect.sync(() => {
        connection.resume(key)
        handoff.end(exit)
      })
    ),
    Effect.forkScoped
  )
  return Stream.fromPull(Effect.succeed(handoff.pull))
})
