/**
 * Waiting for the first of several Deferreds and fibers without forking (internal/FirstOf.ts): the
 * first to complete gives the result (mapped), an already completed one wins at once, the losers'
 * callbacks are unregistered (a Deferred completed later resumes nobody), and interrupting the wait
 * unregisters every callback.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as FirstOf from "../src/internal/FirstOf.ts"

const waiters = <A, E>(d: Deferred.Deferred<A, E>) => d.resumes?.length ?? 0

describe("FirstOf", () => {
  it.effect("the first Deferred to complete gives the result, mapped; the others are unregistered", () =>
    Effect.gen(function* () {
      const a = yield* Deferred.make<number>()
      const b = yield* Deferred.make<number, string>()
      const fiber = yield* FirstOf.firstOf<string, string>([
        FirstOf.deferred(a, (exit) => Effect.map(exit, (n) => `a${n}`)),
        FirstOf.deferred(b, (exit) => Effect.map(exit, (n) => `b${n}`))
      ]).pipe(Effect.forkChild({ startImmediately: true }))
      assert.strictEqual(waiters(a), 1)
      assert.strictEqual(waiters(b), 1)
      yield* Deferred.fail(b, "boom")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.fail("boom"))
      assert.strictEqual(waiters(a), 0)
    })
  )

  it.effect("a source already completed wins at once and the later ones are never registered", () =>
    Effect.gen(function* () {
      const done = yield* Deferred.make<number>()
      const pending = yield* Deferred.make<number>()
      yield* Deferred.succeed(done, 7)
      const result = yield* FirstOf.firstOf([
        FirstOf.deferred(done, (exit) => exit),
        FirstOf.deferred(pending, (exit) => exit)
      ])
      assert.strictEqual(result, 7)
      assert.strictEqual(waiters(pending), 0)
    })
  )

  it.effect("a fiber's end is a source, with its exit", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const other = yield* Deferred.make<void>()
      const worker = yield* Deferred.await(gate).pipe(Effect.as(42), Effect.forkChild({ startImmediately: true }))
      const fiber = yield* FirstOf.firstOf<number, never>([
        FirstOf.deferred(other, () => Effect.succeed(0)),
        FirstOf.fiber(worker, (exit) => exit)
      ]).pipe(Effect.forkChild({ startImmediately: true }))
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(fiber), 42)
      assert.strictEqual(waiters(other), 0)
    })
  )

  it.effect("interrupting the wait unregisters every callback", () =>
    Effect.gen(function* () {
      const a = yield* Deferred.make<void>()
      const b = yield* Deferred.make<void>()
      const fiber = yield* FirstOf.firstOf([
        FirstOf.deferred(a, () => Effect.void),
        FirstOf.deferred(b, () => Effect.void)
      ]).pipe(Effect.forkChild({ startImmediately: true }))
      assert.strictEqual(waiters(a) + waiters(b), 2)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(waiters(a) + waiters(b), 0)
    })
  )

  it("onFirst calls back once, and its remover stops a later completion from calling back", () => {
    const a = Deferred.makeUnsafe<number>()
    const b = Deferred.makeUnsafe<number>()
    const seen: Array<unknown> = []
    const remove = FirstOf.onFirst([FirstOf.deferred(a, (exit) => exit), FirstOf.deferred(b, (exit) => exit)], (exit) =>
      seen.push(exit)
    )
    Deferred.doneUnsafe(a, Exit.succeed(1))
    Deferred.doneUnsafe(b, Exit.succeed(2))
    assert.deepStrictEqual(seen, [Exit.succeed(1)])
    const c = Deferred.makeUnsafe<number>()
    const removeC = FirstOf.onFirst([FirstOf.deferred(c, (exit) => exit)], (exit) => seen.push(exit))
    removeC()
    Deferred.doneUnsafe(c, Exit.succeed(3))
    assert.strictEqual(seen.length, 1)
    remove()
  })
})
