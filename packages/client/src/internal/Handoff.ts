/**
 * A single-consumer handoff from synchronous producers (the connection's reader dispatching
 * responses) to a Stream's pulls, without a fiber or queue per element: the producer pushes into an
 * array and, if the consumer is parked, resumes it. The consumer takes everything buffered at once.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { NonEmptyReadonlyArray } from "effect/Array"

export interface Handoff<A, E> {
  readonly push: (a: A) => void
  /** Ends the stream after the buffered elements (success) or with the failure. */
  readonly end: (exit: Exit.Exit<unknown, E>) => void
  readonly size: () => number
  /** Drops what is buffered (a consumer that stopped early). */
  readonly clear: () => void
  /** Called after the consumer took a batch (flow control). */
  readonly onTake: (f: () => void) => void
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>
}

/**
 * The consumer is resumed once per microtask, after the reader has dispatched the whole chunk:
 * resuming it once per FETCH response cost a fifth of a large FETCH's CPU.
 */
export const make = <A, E>(): Handoff<A, E> => {
  let items: Array<A> = []
  let ended: Exit.Exit<unknown, E> | undefined
  let waiter: (() => void) | undefined
  let queued = false
  let taken: (() => void) | undefined

  const resume = () => {
    const w = waiter
    waiter = undefined
    w?.()
  }
  const signal = () => {
    if (waiter === undefined || queued) return
    queued = true
    queueMicrotask(() => {
      queued = false
      resume()
    })
  }

  const pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done> = Effect.suspend(() => {
    if (items.length > 0) {
      const batch = items as unknown as NonEmptyReadonlyArray<A>
      items = []
      taken?.()
      return Effect.succeed(batch)
    }
    if (ended !== undefined) return Exit.isSuccess(ended) ? Cause.done() : Effect.failCause(ended.cause)
    return Effect.flatMap(
      Effect.callback<void>((k) => {
        // Checked again here: the fiber may have yielded to the scheduler since the check above, and
        // a push meanwhile found no waiter to wake (seen: a watcher's FETCH parked for good, the
        // reader paused behind 537 responses nobody was woken for).
        if (items.length > 0 || ended !== undefined) return k(Effect.void)
        waiter = () => k(Effect.void)
        return Effect.sync(() => {
          waiter = undefined
        })
      }),
      () => pull
    )
  })

  return {
    push: (a) => {
      items.push(a)
      signal()
    },
    end: (exit) => {
      if (ended !== undefined) return
      ended = exit
      resume()
    },
    size: () => items.length,
    clear: () => {
      items = []
    },
    onTake: (f) => {
      taken = f
    },
    pull
  }
}
