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

export const make = <R extends Queueable>(tagPrefix = "A"): CommandQueue<R> => {
  /**
   * Commands sent and not yet answered, oldest first (rarely more than a few: a tag is found by
   * scanning). An array, not a Map: every untagged response walks it, and a Map iterator per
   * response adds up over a large FETCH.
   */
  const pending: Array<Entry<R>> = []
  const waiting: Array<Entry<R>> = []
  let writing = false
  let inFlight = 0
  let exclusiveInFlight = false
  let holder: Entry<R> | undefined
  let onWanted: (() => void) | undefined
  let failure: ImapError | undefined
  let tags = 1

  const grantTurns = () => {
    if (failure !== undefined) return
    while (waiting.length > 0 && mayTakeTurn(waiting[0]!, { writing, inFlight, exclusiveInFlight })) {
      const head = waiting.shift()!
      head.writing = writing = true
      head.inFlight = true
      inFlight++
      if (head.exclusive) exclusiveInFlight = true
      Deferred.doneUnsafe(head.turn, Exit.void)
    }
  }

  /** The one place a command gives back what it holds: the wire, its place in flight, or both. */
  const release = (entry: Entry<R>, what: { readonly wire: boolean; readonly flight: boolean }) => {
    if (what.wire && entry.writing) {
      entry.writing = writing = false
    }
    if (what.flight && entry.inFlight) {
      entry.inFlight = false
      inFlight--
      if (entry.exclusive) exclusiveInFlight = false
    }
    grantTurns()
  }

  const removePending = (entry: Entry<R>) => {
    const i = pending.indexOf(entry)
    if (i >= 0) pending.splice(i, 1)
  }

  return {
    enqueue: (request) => {
      const entry = newEntry(request)
      if (failure !== undefined) {
        Deferred.doneUnsafe(entry.turn, Exit.fail(failure))
        return entry
      }
      waiting.push(entry)
      onWanted?.()
      grantTurns()
      return entry
    },
    nextTag: () => `${tagPrefix}${tags++}`,
    sent: (entry, tag) => {
      entry.tag = tag
      pending.push(entry)
    },
    written: (entry) => release(entry, { wire: true, flight: false }),
    find: (tag) => pending.find((e) => e.tag === tag),
    answered: (entry) => {
      removePending(entry)
      release(entry, { wire: false, flight: true })
    },
    withdraw: (entry) => {
      const i = waiting.indexOf(entry)
      if (i >= 0) waiting.splice(i, 1)
      removePending(entry)
      release(entry, { wire: true, flight: true })
    },
    hold: (entry, f) => {
      entry.holding = true
      holder = entry
      onWanted = f
      // A command queued between IDLE going out and its `+` must not wait for the next re-issue.
      if (waiting.length > 0) f()
    },
    unhold: (entry) => {
      entry.holding = false
      if (holder === entry) {
        holder = undefined
        onWanted = undefined
      }
    },
    claim: (r) => {
      for (let i = 0; i < pending.length; i++) {
        if (pending[i]!.request.collect?.(r)) return true
      }
      return false
    },
    continueWith: (text) => {
      for (const p of pending) {
        if (p.continuation !== undefined) {
          const k = p.continuation
          p.continuation = undefined
          k(text)
          return true
        }
      }
      return false
    },
    pendingNames: () => pending.map((p) => p.request.name),
    needsReader: () => {
      for (const w of waiting) if (!w.patient) return true
      return false
    },
    awaitingReply: () => {
      let holding = 0
      for (const p of pending) if (p.holding) holding++
      return pending.length - holding
    },
    fail: (error) => {
      if (failure !== undefined) return
      failure = error
      // Taken out of the lists first: completing a Deferred resumes its waiter at once, and a caller
      // refused its turn withdraws (a splice of `waiting` under this loop would skip the next one).
      const sent = pending.splice(0, pending.length)
      const queued = waiting.splice(0, waiting.length)
      for (const p of sent) {
        p.continuation?.(undefined)
        Deferred.doneUnsafe(p.done, Exit.fail(error))
      }
      for (const w of queued) Deferred.doneUnsafe(w.turn, Exit.fail(error))
    }
  }
}
