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

/**
 * A class rather than an object of closures: one instance per subscription, FETCH stream and
 * reader gate, thousands per process with as many sessions (bench/session-memory.ts), and an
 * instance with its methods on the prototype is a fraction of an object holding three closures.
 */
class ParkingImpl implements Parking {
  private waiter: (() => void) | undefined = undefined
  private queued = false

  signal(): void {
    if (this.waiter === undefined || this.queued) return
    this.queued = true
    queueMicrotask(() => {
      this.queued = false
      this.wake()
    })
  }

  wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  park(ready: () => boolean): Effect.Effect<void> {
    return Effect.callback<void>((k) => {
      if (ready()) return k(Effect.void)
      this.waiter = () => k(Effect.void)
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  }
}

/** A Parking; its methods need their receiver (call them as `parking.signal()`, not detached). */
export const make = (): Parking => new ParkingImpl()

/** What a pull on an ended, empty buffer gives: the end of the stream, or its failure. */
export const ended = <E>(exit: Exit.Exit<unknown, E>): Effect.Effect<never, E | Cause.Done> =>
  Exit.isSuccess(exit) ? Cause.done() : Effect.failCause(exit.cause)
