/**
 * Flow control for the connection's reader: it stops pulling from the socket (TCP backpressure)
 * while a paused stream's consumer or a subscriber that is behind has not caught up, but only when
 * nothing else waits for it; any other command opens the gate at once (buffering wins over deadlock).
 * The reader waits at the gate like a stream's consumer waits for the reader (internal/Parking.ts).
 */
import * as Effect from "effect/Effect"
import * as Parking from "./Parking.ts"

/** What else might need the reader, as the connection sees it now. */
export interface Demand {
  readonly dead: boolean
  /** A queued command other than IDLE (it needs the reader to get its turn and its reply). */
  readonly needsReader: boolean
  /** Pending commands whose reply is due (an IDLE before its DONE is not). */
  readonly awaitingReply: number
}

/**
 * Pausing is safe only when nothing but the paused streams waits for the reader: no command queued
 * but IDLE, and every pending command whose reply is due a paused stream.
 */
export const mayPause = (demand: Demand, pausers: number, fullSubscriptions: number): boolean =>
  !demand.dead && !demand.needsReader && pausers + fullSubscriptions > 0 && demand.awaitingReply <= pausers

export interface ReaderGate {
  /** A stream's consumer is behind: the reader may stop for it. */
  readonly pause: (key: object) => void
  readonly resume: (key: object) => void
  /** A subscription reached (true) or left (false) its high-water mark. */
  readonly setFull: (key: object, full: boolean) => void
  /** Lets a parked reader go on (it parks again if pausing is still safe). */
  readonly open: () => void
  /** The reader waits at the gate: for a consumer, not for the server (silence is excused). */
  readonly isParked: () => boolean
  /** Parks the reader for as long as `mayPause` holds; `onLeave` runs each time it leaves the gate. */
  readonly pass: (onLeave: () => void) => Effect.Effect<void>
}

/**
 * A class, its sets made on first use: one gate per connection, and most connections never pause
 * (an IDLE session, a watcher between fetches). See Parking for why a class.
 */
class Gate implements ReaderGate {
  private pausers: Set<object> | undefined = undefined
  private full: Set<object> | undefined = undefined
  // The reader is resumed after the opener's synchronous work, not inside `open`: a command that
  // opens the gate is pending only once `open` has returned, and a reader resumed at once would
  // find pausing still safe and park again for good.
  private readonly parking = Parking.make()
  private parked = false
  private readonly demand: () => Demand

  constructor(demand: () => Demand) {
    this.demand = demand
  }

  private mayPauseNow(): boolean {
    return mayPause(this.demand(), this.pausers?.size ?? 0, this.full?.size ?? 0)
  }

  pause(key: object): void {
    this.pausers ??= new Set()
    this.pausers.add(key)
  }

  resume(key: object): void {
    if (this.pausers?.delete(key)) this.parking.signal()
  }

  setFull(key: object, isFull: boolean): void {
    if (isFull) {
      this.full ??= new Set()
      this.full.add(key)
    } else if (this.full?.delete(key)) this.parking.signal()
  }

  open(): void {
    this.parking.signal()
  }

  isParked(): boolean {
    return this.parked
  }

  pass(onLeave: () => void): Effect.Effect<void> {
    const gate = this
    return Effect.gen(function* () {
      while (gate.mayPauseNow()) {
        gate.parked = true
        yield* gate.parking.park(() => !gate.mayPauseNow())
        gate.parked = false
        onLeave()
      }
    })
  }
}

/** A ReaderGate; its methods need their receiver (`gate.open()`, not detached). */
export const make = (demand: () => Demand): ReaderGate => new Gate(demand)
