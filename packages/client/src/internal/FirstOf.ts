/**
 * Waits in the calling fiber for the first of several Deferreds and fibers to complete, without
 * forking. `Effect.raceFirst` forks a fiber per side (and nested races fork again); a session that
 * idles for hours would hold those fibers, with their stacks and contexts, for as long: a few KB
 * each, per connection (bench/session-memory.ts). Completing a Deferred or ending a fiber resumes
 * its waiters by callback, so waiting on several needs only one callback registered on each,
 * removed again when the wait ends or is interrupted.
 */
import type * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"

/**
 * One thing to wait for, as data: a wait held for hours (IDLE) keeps its sources, and a closure
 * per source (with its context) cost more than the record.
 */
export type Source<R> =
  | {
      readonly _tag: "Deferred"
      readonly deferred: Deferred.Deferred<unknown, unknown>
      readonly f: (exit: Exit.Exit<unknown, unknown>) => R
    }
  | {
      readonly _tag: "Fiber"
      readonly fiber: Fiber.Fiber<unknown, unknown>
      readonly f: (exit: Exit.Exit<unknown, unknown>) => R
    }

/** A Deferred's completion, mapped by `f` (which gets the Deferred's result as an Exit). */
export const deferred = <X, XE, R>(d: Deferred.Deferred<X, XE>, f: (exit: Exit.Exit<X, XE>) => R): Source<R> => ({
  _tag: "Deferred",
  deferred: d as Deferred.Deferred<unknown, unknown>,
  f: f as (exit: Exit.Exit<unknown, unknown>) => R
})

/** A fiber's end, mapped by `f`. */
export const fiber = <X, XE, R>(fiber: Fiber.Fiber<X, XE>, f: (exit: Exit.Exit<X, XE>) => R): Source<R> => ({
  _tag: "Fiber",
  fiber: fiber as Fiber.Fiber<unknown, unknown>,
  f: f as (exit: Exit.Exit<unknown, unknown>) => R
})

/** A Deferred's waiter (`(effect) => void`) or a fiber observer's remover (`() => void`). */
type Registered = (effect: Effect.Effect<unknown, unknown>) => void

/** One wait on several sources: a class, so that what it holds while waiting is one object. */
class Race<R> {
  private done = false
  private readonly sources: ReadonlyArray<Source<R>>
  private readonly k: (result: R) => void
  /** Per source: the waiter put on a Deferred, or the remover a fiber's `addObserver` gave back. */
  private readonly registered: Array<Registered | undefined> = []

  constructor(sources: ReadonlyArray<Source<R>>, k: (result: R) => void) {
    this.sources = sources
    this.k = k
  }

  start(): void {
    for (let i = 0; i < this.sources.length; i++) {
      this.registered[i] = this.register(this.sources[i]!)
      if (this.done) {
        this.remove(i)
        break
      }
    }
  }

  private register(source: Source<R>): Registered | undefined {
    if (source._tag === "Fiber") return source.fiber.addObserver((exit) => this.settle(source.f(exit)))
    // `effect` is set once completed (an Exit); until then waiters are kept in `resumes`, which
    // completion empties: the same protocol `Deferred.await` uses.
    const d = source.deferred
    if (d.effect !== undefined) {
      this.settle(source.f(d.effect as Exit.Exit<unknown, unknown>))
      return undefined
    }
    const waiter = (effect: Effect.Effect<unknown, unknown>) =>
      this.settle(source.f(effect as Exit.Exit<unknown, unknown>))
    d.resumes ??= []
    d.resumes.push(waiter)
    return waiter
  }

  private remove(i: number): void {
    const source = this.sources[i]!
    const registered = this.registered[i]
    this.registered[i] = undefined
    if (registered === undefined) return
    if (source._tag === "Fiber") {
      const removeObserver = registered as () => void
      removeObserver()
      return
    }
    const resumes = source.deferred.resumes
    if (resumes === undefined) return
    const at = resumes.indexOf(registered as (effect: Effect.Effect<unknown, unknown>) => void)
    if (at >= 0) resumes.splice(at, 1)
  }

  private settle(result: R): void {
    if (this.done) return
    this.cancel()
    this.k(result)
  }

  cancel(): void {
    this.done = true
    for (let i = 0; i < this.registered.length; i++) this.remove(i)
  }
}

/**
 * Calls `k` once, with the result of whichever source completes first (at once if one already
 * has), and unregisters the others; the returned function unregisters them all (if it comes first).
 */
export const onFirst = <R>(sources: ReadonlyArray<Source<R>>, k: (result: R) => void): (() => void) => {
  const race = new Race(sources, k)
  race.start()
  return () => race.cancel()
}

/** The result of whichever source completes first, in the calling fiber; the others are unregistered. */
export const firstOf = <A, E>(sources: ReadonlyArray<Source<Effect.Effect<A, E>>>): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const cancel = onFirst(sources, resume)
    return Effect.sync(cancel)
  })
