/**
 * The connection's command queue: who may write next, and which commands await their reply.
 *
 * A command waits in FIFO order for its turn, then holds two things: the wire, while its writer
 * writes (one writer at a time: a command's lines and literals must not interleave with another's),
 * and a place in flight, until its tagged reply. Independent commands pipeline: the next one may
 * write as soon as the wire is free, before earlier replies. An exclusive command (one that changes
 * state) waits until nothing is in flight and holds every later one back until its reply. IDLE holds
 * the queue between its `+` and DONE and is told when another command is queued (`hold`).
 *
 * Everything a command holds is given back on one path (`release`), whichever way it ends: its reply,
 * its writer finishing, its caller going away, or a refusal before it was sent. When the connection
 * dies, every pending command fails with its error and every waiting one is refused its turn.
 *
 * Synchronous and socket-free, so the rules are tested without a connection
 * (test/CommandQueueRules.test.ts).
 */
import type { Tagged, UntaggedData } from "@pkg/protocol"
import * as Deferred from "effect/Deferred"
import * as Exit from "effect/Exit"
import type { ImapError } from "../ImapError.ts"

/** What the queue needs to know of a request. */
export interface Queueable {
  readonly name: string
  /** Waits for every earlier command and holds back later ones until its tagged reply. */
  readonly exclusive?: boolean | undefined
  /** Claims untagged data belonging to this command; returns true to consume it. */
  readonly collect?: ((r: UntaggedData) => boolean) | undefined
  /** Holds the queue after its `+` (IDLE); such a command is patient while queued (`needsReader`). */
  readonly hold?: object | undefined
}

/** A queued command, from its place in line to its tagged reply. */
export interface Entry<R extends Queueable> {
  readonly request: R
  readonly exclusive: boolean
  /**
   * IDLE: nobody waits on its turn to make progress, so a paused stream or a subscriber that is
   * behind may keep the reader parked while it is queued (a watcher's next IDLE behind its FETCH
   * must not turn that FETCH's backpressure off).
   */
  readonly patient: boolean
  /** Granted when the command may write; failed with the connection's error if it dies first. */
  readonly turn: Deferred.Deferred<void, ImapError>
  /** Its tagged reply, completed by the connection; failed with the connection's error if it dies. */
  readonly done: Deferred.Deferred<Tagged, ImapError>
  /** Set once it is sent. */
  tag: string | undefined
  /** Set while the writer waits for `+`; called with the text, or undefined if the command ended. */
  continuation: ((text: string | undefined) => void) | undefined
  /** IDLE between its `+` and DONE: its reply is not due, so it does not need the reader. */
  holding: boolean
  /** Holds the wire: its writer is writing. */
  writing: boolean
  /** Holds a place in flight: granted a turn, not yet answered (nor withdrawn). */
  inFlight: boolean
}

/** What the commands granted a turn hold: the input of the pipelining rule. */
export interface Occupancy {
  /** A writer holds the wire. */
  readonly writing: boolean
  /** Commands granted a turn and not yet answered. */
  readonly inFlight: number
  /** One of them is exclusive. */
  readonly exclusiveInFlight: boolean
}

/**
 * The pipelining rule: whether the command at the head of the queue may have its turn now. Never
 * while another writer holds the wire or an exclusive command awaits its reply; an exclusive command
 * only once nothing is in flight.
 */
export const mayTakeTurn = (head: { readonly exclusive: boolean }, occupancy: Occupancy): boolean =>
  !occupancy.writing && !occupancy.exclusiveInFlight && (!head.exclusive || occupancy.inFlight === 0)

/** The queue's decisions over its commands; `make` gives one per connection. */
export interface CommandQueue<R extends Queueable> {
  /** Queues `request`; its turn is granted when `mayTakeTurn` allows (at once if it does). */
  readonly enqueue: (request: R) => Entry<R>
  /** A fresh tag (`A1`, `A2`, ...): tags are never reused on a connection. */
  readonly nextTag: () => string
  /** The entry goes out as `tag`: from now on replies, `+` and untagged data are routed to it. */
  readonly sent: (entry: Entry<R>, tag: string) => void
  /** Its writer is done (its reply may still be due): the next command may write. */
  readonly written: (entry: Entry<R>) => void
  /** The pending command sent as `tag`, if any (the reader then applies the reply, then `answered`). */
  readonly find: (tag: string) => Entry<R> | undefined
  /** Its tagged reply arrived: it leaves the pending commands and gives back its place in flight. */
  readonly answered: (entry: Entry<R>) => void
  /**
   * Its caller went away (interrupted, refused by the session state, unencodable) before it was sent:
   * out of the line, giving back whatever it held (a turn granted meanwhile included).
   */
  readonly withdraw: (entry: Entry<R>) => void
  /**
   * Between IDLE's `+` and DONE: `onWanted` runs when another command is queued (at once if one
   * already is), until `unhold`.
   */
  readonly hold: (entry: Entry<R>, onWanted: () => void) => void
  readonly unhold: (entry: Entry<R>) => void
  /** Offers untagged data to the pending commands' collectors, oldest first; true if one consumed it. */
  readonly claim: (r: UntaggedData) => boolean
  /** Gives the server's `+` to the writer waiting for it; false if none is (a protocol error). */
  readonly continueWith: (text: string) => boolean
  /** The names of the commands sent and not yet answered, oldest first. */
  readonly pendingNames: () => ReadonlyArray<string>
  /** A queued command other than IDLE: it needs the reader to get its turn and its reply. */
  readonly needsReader: () => boolean
  /** Pending commands whose reply is due (all but an IDLE before its DONE). */
  readonly awaitingReply: () => number
  /** The connection died: every pending command fails with `error`, every waiting one is refused its turn. */
  readonly fail: (error: ImapError) => void
}

const newEntry = <R extends Queueable>(request: R): Entry<R> => ({
  request,
  exclusive: request.exclusive === true,
  patient: request.hold !== undefined,
  turn: Deferred.makeUnsafe(),
  done: Deferred.makeUnsafe(),
  tag: undefined,
  continuation: undefined,
  holding: false,
  writing: false,
  inFlight: false
})

/**
 * A class rather than an object of eighteen closures over shared locals: one queue per connection,
 * thousands of connections per process (bench/session-memory.ts), and an instance keeps its methods
 * on the prototype.
 */
class Queue<R extends Queueable> implements CommandQueue<R> {
  /**
   * Commands sent and not yet answered, oldest first (rarely more than a few: a tag is found by
   * scanning). An array, not a Map: every untagged response walks it, and a Map iterator per
   * response adds up over a large FETCH.
   */
  private readonly pending: Array<Entry<R>> = []
  private readonly waiting: Array<Entry<R>> = []
  private writing = false
  private inFlight = 0
  private exclusiveInFlight = false
  private holder: Entry<R> | undefined = undefined
  private onWanted: (() => void) | undefined = undefined
  private failure: ImapError | undefined = undefined
  private tags = 1
  private readonly tagPrefix: string

  constructor(tagPrefix: string) {
    this.tagPrefix = tagPrefix
  }

  private grantTurns(): void {
    if (this.failure !== undefined) return
    const waiting = this.waiting
    while (
      waiting.length > 0 &&
      mayTakeTurn(waiting[0]!, {
        writing: this.writing,
        inFlight: this.inFlight,
        exclusiveInFlight: this.exclusiveInFlight
      })
    ) {
      const head = waiting.shift()!
      head.writing = this.writing = true
      head.inFlight = true
      this.inFlight++
      if (head.exclusive) this.exclusiveInFlight = true
      Deferred.doneUnsafe(head.turn, Exit.void)
    }
  }

  /** The one place a command gives back what it holds: the wire, its place in flight, or both. */
  private release(entry: Entry<R>, wire: boolean, flight: boolean): void {
    if (wire && entry.writing) {
      entry.writing = this.writing = false
    }
    if (flight && entry.inFlight) {
      entry.inFlight = false
      this.inFlight--
      if (entry.exclusive) this.exclusiveInFlight = false
    }
    this.grantTurns()
  }

  private removePending(entry: Entry<R>): void {
    const i = this.pending.indexOf(entry)
    if (i >= 0) this.pending.splice(i, 1)
  }

  enqueue(request: R): Entry<R> {
    const entry = newEntry(request)
    if (this.failure !== undefined) {
      Deferred.doneUnsafe(entry.turn, Exit.fail(this.failure))
      return entry
    }
    this.waiting.push(entry)
    this.onWanted?.()
    this.grantTurns()
    return entry
  }

  nextTag(): string {
    return `${this.tagPrefix}${this.tags++}`
  }

  sent(entry: Entry<R>, tag: string): void {
    entry.tag = tag
    this.pending.push(entry)
  }

  written(entry: Entry<R>): void {
    this.release(entry, true, false)
  }

  find(tag: string): Entry<R> | undefined {
    return this.pending.find((e) => e.tag === tag)
  }

  answered(entry: Entry<R>): void {
    this.removePending(entry)
    this.release(entry, false, true)
  }

  withdraw(entry: Entry<R>): void {
    const i = this.waiting.indexOf(entry)
    if (i >= 0) this.waiting.splice(i, 1)
    this.removePending(entry)
    this.release(entry, true, true)
  }

  hold(entry: Entry<R>, f: () => void): void {
    entry.holding = true
    this.holder = entry
    this.onWanted = f
    // A command queued between IDLE going out and its `+` must not wait for the next re-issue.
    if (this.waiting.length > 0) f()
  }

  unhold(entry: Entry<R>): void {
    entry.holding = false
    if (this.holder === entry) {
      this.holder = undefined
      this.onWanted = undefined
    }
  }

  claim(r: UntaggedData): boolean {
    const pending = this.pending
    for (let i = 0; i < pending.length; i++) {
      if (pending[i]!.request.collect?.(r)) return true
    }
    return false
  }

  continueWith(text: string): boolean {
    for (const p of this.pending) {
      if (p.continuation !== undefined) {
        const k = p.continuation
        p.continuation = undefined
        k(text)
        return true
      }
    }
    return false
  }

  pendingNames(): ReadonlyArray<string> {
    return this.pending.map((p) => p.request.name)
  }

  needsReader(): boolean {
    for (const w of this.waiting) if (!w.patient) return true
    return false
  }

  awaitingReply(): number {
    let holding = 0
    for (const p of this.pending) if (p.holding) holding++
    return this.pending.length - holding
  }

  fail(error: ImapError): void {
    if (this.failure !== undefined) return
    this.failure = error
    // Taken out of the lists first: completing a Deferred resumes its waiter at once, and a caller
    // refused its turn withdraws (a splice of `waiting` under this loop would skip the next one).
    const sent = this.pending.splice(0, this.pending.length)
    const queued = this.waiting.splice(0, this.waiting.length)
    for (const p of sent) {
      p.continuation?.(undefined)
      Deferred.doneUnsafe(p.done, Exit.fail(error))
    }
    for (const w of queued) Deferred.doneUnsafe(w.turn, Exit.fail(error))
  }
}

/** A CommandQueue; its methods need their receiver (`queue.enqueue(r)`, not detached). */
export const make = <R extends Queueable>(tagPrefix = "A"): CommandQueue<R> => new Queue<R>(tagPrefix)
