/**
 * One subscriber's inbox of mailbox events (the connection's reader pushes, a Stream pulls), bounded
 * three ways so that no flood of untagged data can grow memory without limit:
 *
 * 1. Coalescing, for what only the newest value of matters: a run of EXISTS keeps one entry with the
 *    newest count, RECENT likewise, repeated flag updates (`* n FETCH (FLAGS ...)`) of one message
 *    keep one entry with the newest flags, and a run of identical EXPUNGE or VANISHED lines is kept
 *    as one entry with a count (a mass expunge of messages 1..k is `* 1 EXPUNGE` k times). Coalescing
 *    never crosses a barrier (EXPUNGE, VANISHED, BYE, ALERT, FLAGS, any other FETCH): EXPUNGE sequence
 *    numbers are positional, so nothing moves across one. Within a run between barriers an EXISTS
 *    may move earlier (the consumer learns the newest count sooner, which is always safe: counts
 *    only grow without an EXPUNGE) and a flag update may move earlier (no message was renumbered).
 * 2. Backpressure: past `highWater` entries the inbox asks the connection to stop reading the socket
 *    until the consumer takes them (`onPressure`). The connection parks its reader only where no
 *    command needs it (buffering wins over deadlock), so in that case the inbox keeps buffering,
 *    bounded by coalescing.
 * 3. A limit: what coalescing cannot shrink (a hostile alternation of EXPUNGE and EXISTS) while the
 *    reader cannot be parked ends this subscription with the error `overflow` gives, never anything
 *    silently dropped: the consumer knows it must resynchronise (the watcher reconnects and fetches
 *    by UID, losing nothing).
 */
import { type FetchData, SequenceSet, type UntaggedData } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { isFlagUpdate } from "./FetchFilter.ts"
import * as Parking from "./Parking.ts"

/** How an event may combine with those before it. */
export type Kind =
  | { readonly _tag: "Exists" }
  | { readonly _tag: "Recent" }
  /** A flag update of message `seq`: replaces an earlier one of the same message in the same run. */
  | { readonly _tag: "FlagUpdate"; readonly seq: number }
  /** Ends the run: nothing coalesces across it; identical consecutive ones are counted. */
  | { readonly _tag: "Barrier" }

const exists: Kind = { _tag: "Exists" }
const recent: Kind = { _tag: "Recent" }
const barrier: Kind = { _tag: "Barrier" }

export const classify = (r: UntaggedData): Kind => {
  switch (r._tag) {
    case "Exists":
      return exists
    case "Recent":
      return recent
    case "Fetch":
      return isFlagUpdate(r) ? { _tag: "FlagUpdate", seq: r.seq } : barrier
    default:
      return barrier
  }
}

/** The newer flag update of one message, keeping the UID (and MODSEQ) an older one carried if it has none. */
export const mergeFlagUpdates = (older: FetchData, newer: FetchData): FetchData => ({
  _tag: "Fetch",
  seq: newer.seq,
  attributes: { ...older.attributes, ...newer.attributes }
})

/** Consecutive barriers that may be kept as one entry with a count (the consumer still gets each). */
const sameBarrier = (a: UntaggedData, b: UntaggedData): boolean =>
  (a._tag === "Expunge" && b._tag === "Expunge" && a.seq === b.seq) ||
  (a._tag === "Vanished" && b._tag === "Vanished" && a.earlier === b.earlier && SequenceSet.equals(a.uids, b.uids))

interface Entry {
  r: UntaggedData
  times: number
}

/** The coalescing queue itself, synchronous and without I/O (tested as a table). */
export interface Coalescer {
  readonly push: (r: UntaggedData) => void
  /** Up to `max` events, oldest first, runs expanded; empty when nothing is queued. */
  readonly take: (max: number) => Array<UntaggedData>
  /** Entries held (a counted run is one). */
  readonly size: () => number
  readonly clear: () => void
}

/** A class, like the inbox: one per subscription (see Parking for why). */
class CoalescerImpl implements Coalescer {
  private entries: Array<Entry> = []
  // Where the current run's EXISTS, RECENT and flag updates sit in `entries` (-1: none yet).
  private existsAt = -1
  private recentAt = -1
  /** Made by the first flag update: most subscriptions (IDLE on a quiet mailbox) never see one. */
  private flagsAt: Map<number, number> | undefined = undefined

  private newRun(): void {
    this.existsAt = -1
    this.recentAt = -1
    this.flagsAt?.clear()
  }

  push(r: UntaggedData): void {
    const entries = this.entries
    const kind = classify(r)
    switch (kind._tag) {
      case "Exists":
        if (this.existsAt >= 0) entries[this.existsAt]!.r = r
        else {
          this.existsAt = entries.length
          entries.push({ r, times: 1 })
        }
        return
      case "Recent":
        if (this.recentAt >= 0) entries[this.recentAt]!.r = r
        else {
          this.recentAt = entries.length
          entries.push({ r, times: 1 })
        }
        return
      case "FlagUpdate": {
        this.flagsAt ??= new Map()
        const at = this.flagsAt.get(kind.seq)
        if (at !== undefined) {
          const older = entries[at]!
          older.r = mergeFlagUpdates(older.r as FetchData, r as FetchData)
        } else {
          this.flagsAt.set(kind.seq, entries.length)
          entries.push({ r, times: 1 })
        }
        return
      }
      case "Barrier": {
        this.newRun()
        const last = entries[entries.length - 1]
        if (last !== undefined && sameBarrier(last.r, r)) last.times++
        else entries.push({ r, times: 1 })
        return
      }
    }
  }

  take(max: number): Array<UntaggedData> {
    const entries = this.entries
    const out: Array<UntaggedData> = []
    let i = 0
    while (i < entries.length && out.length < max) {
      const e = entries[i]!
      const n = Math.min(e.times, max - out.length)
      for (let k = 0; k < n; k++) out.push(e.r)
      e.times -= n
      if (e.times === 0) i++
    }
    if (i >= entries.length) this.entries = []
    else {
      this.entries = entries.slice(i)
      // The positions moved: later events start a new run rather than coalesce into these.
      this.newRun()
    }
    if (this.entries.length === 0) this.newRun()
    return out
  }

  size(): number {
    return this.entries.length
  }

  clear(): void {
    this.entries = []
    this.newRun()
  }
}

/** A Coalescer; its methods need their receiver (call them on it, not detached). */
export const makeCoalescer = (): Coalescer => new CoalescerImpl()

/** Everything `events` becomes once coalesced (the table tests' view of `Coalescer`). */
export const coalesce = (events: ReadonlyArray<UntaggedData>): ReadonlyArray<UntaggedData> => {
  const c = makeCoalescer()
  for (const r of events) c.push(r)
  return c.take(Number.MAX_SAFE_INTEGER)
}

export interface InboxOptions<E> {
  /** Only these events are kept (a watcher needs no EXPUNGE); default all. */
  readonly accept?: ((r: UntaggedData) => boolean) | undefined
  /** Entries held before the inbox asks for the reader to be paused. */
  readonly highWater: number
  /** Entries held (the reader could not be paused) at which the subscription ends with `overflow`. */
  readonly limit: number
  /** Events handed out per pull at most (a counted run of a million EXPUNGE is not one array). */
  readonly maxBatch: number
  /** Called with true when the inbox reached `highWater`, false once the consumer took the backlog. */
  readonly onPressure: (full: boolean) => void
  readonly overflow: (held: number) => E
}

export interface Inbox<E> {
  readonly push: (r: UntaggedData) => void
  /** Ends the stream after the held events, with `exit` (success: the stream ends; failure: it fails). */
  readonly end: (exit: Exit.Exit<unknown, E>) => void
  readonly size: () => number
  /** Waits for at least one event and takes everything held (up to `maxBatch`). */
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<UntaggedData>, E | Cause.Done>
}

/**
 * A class: one inbox per subscription, one subscription per IDLE session or watcher, and an
 * instance is a fraction of an object of closures over the same state (see Parking).
 */
class InboxImpl<E> implements Inbox<E> {
  private readonly queue = new CoalescerImpl()
  private readonly parking = Parking.make()
  private ended: Exit.Exit<unknown, E> | undefined = undefined
  private full = false
  private readonly options: InboxOptions<E>
  readonly pull: Effect.Effect<NonEmptyReadonlyArray<UntaggedData>, E | Cause.Done>

  constructor(options: InboxOptions<E>) {
    this.options = options
    this.pull = Effect.suspend(() => this.pullNow())
  }

  private relieve(): void {
    if (this.full && this.queue.size() < this.options.highWater) {
      this.full = false
      this.options.onPressure(false)
    }
  }

  private pullNow(): Effect.Effect<NonEmptyReadonlyArray<UntaggedData>, E | Cause.Done> {
    if (this.queue.size() > 0) {
      const batch = this.queue.take(this.options.maxBatch) as unknown as NonEmptyReadonlyArray<UntaggedData>
      this.relieve()
      return Effect.succeed(batch)
    }
    if (this.ended !== undefined) return Parking.ended(this.ended)
    return Effect.flatMap(
      this.parking.park(() => this.queue.size() > 0 || this.ended !== undefined),
      () => this.pull
    )
  }

  end(exit: Exit.Exit<unknown, E>): void {
    if (this.ended !== undefined) return
    this.ended = exit
    this.relieve()
    this.parking.wake()
  }

  size(): number {
    return this.queue.size()
  }

  push(r: UntaggedData): void {
    const options = this.options
    if (this.ended !== undefined || (options.accept !== undefined && !options.accept(r))) return
    this.queue.push(r)
    const held = this.queue.size()
    if (!this.full && held >= options.highWater) {
      this.full = true
      options.onPressure(true)
    }
    if (held > options.limit) {
      // What is held is what overflowed: the failure comes at once, not after it.
      this.queue.clear()
      this.end(Exit.fail(options.overflow(held)))
      return
    }
    // Once per microtask, after the reader has dispatched the whole chunk (see `Parking`): an
    // IDLE notification waits only for the rest of its chunk.
    this.parking.signal()
  }
}

/** An Inbox; its methods need their receiver (`inbox.push(r)`, not detached). */
export const make = <E>(options: InboxOptions<E>): Inbox<E> => new InboxImpl(options)
