/**
 * The single-consumer hand-offs between the connection's reader and a Stream (internal/Handoff.ts
 * for FETCH results, internal/EventInbox.ts for mailbox events): a consumer whose fiber yields to
 * the scheduler between finding nothing and starting to wait is still woken by what was pushed in
 * between. Losing that wake-up parked a watcher's FETCH for good (its reader paused behind 537
 * responses nobody was woken for), about once in ten 200,000-message replays. And the Handoff's
 * bounded side (the watcher's events): `offer` waits while `capacity` elements are buffered and goes
 * on when the consumer takes one; `take` hands out one element at a time, in order, then the end.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import * as EventInbox from "../src/internal/EventInbox.ts"
import * as Handoff from "../src/internal/Handoff.ts"

/**
 * Starts `pull` in a fiber that yields to the scheduler every `budget` operations (3 is the least
 * that makes progress), then pushes while it is suspended: over budgets 3..10 one of the pauses falls
 * between the consumer's check and its wait, whatever the exact count of operations in between.
 */
const pushWhileYielding = <A, E>(pull: Effect.Effect<A, E>, push: () => void, budget: number) =>
  Effect.gen(function* () {
    const fiber = yield* pull.pipe(
      Effect.provideService(References.MaxOpsBeforeYield, budget),
      Effect.forkChild({ startImmediately: true })
    )
    push()
    return yield* Fiber.join(fiber).pipe(Effect.timeout("1 second"))
  })

const budgets = [3, 4, 5, 6, 7, 8, 9, 10]

describe("a push between a consumer's check and its wait", () => {
  it.live("wakes a Handoff consumer", () =>
    Effect.gen(function* () {
      for (const budget of budgets) {
        const handoff = Handoff.make<number, never>()
        const got = yield* pushWhileYielding(handoff.pull, () => handoff.push(budget), budget)
        assert.deepStrictEqual(got, [budget])
      }
    })
  )

  it.live("wakes an EventInbox consumer", () =>
    Effect.gen(function* () {
      for (const budget of budgets) {
        const inbox = EventInbox.make<string>({
          highWater: 10,
          limit: 100,
          maxBatch: 10,
          onPressure: () => {},
          overflow: () => "overflow"
        })
        const got = yield* pushWhileYielding(inbox.pull, () => inbox.push({ _tag: "Exists", count: budget }), budget)
        assert.deepStrictEqual(got, [{ _tag: "Exists", count: budget }])
      }
    })
  )
})

describe("Handoff with a capacity", () => {
  it.effect("offer waits while capacity elements are buffered and goes on when the consumer takes one", () =>
    Effect.gen(function* () {
      const handoff = Handoff.make<number, never>({ capacity: 2 })
      let offered = 0
      const producer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (const n of [1, 2, 3, 4]) {
            yield* handoff.offer(n)
            offered++
          }
        })
      )
      yield* Effect.yieldNow
      assert.strictEqual(offered, 2)
      assert.strictEqual(handoff.size(), 2)
      assert.strictEqual(yield* handoff.take, 1)
      yield* Effect.yieldNow
      assert.strictEqual(offered, 3)
      assert.deepStrictEqual(yield* handoff.pull, [2, 3])
      yield* Fiber.join(producer)
      assert.strictEqual(offered, 4)
    })
  )

  it.effect("take hands out one element at a time, in order, then the end", () =>
    Effect.gen(function* () {
      const handoff = Handoff.make<string, "failed">()
      handoff.push("a")
      handoff.push("b")
      handoff.end(Exit.fail("failed"))
      assert.strictEqual(yield* handoff.take, "a")
      assert.strictEqual(yield* handoff.take, "b")
      assert.deepStrictEqual(yield* Effect.exit(handoff.take), Exit.fail("failed" as const))
    })
  )

  it.effect("clear makes room for a waiting producer", () =>
    Effect.gen(function* () {
      const handoff = Handoff.make<number, never>({ capacity: 1 })
      yield* handoff.offer(1)
      const producer = yield* Effect.forkChild(handoff.offer(2))
      yield* Effect.yieldNow
      assert.strictEqual(handoff.size(), 1)
      handoff.clear()
      yield* Fiber.join(producer)
      assert.deepStrictEqual(yield* handoff.pull, [2])
    })
  )
})
