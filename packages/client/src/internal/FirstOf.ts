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

/** One thing to wait for: registers `resume` (called at most once) and returns how to unregister it. */
export type Source<R> = (resume: (result: R) => void) => () => void

/** A Deferred's completion, mapped by `f` (which gets the Deferred's result as an Exit). */
export const deferred =
  <X, XE, R>(d: Deferred.Deferred<X, XE>, f: (exit: Exit.Exit<X, XE>) => R): Source<R> =>
  (resume) => {
    // `effect` is set once completed (an Exit); until then waiters are kept in `resumes`, which
    // completion empties: the same protocol `Deferred.await` uses.
    if (d.effect !== undefined) {
      resume(f(d.effect as Exit.Exit<X, XE>))
      return noop
    }
    const k = (effect: Effect.Effect<X, XE>) => resume(f(effect as Exit.Exit<X, XE>))
    d.resumes ??= []
    d.resumes.push(k)
    return () => {
      const resumes = d.resumes
      if (resumes === undefined) return
      const i = resumes.indexOf(k)
      if (i >= 0) resumes.splice(i, 1)
    }
  }

/** A fiber's end, mapped by `f`. */
export const fiber =
  <X, XE, R>(fiber: Fiber.Fiber<X, XE>, f: (exit: Exit.Exit<X, XE>) => R): Source<R> =>
  (resume) =>
    fiber.addObserver((exit) => resume(f(exit)))

const noop = () => {}

/**
 * Calls `k` once, with the result of whichever source completes first (at once if one already
 * has), and unregisters the others; the returned function unregisters them all (if it comes first).
 */
export const onFirst = <R>(sources: ReadonlyArray<Source<R>>, k: (result: R) => void): (() => void) => {
  let done = false
  const removers: Array<() => void> = []
  const removeAll = () => {
    done = true
    for (const remove of removers) remove()
    removers.length = 0
  }
  const once = (result: R) => {
    if (done) return
    removeAll()
    k(result)
  }
  for (const source of sources) {
    const remove = source(once)
    if (done) {
      remove()
      break
    }
    removers.push(remove)
  }
  return removeAll
}

/** The result of whichever source completes first, in the calling fiber; the others are unregistered. */
export const firstOf = <A, E>(sources: ReadonlyArray<Source<Effect.Effect<A, E>>>): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const removeAll = onFirst(sources, resume)
    return Effect.sync(removeAll)
  })
