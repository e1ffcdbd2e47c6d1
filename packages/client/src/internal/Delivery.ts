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

export const make = <A, E>(options: {
  readonly capacity: number
  /** Stores a checkpoint; it must not fail (the watcher turns a store's failure into a defect). */
  readonly write: (c: Checkpoint) => Effect.Effect<void>
}): Delivery<A, E> => {
  const handoff = Handoff.make<Entry<A>, E>({ capacity: options.capacity })
  /** Taken by the consumer, not yet written. */
  let uncommitted: Checkpoint | undefined
  let produced: Checkpoint | undefined
  /** Buffered entries that carry a checkpoint. */
  let pending = 0

  const put = (event: A | undefined, checkpoint: Checkpoint | undefined): Effect.Effect<void> =>
    Effect.suspend(() => {
      // Counted before the entry is buffered (the producer may wait for room), so the consumer can
      // never take it before it is counted.
      if (checkpoint !== undefined) {
        produced = checkpoint
        pending++
      }
      return handoff.offer({ event, checkpoint })
    })

  // Uninterruptible, and cleared only once written: a consumer that stops while the write is in
  // flight must not leave the store behind what it was handed (the restart would repeat it).
  const commit: Effect.Effect<void> = Effect.uninterruptible(
    Effect.suspend(() => {
      const c = uncommitted
      if (c === undefined) return Effect.void
      return Effect.tap(options.write(c), () =>
        Effect.sync(() => {
          if (uncommitted === c) uncommitted = undefined
        })
      )
    })
  )

  const pull: Effect.Effect<NonEmptyReadonlyArray<A>, E | Cause.Done> = Effect.gen(function* () {
    yield* commit
    while (true) {
      const next = yield* handoff.take
      if (next.checkpoint !== undefined) {
        pending--
        uncommitted = next.checkpoint
      }
      // One event per pull: the next pull is the sign that the consumer is done with it.
      if (next.event !== undefined) return [next.event] as const
      // Only a checkpoint: every event before it has been handled.
      yield* commit
    }
  })

  return {
    emit: put,
    advance: (c) =>
      Effect.suspend(() => {
        if (uncommitted === undefined && pending === 0) {
          produced = c
          return options.write(c)
        }
        return put(undefined, c)
      }),
    produced: () => produced,
    end: (exit) => handoff.end(exit),
    pull,
    commit
  }
}
