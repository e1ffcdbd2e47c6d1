/**
 * The watcher's delivery contract, on a `Handoff`: each event travels with the checkpoint that
 * becomes true once the consumer is done with it, and the consumer is done with an event when it
 * pulls the next one (or its stream ends normally). The checkpoint is written then, so the store
 * never gets ahead of the consumer: a consumer that fails or is interrupted while handling an event
 * gets it again after a restart. An entry without an event only moves the checkpoint, in order
 * with the events before it. At most `capacity` entries are buffered; past that the producer waits.
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { Checkpoint } from "../Checkpoint.ts"
import * as Handoff from "./Handoff.ts"

interface Entry<A> {
  readonly event: A | undefined
  readonly checkpoint: Checkpoint | undefined
}

export interface Delivery<A, E> {
  /** Hands `event` on, waiting first while the buffer is full; `checkpoint` is committed once the consumer is past it. */
  readonly emit: (event: A, checkpoint?: Checkpoint) => Effect.Effect<void>
  /**
   * Moves the stored checkpoint to `c` without delivering anything (a fresh start, a resync that
   * found nothing): written now if the consumer has committed everything handed out and nothing
   * with a checkpoint is buffered, else queued behind those and committed in order by `pull`.
   */
  readonly advance: (c: Checkpoint) => Effect.Effect<void>
  /** The checkpoint of the newest entry handed on: where a reconnect resumes from. */
  readonly produced: () => Checkpoint | undefined
  /** Ends the stream after the buffered entries. */
  readonly end: (exit: Exit.Exit<never, E>) => void
  /** The consumer's pull: commits the checkpoint of the event it took before, then one event. */
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>
  /** Commits the checkpoint of the event taken last (the stream ended normally: it was handled). */
  readonly commit: Effect.Effect<void>
}

export interface DeliveryOptions {
  readonly capacity: number
  /** Stores a checkpoint; it must not fail (the watcher turns a store's failure into a defect). */
  readonly write: (c: Checkpoint) => Effect.Effect<void>
}

/**
 * A class, and a pull without a generator: a watcher's consumer waits inside `pull` for as long as
 * no mail comes (hours), and what it holds meanwhile is this one object, not a context of six
 * closures and a suspended generator (bench/heap-owners.ts).
 */
class DeliveryImpl<A, E> implements Delivery<A, E> {
  private readonly options: DeliveryOptions
  private readonly handoff: Handoff.Handoff<Entry<A>, E>
  /** Taken by the consumer, not yet written. */
  private uncommitted: Checkpoint | undefined = undefined
  private newest: Checkpoint | undefined = undefined
  /** Buffered entries that carry a checkpoint. */
  private pending = 0
  readonly commit: Effect.Effect<void>
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>
  private readonly next: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done>

  constructor(options: DeliveryOptions) {
    this.options = options
    this.handoff = Handoff.make<Entry<A>, E>({ capacity: options.capacity })
    // Uninterruptible, and cleared only once written: a consumer that stops while the write is in
    // flight must not leave the store behind what it was handed (the restart would repeat it).
    this.commit = Effect.uninterruptible(Effect.suspend(() => this.commitNow()))
    this.next = Effect.flatMap(this.handoff.take, (entry) => this.taken(entry))
    this.pull = Effect.andThen(this.commit, this.next)
  }

  private commitNow(): Effect.Effect<void> {
    const c = this.uncommitted
    if (c === undefined) return Effect.void
    return Effect.tap(this.options.write(c), () =>
      Effect.sync(() => {
        if (this.uncommitted === c) this.uncommitted = undefined
      })
    )
  }

  private taken(entry: Entry<A>): Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done> {
    if (entry.checkpoint !== undefined) {
      this.pending--
      this.uncommitted = entry.checkpoint
    }
    // One event per pull: the next pull is the sign that the consumer is done with it.
    if (entry.event !== undefined) return Effect.succeed([entry.event] as const)
    // Only a checkpoint: every event before it has been handled.
    return Effect.andThen(this.commit, this.next)
  }

  private put(event: A | undefined, checkpoint: Checkpoint | undefined): Effect.Effect<void> {
    return Effect.suspend(() => {
      // Counted before the entry is buffered (the producer may wait for room), so the consumer can
      // never take it before it is counted.
      if (checkpoint !== undefined) {
        this.newest = checkpoint
        this.pending++
      }
      return this.handoff.offer({ event, checkpoint })
    })
  }

  emit(event: A, checkpoint?: Checkpoint): Effect.Effect<void> {
    return this.put(event, checkpoint)
  }

  advance(c: Checkpoint): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.uncommitted === undefined && this.pending === 0) {
        this.newest = c
        return this.options.write(c)
      }
      return this.put(undefined, c)
    })
  }

  produced(): Checkpoint | undefined {
    return this.newest
  }

  end(exit: Exit.Exit<never, E>): void {
    this.handoff.end(exit)
  }
}

/** A Delivery; its methods need their receiver (`delivery.emit(e)`, not detached). */
export const make = <A, E>(options: DeliveryOptions): Delivery<A, E> => new DeliveryImpl<A, E>(options)
