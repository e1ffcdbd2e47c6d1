/**
 * The process's shared timer for every connection's deadlines (internal/SharedClock.ts): due times
 * come out of its heap earliest first (registration order on a tie, cancelled ones skipped); one
 * sleep at a time serves every deadline, on the Clock in force (TestClock here); a cancelled
 * deadline never fires and is dropped well before it would have been due (a command's reply cancels
 * one per command); and `Deadline.onSilenceOrLimit` ends "silent" once nothing was heard for the
 * silence period (re-armed by traffic) or "limit" at the fixed deadline, one timer at a time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as CountingClock from "../../../test/support/CountingClock.ts"
import * as Deadline from "../src/internal/Deadline.ts"
import * as SharedClock from "../src/internal/SharedClock.ts"

describe("the shared timer's heap", () => {
  // [name, due times in the order they are set, cancelled (by index), expected order of indices]
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<number>, ReadonlyArray<number>, ReadonlyArray<number>]> = [
    ["earliest first", [30, 10, 20], [], [1, 2, 0]],
    ["a tie keeps the order they were set in", [10, 5, 10, 10], [], [1, 0, 2, 3]],
    ["many, reversed", [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
    ["cancelled ones come out marked and are skipped by the timer", [3, 1, 2], [1], [2, 0]]
  ]
  for (const [name, due, cancelled, expected] of cases) {
    it(name, () => {
      const heap = new SharedClock.TimerHeap()
      const timers = due.map((at, seq) => ({ at, seq, k: () => {} }) as SharedClock.Timer)
      for (const t of timers) heap.push(t)
      for (const i of cancelled) timers[i]!.k = undefined
      const out: Array<number> = []
      for (let t = heap.pop(); t !== undefined; t = heap.pop()) if (t.k !== undefined) out.push(t.seq)
      assert.deepStrictEqual(out, expected)
      assert.strictEqual(heap.size, 0)
    })
  }

  it("dropping the cancelled ones keeps the rest in due order", () => {
    const heap = new SharedClock.TimerHeap()
    const timers = [5, 3, 9, 1, 7, 3, 2].map((at, seq) => ({ at, seq, k: () => {} }) as SharedClock.Timer)
    for (const t of timers) heap.push(t)
    for (const i of [0, 3, 5]) timers[i]!.k = undefined
    heap.dropCancelled()
    assert.strictEqual(heap.size, 4)
    const out: Array<number> = []
    for (let t = heap.pop(); t !== undefined; t = heap.pop()) out.push(t.seq)
    assert.deepStrictEqual(out, [6, 1, 4, 2])
  })
})

describe("SharedClock (TestClock)", () => {
  it.effect("serves many deadlines with one sleep at a time and fires each once, in due order", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      const timers = yield* CountingClock.provide(counting)(SharedClock.get)
      const fired: Array<string> = []
      for (const [name, millis] of [
        ["b", 2000],
        ["c", 3000],
        ["a", 1000],
        ["c2", 3000]
      ] as const) {
        timers.after(millis, () => fired.push(name))
      }
      // The first deadline started the timer, the earlier third one restarted it; the others waited.
      assert.strictEqual(counting.started(), 2)
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(fired, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(fired, ["a"])
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(fired, ["a", "b", "c", "c2"])
      // One sleep per distinct due time after the first two, none once nothing is left.
      assert.strictEqual(counting.started(), 4)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(counting.started(), 4)
    })
  )

  it.effect("cancelled deadlines are dropped long before they would have been due", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      const timers = yield* CountingClock.provide(counting)(SharedClock.get)
      const fired: Array<string> = []
      timers.after(120_000, () => fired.push("pending"))
      // A busy connection: every command's 60 s silence deadline, cancelled by its reply.
      for (let i = 0; i < 10_000; i++) timers.after(60_000, () => fired.push("cancelled"))()
      assert.isAtMost(timers.held, 65)
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual(fired, ["pending"])
      assert.strictEqual(timers.held, 0)
    })
  )

  it.effect("a cancelled deadline never fires, and the others still do", () =>
    Effect.gen(function* () {
      const counting = yield* CountingClock.make
      const timers = yield* CountingClock.provide(counting)(SharedClock.get)
      const fired: Array<string> = []
      const cancelFirst = timers.after(1000, () => fired.push("first"))
      timers.after(2000, () => fired.push("second"))
      cancelFirst()
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(fired, ["second"])
      const cancelLast = timers.after(1000, () => fired.push("third"))
      cancelLast()
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(fired, ["second"])
    })
  )
})

/** A 300 s silence deadline on a counting TestClock's shared timer: how it ended, and timers started. */
const silenceDeadline = (limitMillis: number, heardAt: () => number) =>
  Effect.gen(function* () {
    const counting = yield* CountingClock.make
    const timers = yield* CountingClock.provide(counting)(SharedClock.get)
    const ended: Array<string> = []
    Deadline.onSilenceOrLimit(timers, 300_000, limitMillis, heardAt, (why) => ended.push(why))
    return { ended, timers, started: () => counting.started() }
  })

describe("Deadline.onSilenceOrLimit (TestClock)", () => {
  it.effect("with traffic all along, ends at the fixed deadline with one timer per silence period", () =>
    Effect.gen(function* () {
      let heardAt = 0
      const { ended, started } = yield* silenceDeadline(500_000, () => heardAt)
      yield* TestClock.adjust("250 seconds")
      heardAt = 250_000
      yield* TestClock.adjust("249 seconds")
      assert.deepStrictEqual(ended, [])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(ended, ["limit"])
      assert.strictEqual(started(), 2)
    })
  )

  it.effect("a quiet wait ends silent at the silence deadline; cancelled, it never ends", () =>
    Effect.gen(function* () {
      const { ended, timers } = yield* silenceDeadline(500_000, () => 0)
      const cancel = Deadline.onSilenceOrLimit(
        timers,
        300_000,
        500_000,
        () => 0,
        (why) => ended.push(`2 ${why}`)
      )
      cancel()
      yield* TestClock.adjust("300 seconds")
      assert.deepStrictEqual(ended, ["silent"])
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(ended, ["silent"])
    })
  )
})

describe("Deadline.onSilenceOrLimit without a fixed deadline (TestClock)", () => {
  it.effect("a quiet wait ends at the deadline and starts one timer in all", () =>
    Effect.gen(function* () {
      const { ended, started } = yield* silenceDeadline(Number.POSITIVE_INFINITY, () => 0)
      yield* TestClock.adjust("299999 millis")
      assert.deepStrictEqual(ended, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(ended, ["silent"])
      assert.strictEqual(started(), 1)
    })
  )

  it.effect("traffic moves the deadline to the last byte + the silence, with one timer more", () =>
    Effect.gen(function* () {
      let heardAt = 0
      const { ended, started } = yield* silenceDeadline(Number.POSITIVE_INFINITY, () => heardAt)
      yield* TestClock.adjust("100 seconds")
      heardAt = 100_000
      yield* TestClock.adjust("299 seconds")
      assert.deepStrictEqual(ended, [])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(ended, ["silent"])
      assert.strictEqual(started(), 2)
    })
  )
})
