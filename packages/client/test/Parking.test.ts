/**
 * The wake-up rule `Handoff` and `EventInbox` share (internal/Parking.ts): a producer's signals
 * within one microtask resume the parked consumer once, after all of them (so it takes the whole
 * chunk in one pull); `wake` resumes it at once; a consumer whose condition already holds does not
 * wait. The lost wake-up between check and wait is proven through both users in Handoff.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Parking from "../src/internal/Parking.ts"

describe("Parking", () => {
  it.live("resumes the consumer once per microtask, after every signal made in it", () =>
    Effect.gen(function* () {
      const parking = Parking.make()
      let buffered = 0
      let resumed = 0
      const fiber = yield* parking
        .park(() => buffered > 0)
        .pipe(
          Effect.map(() => {
            resumed++
            return buffered
          }),
          Effect.forkChild({ startImmediately: true })
        )
      for (let i = 0; i < 3; i++) {
        buffered++
        parking.signal()
      }
      assert.strictEqual(yield* Fiber.join(fiber), 3)
      assert.strictEqual(resumed, 1)
    })
  )

  it.live("wake resumes the consumer without waiting for the microtask", () =>
    Effect.gen(function* () {
      const parking = Parking.make()
      let done = false
      const fiber = yield* parking.park(() => done).pipe(Effect.forkChild({ startImmediately: true }))
      done = true
      parking.wake()
      yield* Fiber.join(fiber).pipe(Effect.timeout("1 second"))
    })
  )

  it.effect("does not wait when the condition already holds", () =>
    Effect.gen(function* () {
      const parking = Parking.make()
      yield* parking.park(() => true)
    })
  )
})
