/**
 * The deadline on silence (internal/Deadline.ts) as decisions and as a timer: the time left counts
 * from the later of the wait's start and the last byte; a timer that fires after traffic re-arms for
 * exactly the rest, and one that fires after silence expires; a quiet wait starts one timer in all,
 * where the IDLE liveness check used to start one a second. TestClock for the timers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as CountingClock from "../../../test/support/CountingClock.ts"
import * as Deadline from "../src/internal/Deadline.ts"

describe("the time left before a deadline on silence", () => {
  // [silence, since (the wait's start), heardAt (the last byte), now, expected]
  const cases: ReadonlyArray<readonly [string, number, number, number, number, number]> = [
    ["nothing heard since the wait started: counts from the start", 300, 1000, 500, 1000, 300],
    ["bytes before the wait started do not shorten it", 300, 1000, 900, 1200, 100],
    ["bytes during the wait count from the last byte", 300, 1000, 1100, 1300, 100],
    ["a byte at the deadline's very moment gives a whole period again", 300, 1000, 1300, 1300, 300],
    ["silence exactly as long as the deadline: none left", 300, 1000, 1100, 1400, 0],
    ["past the deadline: negative", 300, 1000, 1100, 1500, -100]
  ]
  for (const [name, silence, since, heardAt, now, expected] of cases) {
    it(name, () => assert.strictEqual(Deadline.remaining(silence, since, heardAt, now), expected))
  }
})

describe("what a deadline's timer does when it fires", () => {
  const cases: ReadonlyArray<readonly [string, number, number, Deadline.Decision]> = [
    ["no byte since the wait started: expired", 0, 300_000, { _tag: "Expired" }],
    ["a byte 100 s in: re-armed for the 100 s it is short of", 100_000, 300_000, { _tag: "Rearm", millis: 100_000 }],
    [
      "a byte 1 ms before the timer fired: re-armed for a whole period less 1 ms",
      299_999,
      300_000,
      { _tag: "Rearm", millis: 299_999 }
    ],
    ["fired late, after the full silence since the last byte: expired", 100_000, 400_000, { _tag: "Expired" }]
  ]
  for (const [name, heardAt, now, expected] of cases) {
    it(name, () => assert.deepStrictEqual(Deadline.decide(300_000, 0, heardAt, now), expected))
  }
})

describe("what the one timer of a fixed deadline and a silence decides when it fires", () => {
  // limit 600 s from the start (0), silence 300 s: [name, heardAt, now, expected]
  const cases: ReadonlyArray<readonly [string, number, number, Deadline.FirstDecision]> = [
    ["silent since the start: the silence expires first", 0, 300_000, { _tag: "Silent" }],
    ["a byte 100 s in: re-armed for the silence's rest", 100_000, 300_000, { _tag: "Rearm", millis: 100_000 }],
    [
      "traffic throughout: re-armed for the fixed deadline's rest when it is nearer",
      500_000,
      550_000,
      { _tag: "Rearm", millis: 50_000 }
    ],
    ["the fixed deadline passed: it wins even if the silence expired too", 0, 600_000, { _tag: "Limit" }],
    ["the fixed deadline passed with traffic: limit", 590_000, 600_000, { _tag: "Limit" }]
  ]
  for (const [name, heardAt, now, expected] of cases) {
    it(name, () => assert.deepStrictEqual(Deadline.decideFirst(600_000, 300_000, 0, heardAt, now), expected))
  }
})

describe("Deadline.silenceOrLimit (TestClock)", () => {
  it.effect("with traffic all along, ends at the fixed deadline with one timer per silence period", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      let heardAt = 0
      const wait = yield* Deadline.silenceOrLimit(300_000, 500_000, () => heardAt).pipe(
        CountingClock.provide(counting),
        Effect.forkChild
      )
      yield* TestClock.adjust("250 seconds")
      heardAt = 250_000
      yield* TestClock.adjust("249 seconds")
      assert.isUndefined(wait.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(wait), "limit")
      assert.strictEqual(counting.started(), 2)
    })
  )

  it.effect("a quiet wait ends silent at the silence deadline, before the fixed one", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      const wait = yield* Deadline.silenceOrLimit(300_000, 500_000, () => 0).pipe(
        CountingClock.provide(counting),
        Effect.forkChild
      )
      yield* TestClock.adjust("300 seconds")
      assert.strictEqual(yield* Fiber.join(wait), "silent")
      assert.strictEqual(counting.started(), 1)
    })
  )
})

describe("Deadline.silenceOrLimit without a fixed deadline (TestClock)", () => {
  it.effect("a quiet wait completes at the deadline and starts one timer in all", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      const wait = yield* Deadline.silenceOrLimit(300_000, Number.POSITIVE_INFINITY, () => 0).pipe(
        CountingClock.provide(counting),
        Effect.forkChild
      )
      yield* TestClock.adjust("299999 millis")
      assert.isUndefined(wait.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(wait)
      assert.strictEqual(counting.started(), 1)
    })
  )

  it.effect("traffic moves the deadline to the last byte + the silence, with one timer more", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      let heardAt = 0
      const wait = yield* Deadline.silenceOrLimit(300_000, Number.POSITIVE_INFINITY, () => heardAt).pipe(
        CountingClock.provide(counting),
        Effect.forkChild
      )
      yield* TestClock.adjust("100 seconds")
      heardAt = 100_000
      yield* TestClock.adjust("299 seconds")
      assert.isUndefined(wait.pollUnsafe())
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(wait)
      assert.strictEqual(counting.started(), 2)
    })
  )
})
