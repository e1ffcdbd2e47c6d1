/**
 * FETCH results as a `Stream` in constant memory. The reader hands each `* n FETCH` to a small
 * buffer; past a high-water mark the connection stops reading the socket (TCP backpressure) until
 * the consumer catches up, unless another command needs the reader, in which case buffering wins
 * over deadlock. A consumer that stops early leaves the command to be drained by the reader.
 */
import type { FetchData, Tagged, UntaggedData } from "@pkg/protocol"
import { Cause, Effect, Exit, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import type { CommandRequest, ImapConnection } from "./ImapConnection.ts"
import type { ImapError } from "./ImapError.ts"

export interface FetchStreamOptions {
  /** Responses buffered before the socket is paused. */
  readonly highWater?: number | undefined
}

/**
 * Runs `request` (whose collector is replaced) and streams the FETCH responses that `accept` claims.
 * `onDone` sees the tagged OK (for VANISHED-style extras the caller collects itself).
 */
export const stream = (
  connection: ImapConnection,
  request: Omit<CommandRequest, "collect">,
  accept: (r: FetchData) => boolean,
  options?: FetchStreamOptions & { readonly collectOther?: (r: UntaggedData) => boolean }
): Stream.Stream<FetchData, ImapError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const highWater = options?.highWater ?? 512
      const key = {}
      let items: Array<FetchData> = []
      let end: Exit.Exit<Tagged, ImapError> | undefined
      let cancelled = false
      let wake: (() => void) | undefined
      const notify = () => {
        const w = wake
        wake = undefined
        w?.()
      }
      const collect = (r: UntaggedData): boolean => {
        if (r._tag === "Fetch" && accept(r)) {
          if (cancelled) return true
          items.push(r)
          if (items.length >= highWater) connection.pause(key)
          notify()
          return true
        }
        return options?.collectOther?.(r) ?? false
      }
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          // Stopping early: drop what is left of the reply, let the reader run again.
          cancelled = true
          items = []
          connection.resume(key)
        })
      )
      yield* connection.run({ ...request, collect }).pipe(
        Effect.exit,
        Effect.tap((exit) =>
          Effect.sync(() => {
            end = exit
            connection.resume(key)
            notify()
          })
        ),
        Effect.forkScoped
      )
      const pull: Effect.Effect<NonEmptyReadonlyArray<FetchData>, ImapError | Cause.Done> = Effect.suspend(() => {
        if (items.length > 0) {
          const batch = items as unknown as NonEmptyReadonlyArray<FetchData>
          items = []
          connection.resume(key)
          return Effect.succeed(batch)
        }
        if (end !== undefined) {
          return Exit.isSuccess(end) ? Cause.done() : Effect.failCause(end.cause)
        }
        return Effect.flatMap(
          Effect.callback<void>((resume) => {
            wake = () => resume(Effect.void)
            return Effect.sync(() => {
              wake = undefined
            })
          }),
          () => pull
        )
      })
      return Stream.fromPull(Effect.succeed(pull))
    })
  )
