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

/** A class (see Parking): one per watcher and per FETCH stream; producers' set made on first wait. */
class HandoffImpl<A, E> implements Handoff<A, E> {
  private readonly capacity: number
  private items: Array<A> = []
  private ended: Exit.Exit<unknown, E> | undefined = undefined
  private readonly parking = Parking.make()
  private taken: (() => void) | undefined = undefined
  /** Producers waiting in `offer` for room. */
  private room: Set<() => void> | undefined = undefined
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>
  readonly take: Effect.Effect<A, E | Cause.Done>

  constructor(capacity: number) {
    this.capacity = capacity
    this.pull = Effect.suspend(() => this.pullNow())
    this.take = Effect.suspend(() => this.takeNow())
  }

  push(a: A): void {
    this.items.push(a)
    this.parking.signal()
  }

  private wakeProducers(): void {
    const room = this.room
    if (room === undefined || room.size === 0) return
    const waiting = [...room]
    room.clear()
    for (const w of waiting) w()
  }

  private tookSome(): void {
    this.taken?.()
    this.wakeProducers()
  }

  /** Waits until something is buffered or the stream has ended, then runs `next` again. */
  private parked<X>(next: Effect.Effect<X, E | Cause.Done>): Effect.Effect<X, E | Cause.Done> {
    return Effect.flatMap(
      this.parking.park(() => this.items.length > 0 || this.ended !== undefined),
      () => next
    )
  }

  private pullNow(): Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done> {
    if (this.items.length > 0) {
      const batch = this.items as unknown as NonEmptyReadonlyArray<A>
      this.items = []
      this.tookSome()
      return Effect.succeed(batch)
    }
    return this.ended !== undefined ? Parking.ended(this.ended) : this.parked(this.pull)
  }

  private takeNow(): Effect.Effect<A, E | Cause.Done> {
    if (this.items.length > 0) {
      const a = this.items.shift() as A
      this.tookSome()
      return Effect.succeed(a)
    }
    return this.ended !== undefined ? Parking.ended(this.ended) : this.parked(this.take)
  }

  offer(a: A): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.items.length < this.capacity) {
        this.push(a)
        return Effect.void
      }
      return Effect.flatMap(
        Effect.callback<void>((k) => {
          if (this.items.length < this.capacity) return k(Effect.void)
          const w = () => k(Effect.void)
          this.room ??= new Set()
          this.room.add(w)
          return Effect.sync(() => {
            this.room?.delete(w)
          })
        }),
        () => this.offer(a)
      )
    })
  }

  end(exit: Exit.Exit<unknown, E>): void {
    if (this.ended !== undefined) return
    this.ended = exit
    this.parking.wake()
  }

  size(): number {
    return this.items.length
  }

  clear(): void {
    this.items = []
    this.wakeProducers()
  }

  onTake(f: () => void): void {
    this.taken = f
  }
}

/** The consumer is resumed once per microtask (see `Parking`). Methods need their receiver. */
export const make = <A, E>(options?: HandoffOptions): Handoff<A, E> =>
  new HandoffImpl<A, E>(options?.capacity ?? Number.POSITIVE_INFINITY)
