/**
 * Where a single consumer fiber waits for a producer that must never wait itself (the connection's
 * reader): the consumer parks until its buffer has something or has ended, the producer signals.
 * `Handoff` and `EventInbox` are both built on it, so the wake-up rule has one owner.
 *
 * Two rules live here. The consumer is resumed once per microtask, after the reader has dispatched
 * the whole chunk: resumed inside each push, a consumer that keeps up took a flood one element per
 * pull (a fiber resumption each: a fifth of a large FETCH's CPU, and nothing left to coalesce). And
 * the buffer is checked again when parking: the fiber may have yielded to the scheduler since the
 * caller's own check, and a push meanwhile found no waiter to wake (seen: a watcher's FETCH parked
 * for good, the reader paused behind 537 responses nobody was woken for).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

export interface Parking {
  /** Resumes the parked consumer once the current microtask's work is done. */
  readonly signal: () => void
  /** Resumes the parked consumer now (the stream ended). */
  readonly wake: () => void
  /** Waits until `ready()` holds (checked at once, then on every wake-up). */
  readonly park: (ready: () => boolean) => Effect.Effect<void>
}

export const make = (): Parking => {
  let waiter: (() => void) | undefined
  let queued = false
  const wake = () => {
    const w = waiter
    waiter = undefined
    w?.()
  }
  return {
    signal: () => {
      if (waiter === undefined || queued) return
      queued = true
      queueMicrotask(() => {
        queued = false
        wake()
      })
    },
    wake,
    park: (ready) =>
      Effect.callback<void>((k) => {
        if (ready()) return k(Effect.void)
        waiter = () => k(Effect.void)
        return Effect.sync(() => {
          waiter = undefined
        })
      })
  }
}

/** What a pull on an ended, empty buffer gives: the end of the stream, or its failure. */
export const ended = <E>(exit: Exit.Exit<unknown, E>): Effect.Effect<never, E | Cause.Done> =>
  Exit.isSuccess(exit) ? Cause.done() : Effect.failCause(exit.cause)
