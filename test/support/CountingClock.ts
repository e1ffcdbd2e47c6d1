/**
 * The test's `TestClock`, seen through a `Clock` that counts the timers started through it (every
 * `Effect.sleep` and timeout is one): what a test provides to the code under test to show how often
 * it wakes while nothing happens. Time still moves only with `TestClock.adjust`.
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"

export interface CountingClock {
  readonly clock: Clock.Clock
  /** Timers started through `clock` so far. */
  readonly started: () => number
}

export const make: Effect.Effect<CountingClock> = TestClock.testClockWith((test) =>
  Effect.sync(() => {
    let started = 0
    const clock: Clock.Clock = {
      currentTimeMillisUnsafe: () => test.currentTimeMillisUnsafe(),
      currentTimeMillis: test.currentTimeMillis,
      currentTimeNanosUnsafe: () => test.currentTimeNanosUnsafe(),
      currentTimeNanos: test.currentTimeNanos,
      monotonicTimeNanosUnsafe: () => test.monotonicTimeNanosUnsafe(),
      monotonicTimeNanos: test.monotonicTimeNanos,
      sleep: (duration: Duration.Duration) => {
        started++
        return test.sleep(duration)
      }
    }
    return { clock, started: () => started }
  })
)

/** Runs `effect` (and every fiber it forks) on `counting.clock`. */
export const provide =
  (counting: CountingClock) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, Clock.Clock, counting.clock)
