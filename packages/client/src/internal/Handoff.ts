/**
 * A single-consumer handoff from producers to a Stream's pulls, without a fiber or queue per
 * element: the producer pushes into an array and, if the consumer is parked, resumes it.
 *
 * Two kinds of producer: the connection's reader, which must never wait (`push`, with flow control
 * through `size` and `onTake`: FETCH results), and a fiber that can (`offer`, which waits while
 * `capacity` elements are buffered: the watcher's events). Two kinds of consumer: one that takes
 * everything buffered at once (`pull`), and one that must be done with an element before the next
 * is taken (`take`: the watcher commits a checkpoint when its consumer comes back for more).
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Parking from "./Parking.ts"

export interface Handoff<A, E> {
  /** Buffers `a` at once, whatever the capacity (a producer that cannot wait). */
  readonly push: (a: A) => void
  /** Buffers `a` once fewer than `capacity` elements are buffered, waiting for the consumer until then. */
  readonly offer: (a: A) => Effect.Effect<void>
  /** Ends the stream after the buffered elements (success) or with the failure. */
  readonly end: (exit: Exit.Exit<unknown, E>) => void
  readonly size: () => number
  /** Drops what is buffered (a consumer that stopped early). */
  readonly clear: () => void
  /** Called after the consumer took a batch (flow control). */
  readonly onTake: (f: () => void) => void
  /** Everything buffered, at once. */
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>
  /** The oldest buffered element alone. */
  readonly take: Effect.Effect<A, E | Cause.Done>
}

export interface HandoffOptions {
  /** How many elements `offer` lets be buffered before it waits. Default: no limit. */
  readonly capacity?: number | undefined
}

/** The consumer is resumed once per microtask (see `Parking`). */
export const make = <A, E>(options?: HandoffOptions): Handoff<A, E> => {
  const capacity = options?.capacity ?? Number.POSITIVE_INFINITY
  let items: Array<A> = []
  let ended: Exit.Exit<unknown, E> | undefined
  const parking = Parking.make()
  let taken: (() => void) | undefined
  /** Producers waiting in `offer` for room. */
  const room = new Set<() => void>()

  const push = (a: A) => {
    items.push(a)
    parking.signal()
  }
  const wakeProducers = () => {
    if (room.size === 0) return
    const waiting = [...room]
    room.clear()
    for (const w of waiting) w()
  }
  const tookSome = () => {
    taken?.()
    wakeProducers()
  }

  /** Waits until something is buffered or the stream has ended, then runs `next` again. */
  const parked = <X>(next: Effect.Effect<X, E | Cause.Done>): Effect.Effect<X, E | Cause.Done> =>
    Effect.flatMap(
      parking.park(() => items.length > 0 || ended !== undefined),
      () => next
    )

  const pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done> = Effect.suspend(() => {
    if (items.length > 0) {
      const batch = items as unknown as NonEmptyReadonlyArray<A>
      items = []
      tookSome()
      return Effect.succeed(batch)
    }
    return ended !== undefined ? Parking.ended(ended) : parked(pull)
  })

  const take: Effect.Effect<A, E | Cause.Done> = Effect.suspend(() => {
    if (items.length > 0) {
      const a = items.shift() as A
      tookSome()
      return Effect.succeed(a)
    }
    return ended !== undefined ? Parking.ended(ended) : parked(take)
  })

  const offer = (a: A): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (items.length < capacity) {
        push(a)
        return Effect.void
      }
      return Effect.flatMap(
        Effect.callback<void>((k) => {
          if (items.length < capacity) return k(Effect.void)
          const w = () => k(Effect.void)
          room.add(w)
          return Effect.sync(() => {
            room.delete(w)
          })
        }),
        () => offer(a)
      )
    })

  return {
    push,
    offer,
    end: (exit) => {
      if (ended !== undefined) return
      ended = exit
      parking.wake()
    },
    size: () => items.length,
    clear: () => {
      items = []
      wakeProducers()
    },
    onTake: (f) => {
      taken = f
    },
    pull,
    take
  }
}
