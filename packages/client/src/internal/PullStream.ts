/**
 * A Stream over a pull made in the stream's own scope when the stream starts: what
 * `Stream.unwrap(Effect.map(setup, (pull) => Stream.fromPull(Effect.succeed(pull))))` does, in one
 * channel instead of two. `unwrap` keeps the setup effect (and every closure it captured) and a
 * suspended wrapper for as long as the stream runs, and routes each pull through it: for an IDLE
 * stream or a watcher that runs for hours, about 0.9 KB of every session (bench/heap-owners.ts).
 *
 * The setup runs when the stream starts (`Stream.run*`, `Stream.toPull`) rather than at its first
 * pull; its failure is the stream's failure, at the first pull, as with `unwrap`.
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Channel from "effect/Channel"
import type * as Effect from "effect/Effect"
import type * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** A stream of what `setup`'s pull gives; `setup` runs in the stream's scope. */
export const make = <A, E, ES, R>(
  setup: Effect.Effect<Pull.Pull<NonEmptyReadonlyArray<A>, E>, ES, R>
): Stream.Stream<A, E | ES, Exclude<R, Scope.Scope>> =>
  Stream.fromChannel(Channel.fromTransform((_upstream, scope) => Scope.provide(setup, scope)))
