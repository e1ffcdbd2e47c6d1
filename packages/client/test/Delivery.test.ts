/**
 * The watcher's delivery contract without a socket (internal/Delivery.ts): an event's checkpoint is
 * written when the consumer pulls the next event (it is done with this one) or commits at a normal
 * end, never before; a checkpoint with nothing to deliver is written at once only when nothing is
 * buffered or unfinished, else in order behind those; at most `capacity` entries wait, then the
 * producer does; the stream ends after what is buffered.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import type { Checkpoint } from "../src/Checkpoint.ts"
import * as Delivery from "../src/internal/Delivery.ts"

const at = (lastUid: number): Checkpoint => ({ uidValidity: 7, lastUid })

/** A delivery of strings whose writes are recorded as the UIDs written. */
const recorded = (capacity = 8) => {
  const written: Array<number> = []
  const delivery = Delivery.make<string, "gone">({
    capacity,
    write: (c) => Effect.sync(() => written.push(c.lastUid))
  })
  return { written, delivery }
}

describe("Delivery", () => {
  it.effect("writes an event's checkpoint when the consumer pulls the next event, not when it takes this one", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.emit("a", at(1))
      yield* delivery.emit("b", at(2))
      assert.deepStrictEqual(yield* delivery.pull, ["a"])
      assert.deepStrictEqual(written, [])
      assert.deepStrictEqual(yield* delivery.pull, ["b"])
      assert.deepStrictEqual(written, [1])
      yield* delivery.commit
      assert.deepStrictEqual(written, [1, 2])
    })
  )

  it.effect("an event without a checkpoint moves nothing; the next one's checkpoint covers it", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.emit("watching")
      yield* delivery.emit("a", at(1))
      yield* delivery.pull
      yield* delivery.pull
      assert.deepStrictEqual(written, [])
      yield* delivery.commit
      assert.deepStrictEqual(written, [1])
    })
  )

  it.effect("advance writes at once when nothing is buffered or unfinished", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.advance(at(40))
      assert.deepStrictEqual(written, [40])
      assert.deepStrictEqual(delivery.produced(), at(40))
    })
  )

  it.effect("advance waits behind buffered events and is written in order when the consumer is past them", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.emit("a", at(1))
      yield* delivery.advance(at(5))
      assert.deepStrictEqual(written, [])
      assert.deepStrictEqual(delivery.produced(), at(5))
      assert.deepStrictEqual(yield* delivery.pull, ["a"])
      assert.deepStrictEqual(written, [])
      delivery.end(Exit.fail("gone"))
      const exit = yield* Effect.exit(delivery.pull)
      assert.deepStrictEqual(written, [1, 5])
      assert.deepStrictEqual(exit, Exit.fail("gone"))
    })
  )

  it.effect("advance waits while the consumer has not finished the event it took", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.emit("a", at(1))
      yield* delivery.pull
      yield* delivery.advance(at(5))
      assert.deepStrictEqual(written, [])
      yield* delivery.emit("b", at(6))
      assert.deepStrictEqual(yield* delivery.pull, ["b"])
      assert.deepStrictEqual(written, [1, 5])
    })
  )

  it.effect("a consumer that stops without committing leaves the checkpoint before the event it was handling", () =>
    Effect.gen(function* () {
      const { written, delivery } = recorded()
      yield* delivery.emit("a", at(1))
      yield* delivery.emit("b", at(2))
      yield* delivery.pull
      yield* delivery.pull
      assert.deepStrictEqual(written, [1])
    })
  )

  it.effect("the producer waits while `capacity` entries are buffered and goes on when the consumer takes one", () =>
    Effect.gen(function* () {
      const { delivery } = recorded(2)
      let emitted = 0
      const producer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (const [i, e] of ["a", "b", "c", "d"].entries()) {
            yield* delivery.emit(e, at(i + 1))
            emitted++
          }
        })
      )
      yield* Effect.yieldNow
      assert.strictEqual(emitted, 2)
      assert.deepStrictEqual(delivery.produced(), at(3))
      assert.deepStrictEqual(yield* delivery.pull, ["a"])
      yield* Effect.yieldNow
      assert.strictEqual(emitted, 3)
      const rest = [yield* delivery.pull, yield* delivery.pull, yield* delivery.pull].flat()
      yield* Fiber.join(producer)
      assert.deepStrictEqual(rest, ["b", "c", "d"])
    })
  )

  it.effect("ends after the buffered events, with the producer's failure or defect", () =>
    Effect.gen(function* () {
      const { delivery } = recorded()
      yield* delivery.emit("a", at(1))
      delivery.end(Exit.failCause(Cause.die("watcher ended")))
      assert.deepStrictEqual(yield* delivery.pull, ["a"])
      const exit = yield* Effect.exit(delivery.pull)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
    })
  )
})
