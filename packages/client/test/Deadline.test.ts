/**
 * The deadline on silence (internal/Deadline.ts) as decisions: the time left counts from the later of
 * the wait's start and the last byte; a timer that fires after traffic re-arms for exactly the rest,
 * and one that fires after silence expires; the fixed deadline wins once passed. The timers that act
 * on these decisions are tested with SharedClock (SharedClock.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
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
