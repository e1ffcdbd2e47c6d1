/**
 * The connection's `state` (a session's `state`): a real `SubscriptionRef`, whose PubSub (with the
 * replay buffer that gives a new subscriber the current state first) and semaphore are made when
 * first used: by a subscriber (`SubscriptionRef.changes`) or an update through the SubscriptionRef
 * module. Until then a connection holds the state alone. The PubSub (its scope, shutdown latch,
 * subscriber map and replay buffer) and the semaphore were 1.9 KB of every session
 * (bench/heap-owners.ts), and few programs ever subscribe.
 *
 * The connection publishes with `set` below: it feeds the PubSub only if one exists, and takes the
 * semaphore only if one exists (if none exists, nobody can be holding it), so what a subscriber
 * sees is what it saw with an eagerly made SubscriptionRef.
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Semaphore from "effect/Semaphore"
import * as SubscriptionRef from "effect/SubscriptionRef"

/** What a ref made here holds: the value, and the PubSub and semaphore once made. */
interface Lazy<A> {
  value: A
  madePubSub: PubSub.PubSub<A> | undefined
  madeSemaphore: Semaphore.Semaphore | undefined
}

/**
 * The SubscriptionRef module's own prototype (its type id, `pipe`, inspection), under getters that
 * make the PubSub and the semaphore on first read: every function of that module reads them as
 * `self.pubsub` and `self.semaphore`.
 */
const lazyPrototype = (refPrototype: object): object =>
  Object.create(refPrototype, {
    pubsub: {
      get<A>(this: Lazy<A>): PubSub.PubSub<A> {
        if (this.madePubSub === undefined) {
          // `unbounded` is an `Effect.sync`: it runs to its end here, on no fiber of ours.
          const pubsub = Effect.runSync(PubSub.unbounded<A>({ replay: 1 }))
          PubSub.publishUnsafe(pubsub, this.value)
          this.madePubSub = pubsub
        }
        return this.madePubSub
      }
    },
    semaphore: {
      get<A>(this: Lazy<A>): Semaphore.Semaphore {
        this.madeSemaphore ??= Semaphore.makeUnsafe(1)
        return this.madeSemaphore
      }
    }
  })

let prototype: object | undefined

const build = <A>(proto: object, value: A): SubscriptionRef.SubscriptionRef<A> => {
  const self: Lazy<A> = Object.create(proto)
  self.value = value
  self.madePubSub = undefined
  self.madeSemaphore = undefined
  return self as unknown as SubscriptionRef.SubscriptionRef<A>
}

/** A SubscriptionRef holding `value`; its PubSub and semaphore wait for their first use. */
export const make = <A>(value: A): Effect.Effect<SubscriptionRef.SubscriptionRef<A>> =>
  prototype !== undefined
    ? Effect.sync(() => build(prototype!, value))
    : // The module keeps its prototype private: the first ref ever made shows it.
      Effect.map(SubscriptionRef.make(value), (ref) => {
        prototype ??= lazyPrototype(Object.getPrototypeOf(ref))
        return build(prototype, value)
      })

/** `SubscriptionRef.set` for a ref made by `make`, without making its PubSub or semaphore. */
export const set = <A>(ref: SubscriptionRef.SubscriptionRef<A>, value: A): Effect.Effect<void> =>
  Effect.suspend(() => {
    const self = ref as unknown as Lazy<A>
    if (self.madeSemaphore !== undefined) return SubscriptionRef.set(ref, value)
    self.value = value
    if (self.madePubSub !== undefined) PubSub.publishUnsafe(self.madePubSub, value)
    return Effect.void
  })

/**
 * `set` for a caller that cannot wait (a socket's data callback): applied now, unless someone made
 * the semaphore and may hold it (an `updateEffect` across a wait), in which case the set is forked
 * to queue on the permit, in order, as `Effect.runFork(SubscriptionRef.set(ref, value))` would.
 */
export const publish = <A>(ref: SubscriptionRef.SubscriptionRef<A>, value: A): void => {
  const self = ref as unknown as Lazy<A>
  if (self.madeSemaphore !== undefined) {
    Effect.runFork(SubscriptionRef.set(ref, value))
    return
  }
  self.value = value
  if (self.madePubSub !== undefined) PubSub.publishUnsafe(self.madePubSub, value)
}
