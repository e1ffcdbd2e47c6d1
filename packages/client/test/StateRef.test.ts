/**
 * The connection's state ref (internal/StateRef): a real SubscriptionRef whose PubSub and semaphore
 * are made on first use. A subscriber gets the current value first, then every later one, whether
 * it came before or after the first write; the SubscriptionRef module's own functions work on it;
 * and a write while a caller holds the ref's permit (an `updateEffect` across a wait) is applied
 * after that caller, in order, by `set` (waiting) and by `publish` (which cannot wait).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream, SubscriptionRef } from "effect"
import * as StateRef from "../src/internal/StateRef.ts"

const collect = (ref: SubscriptionRef.SubscriptionRef<number>, n: number) =>
  SubscriptionRef.changes(ref).pipe(Stream.take(n), Stream.runCollect, Effect.forkChild({ startImmediately: true }))

describe("StateRef", () => {
  it.effect("is a SubscriptionRef: get, update and changes work on it", () =>
    Effect.gen(function* () {
      const ref = yield* StateRef.make(1)
      assert.isTrue(SubscriptionRef.isSubscriptionRef(ref))
      assert.strictEqual(yield* SubscriptionRef.get(ref), 1)
      yield* SubscriptionRef.update(ref, (n) => n + 1)
      assert.strictEqual(SubscriptionRef.getUnsafe(ref), 2)
    })
  )

  it.effect("a subscriber gets the value as it is, then each write (set and publish), late or early", () =>
    Effect.gen(function* () {
      const ref = yield* StateRef.make(1)
      yield* StateRef.set(ref, 2)
      StateRef.publish(ref, 3)
      const early = yield* collect(ref, 3)
      yield* StateRef.set(ref, 4)
      const late = yield* collect(ref, 2)
      StateRef.publish(ref, 5)
      assert.deepStrictEqual(yield* Fiber.join(early), [3, 4, 5])
      assert.deepStrictEqual(yield* Fiber.join(late), [4, 5])
      assert.strictEqual(SubscriptionRef.getUnsafe(ref), 5)
    })
  )

  it.effect("writes wait for a caller holding the permit, and are applied after it, in order", () =>
    Effect.gen(function* () {
      const ref = yield* StateRef.make(0)
      const go = yield* Deferred.make<void>()
      const holder = yield* SubscriptionRef.updateEffect(ref, (n) => Effect.as(Deferred.await(go), n + 10)).pipe(
        Effect.forkChild({ startImmediately: true })
      )
      StateRef.publish(ref, 1)
      const setter = yield* StateRef.set(ref, 2).pipe(Effect.forkChild({ startImmediately: true }))
      assert.strictEqual(SubscriptionRef.getUnsafe(ref), 0)
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(setter)
      yield* Effect.yieldNow
      assert.strictEqual(SubscriptionRef.getUnsafe(ref), 2)
    })
  )
})
