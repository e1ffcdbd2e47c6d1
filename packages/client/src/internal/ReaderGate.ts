/**
 * Flow control for the connection's reader: it stops pulling from the socket (TCP backpressure)
 * while a paused stream's consumer or a subscriber that is behind has not caught up, but only when
 * nothing else waits for it; any other command opens the gate at once (buffering wins over deadlock).
 * The reader is the socket's data events: parking it pauses the socket.
 */

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

/** The reader as the gate drives it: the socket stops being read, or goes on. */
export interface Reader {
  stop(): void
  go(): void
}

export interface ReaderGate {
  /** A stream's consumer is behind: the reader may stop for it. */
  readonly pause: (key: object) => void
  readonly resume: (key: object) => void
  /** A subscription reached (true) or left (false) its high-water mark. */
  readonly setFull: (key: object, full: boolean) => void
  /** Lets a parked reader go on (it parks again after its next read if pausing is still safe). */
  readonly open: () => void
  /** The reader waits at the gate: for a consumer, not for the server (silence is excused). */
  readonly isParked: () => boolean
  /** After a read: parks the reader (`stop`) if `mayPause` holds; it goes on once it no longer does. */
  readonly pass: () => void
}

/**
 * A class, its sets made on first use: one gate per connection, and most connections never pause
 * (an IDLE session, a watcher between fetches). Callbacks, not a fiber: the reader is the socket's
 * data events, stopped and restarted here.
 */
class Gate implements ReaderGate {
  private pausers: Set<object> | undefined = undefined
  private full: Set<object> | undefined = undefined
  private parked = false
  private queued = false
  private readonly demand: () => Demand
  private readonly reader: Reader
  private readonly recheck = () => {
    this.queued = false
    if (!this.parked || this.mayPauseNow()) return
    this.parked = false
    this.reader.go()
  }

  constructor(demand: () => Demand, reader: Reader) {
    this.demand = demand
    this.reader = reader
  }

  private mayPauseNow(): boolean {
    return mayPause(this.demand(), this.pausers?.size ?? 0, this.full?.size ?? 0)
  }

  /**
   * The reader goes on after the signaller's synchronous work, not inside it: a command that opens
   * the gate is pending only once `open` has returned, and a reader let go at once would find
   * pausing still safe and park again for good.
   */
  private signal(): void {
    if (!this.parked || this.queued) return
    this.queued = true
    queueMicrotask(this.recheck)
  }

  pause(key: object): void {
    this.pausers ??= new Set()
    this.pausers.add(key)
  }

  resume(key: object): void {
    if (this.pausers?.delete(key)) this.signal()
  }

  setFull(key: object, isFull: boolean): void {
    if (isFull) {
      this.full ??= new Set()
      this.full.add(key)
    } else if (this.full?.delete(key)) this.signal()
  }

  open(): void {
    this.signal()
  }

  isParked(): boolean {
    return this.parked
  }

  pass(): void {
    if (this.parked || !this.mayPauseNow()) return
    this.parked = true
    this.reader.stop()
  }
}

/** A ReaderGate; its methods need their receiver (`gate.open()`, not detached). */
export const make = (demand: () => Demand, reader: Reader): ReaderGate => new Gate(demand, reader)
