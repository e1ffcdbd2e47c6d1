/**
 * One timer fiber per Clock for every connection's deadlines (IDLE's re-issue, liveness and probe,
 * each command's silence deadline).
 * Effect has no timer without a fiber sleeping on it, and a fiber held per idle connection cost
 * 3-4 KB each, for hours (bench/session-memory.ts): here the deadlines are callbacks in a min-heap,
 * and one fiber sleeps until the earliest, fires what is due, and sleeps again. It exists only while
 * a deadline is pending, so a process with no IDLE session holds no timer.
 *
 * The fiber sleeps on the Clock it was made for (keyed here by the Clock instance): TestClock drives
 * it in tests exactly as it drove a fiber per deadline, and the fiber runs on the caller's scheduler
 * (TestClock waits for the work a wake-up schedules on its own).
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as FirstOf from "./FirstOf.ts"

/** A pending deadline: due at `at` (the clock's milliseconds), `k` runs then unless cancelled. */
export interface Timer {
  readonly at: number
  /** Registration order: deadlines due at the same millisecond fire in the order they were set. */
  readonly seq: number
  k: (() => void) | undefined
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of timers by due time (then registration order); cancelled ones are dropped lazily. */
export class TimerHeap {
  private readonly items: Array<Timer> = []

  get size(): number {
    return this.items.length
  }

  push(t: Timer): void {
    const items = this.items
    items.push(t)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  /** Drops the cancelled timers at once; the rest, sorted, is a heap again. */
  dropCancelled(): void {
    const kept = this.items.filter((t) => t.k !== undefined).sort((a, b) => (before(a, b) ? -1 : 1))
    this.items.length = 0
    for (const t of kept) this.items.push(t)
  }

  peek(): Timer | undefined {
    return this.items[0]
  }

  pop(): Timer | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < items.length && before(items[l]!, items[m]!)) m = l
      if (r < items.length && before(items[r]!, items[m]!)) m = r
      if (m === i) break
      ;[items[i], items[m]] = [items[m]!, items[i]!]
      i = m
    }
    return top
  }
}

/** The deadlines of every connection on one Clock. */
export interface SharedClock {
  readonly clock: Clock.Clock
  /** Runs `k` once `millis` have passed on the clock; the function returned cancels it. */
  readonly after: (millis: number, k: () => void) => () => void
  /** Timers held, cancelled ones not dropped yet included (at most about twice those pending). */
  readonly held: number
}

/** See the module comment; a class, its methods on the prototype. */
class SharedClockImpl implements SharedClock {
  readonly clock: Clock.Clock
  private readonly context: Context.Context<never>
  private readonly heap = new TimerHeap()
  /** Timers set and neither fired nor cancelled. */
  private live = 0
  private seq = 0
  private fiber: Fiber.Fiber<void> | undefined = undefined
  /** When the fiber wakes next (it sleeps until the earliest timer it saw). */
  private wakesAt = Number.POSITIVE_INFINITY
  /** Set while due timers run, in the fiber: a timer set meanwhile is seen by the same loop. */
  private firing = false
  private readonly run: Effect.Effect<void>

  constructor(clock: Clock.Clock, scheduler: Scheduler.Scheduler) {
    this.clock = clock
    this.context = Context.make(Scheduler.Scheduler, scheduler) as Context.Context<never>
    this.run = Effect.suspend(() => this.step())
  }

  after(millis: number, k: () => void): () => void {
    const timer: Timer = { at: this.clock.currentTimeMillisUnsafe() + Math.max(1, millis), seq: this.seq++, k }
    this.heap.push(timer)
    this.live++
    if (!this.firing && timer.at < this.wakesAt) this.restart()
    return () => this.cancel(timer)
  }

  get held(): number {
    return this.heap.size
  }

  private cancel(timer: Timer): void {
    if (timer.k === undefined) return
    timer.k = undefined
    this.live--
    // Cancelled timers are skipped when they come out, but each command's silence deadline is
    // cancelled by its reply: with a 60 s timeout a busy process would hold a minute of them.
    if (this.heap.size > 64 && this.heap.size > 2 * this.live) this.heap.dropCancelled()
    // Nothing left to wait for: no fiber and no timer held for a deadline that no longer matters.
    if (this.live === 0 && !this.firing) this.stop()
  }

  private stop(): void {
    const fiber = this.fiber
    this.fiber = undefined
    this.wakesAt = Number.POSITIVE_INFINITY
    fiber?.interruptUnsafe()
  }

  private restart(): void {
    this.stop()
    this.fiber = Effect.runForkWith(this.context)(this.run)
  }

  /** Fires what is due, then sleeps until the earliest timer left; ends when none is left. */
  private step(): Effect.Effect<void> {
    const now = this.clock.currentTimeMillisUnsafe()
    this.firing = true
    try {
      for (let t = this.heap.peek(); t !== undefined && (t.k === undefined || t.at <= now); t = this.heap.peek()) {
        this.heap.pop()
        const k = t.k
        if (k === undefined) continue
        t.k = undefined
        this.live--
        k()
      }
    } finally {
      this.firing = false
    }
    const next = this.heap.peek()
    if (next === undefined) {
      this.fiber = undefined
      this.wakesAt = Number.POSITIVE_INFINITY
      return Effect.void
    }
    this.wakesAt = next.at
    return Effect.andThen(this.clock.sleep(Duration.millis(next.at - now)), this.run)
  }
}

const clocks = new WeakMap<Clock.Clock, SharedClockImpl>()

/** The shared deadlines of the current Clock (made on first use, one per Clock instance). */
export const get: Effect.Effect<SharedClock> = Effect.gen(function* () {
  const clock = yield* Clock.Clock
  let shared = clocks.get(clock)
  if (shared === undefined) {
    shared = new SharedClockImpl(clock, yield* Scheduler.Scheduler)
    clocks.set(clock, shared)
  }
  return shared
})

/**
 * `d`'s result, or None once `millis` passed on the shared timer. Not `Effect.timeoutOption`: that
 * races two forked fibers (the wait and a sleep), each with its stack and context, for as long as
 * the reply takes; sessions in the middle of connecting held ~9 KB each that way, which any
 * scavenge meanwhile promoted to V8's old space, where it died.
 */
export const awaitWithin = <A, E>(
  timers: SharedClock,
  d: Deferred.Deferred<A, E>,
  millis: number
): Effect.Effect<Option.Option<A>, E> =>
  Effect.callback<Option.Option<A>, E>((resume) => {
    let settled = false
    let cancelTimer: (() => void) | undefined
    const cancelWait = FirstOf.onFirst([FirstOf.deferred(d, (exit) => exit)], (exit) => {
      settled = true
      cancelTimer?.()
      resume(Exit.map(exit, Option.some))
    })
    if (settled) return
    cancelTimer = timers.after(millis, () => {
      cancelWait()
      resume(Effect.succeedNone)
    })
    return Effect.sync(() => {
      cancelTimer?.()
      cancelWait()
    })
  })
