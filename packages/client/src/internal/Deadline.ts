/**
 * A deadline on silence, re-armed by traffic: one timer set for `last sign of life + silence`;
 * when it fires and the connection was heard from meanwhile, it is set again for what is left.
 * A quiet connection wakes only at the deadline itself. Polling instead (a look once a second)
 * cost 5,000 idle IDLE sessions 0.27-0.40 s of CPU per 5 s (issue 12), where a quiet socket
 * should cost nothing.
 *
 * The rule is owned here for both deadlines on silence: the IDLE liveness probe (IdleLoop) and a
 * command's reply (ImapConnection.untilSilent). The timers are the Effect clock's, so TestClock
 * drives them in tests.
 */
import type { SharedClock } from "./SharedClock.ts"

/**
 * Milliseconds left until `silenceMillis` of silence, counted from the later of the wait's start
 * (`since`) and the last sign of life (`heardAt`); zero or less once the deadline has passed.
 */
export const remaining = (silenceMillis: number, since: number, heardAt: number, now: number): number =>
  silenceMillis - (now - Math.max(since, heardAt))

/** What a deadline's timer does when it fires: the silence is complete, or it sleeps again for the rest. */
export type Decision = { readonly _tag: "Expired" } | { readonly _tag: "Rearm"; readonly millis: number }

export const decide = (silenceMillis: number, since: number, heardAt: number, now: number): Decision => {
  const left = remaining(silenceMillis, since, heardAt, now)
  return left > 0 ? { _tag: "Rearm", millis: left } : { _tag: "Expired" }
}

/**
 * A deadline on silence beside a fixed one (`limitMillis` from the wait's start: IDLE's re-issue),
 * decided by one timer: when it fires, the fixed deadline first (as two timers registered in that
 * order would), then the silence, else it sleeps again for the nearer of the two.
 */
export type FirstDecision =
  | { readonly _tag: "Limit" }
  | { readonly _tag: "Silent" }
  | { readonly _tag: "Rearm"; readonly millis: number }

export const decideFirst = (
  limitMillis: number,
  silenceMillis: number,
  since: number,
  heardAt: number,
  now: number
): FirstDecision => {
  const limitLeft = limitMillis - (now - since)
  if (limitLeft <= 0) return { _tag: "Limit" }
  const next = decide(silenceMillis, since, heardAt, now)
  return next._tag === "Expired" ? { _tag: "Silent" } : { _tag: "Rearm", millis: Math.min(limitLeft, next.millis) }
}

/**
 * "silent" once nothing was heard for `silenceMillis`, or "limit" once `limitMillis` have passed,
 * whichever is first, told to `k` from the process's shared timer (SharedClock) without a fiber of
 * its own, one timer at a time; the function returned cancels it. `heardAt` (the clock's
 * milliseconds) is read only when the timer fires, so traffic costs nothing here. What the IDLE cycle waits on while idle: nothing of it runs until a deadline is due.
 */
export const onSilenceOrLimit = (
  timers: SharedClock,
  silenceMillis: number,
  limitMillis: number,
  heardAt: () => number,
  k: (why: "silent" | "limit") => void
): (() => void) => {
  const since = timers.clock.currentTimeMillisUnsafe()
  let cancel: () => void
  const fire = () => {
    const next = decideFirst(limitMillis, silenceMillis, since, heardAt(), timers.clock.currentTimeMillisUnsafe())
    if (next._tag === "Rearm") cancel = timers.after(next.millis, fire)
    else k(next._tag === "Limit" ? "limit" : "silent")
  }
  cancel = timers.after(Math.max(1, Math.min(limitMillis, silenceMillis)), fire)
  return () => cancel()
}
