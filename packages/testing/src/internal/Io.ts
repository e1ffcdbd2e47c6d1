/**
 * The byte side of one server connection over a Node socket: input buffered until a whole command
 * (or line) is there, output written in order with the faults that act on bytes (slow writes, a
 * cut after N bytes, a cut inside a literal), and the STARTTLS upgrade in place.
 */
import * as Effect from "effect/Effect"
import type * as net from "node:net"
import * as tls from "node:tls"

/** The connection ended (closed by either side, or cut by a fault). */
export class Closed {
  readonly _tag = "Closed"
}

/** Wakes whoever waits, once per `fire`; a wait started after a fire waits for the next one. */
export class Signal {
  private waiters: Array<() => void> = []
  fire(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }
  readonly wait: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const w = () => resume(Effect.void)
    this.waiters.push(w)
    return Effect.sync(() => {
      this.waiters = this.waiters.filter((x) => x !== w)
    })
  })
}

export class Io {
  socket: net.Socket
  /**
   * Received bytes not taken yet are `store[head, tail)`. The store grows by doubling, so a large
   * APPEND arriving in 64 KiB chunks is copied about twice, not once per chunk.
   */
  private store = new Uint8Array(16 * 1024)
  private head = 0
  private tail = 0
  closed = false
  /** Bytes written so far, for `CutAfterBytes`. */
  written = 0
  /** Cut once this many bytes are written. */
  cutAfter: number | undefined
  readonly arrived = new Signal()
  private readonly onData = (chunk: Buffer) => {
    this.append(chunk)
    this.arrived.fire()
  }
  private readonly onEnd = () => {
    this.closed = true
    this.arrived.fire()
  }

  constructor(socket: net.Socket) {
    this.socket = socket
    this.attach(socket)
  }

  private attach(socket: net.Socket): void {
    socket.on("data", this.onData)
    socket.on("end", this.onEnd)
    socket.on("close", this.onEnd)
    socket.on("error", this.onEnd)
  }

  private detach(socket: net.Socket): void {
    socket.off("data", this.onData)
  }

  /** Waits until more bytes arrive or the peer closes; fails with Closed once closed. */
  readonly more: Effect.Effect<void, Closed> = Effect.suspend(() =>
    this.closed ? Effect.fail(new Closed()) : this.arrived.wait
  )

  /** The bytes received and not taken yet (a view: valid until the next read). */
  get buffer(): Uint8Array {
    return this.store.subarray(this.head, this.tail)
  }

  private append(chunk: Uint8Array): void {
    if (this.tail + chunk.length > this.store.length) {
      const held = this.tail - this.head
      const size = Math.max(this.store.length, held + chunk.length)
      if (held + chunk.length > this.store.length / 2) {
        const next = new Uint8Array(size * 2)
        next.set(this.store.subarray(this.head, this.tail))
        this.store = next
      } else this.store.copyWithin(0, this.head, this.tail)
      this.head = 0
      this.tail = held
    }
    this.store.set(chunk, this.tail)
    this.tail += chunk.length
  }

  /** Takes the first `n` buffered bytes (a copy). */
  take(n: number): Uint8Array {
    const out = this.store.slice(this.head, this.head + n)
    this.head += out.length
    if (this.head === this.tail) this.head = this.tail = 0
    return out
  }

  /** Drops every byte received and not taken. */
  clear(): void {
    this.head = this.tail = 0
  }

  /** One line (CRLF or LF ended), without its line end. */
  readonly line: Effect.Effect<string, Closed> = Effect.suspend(() => {
    const lf = this.buffer.indexOf(0x0a)
    if (lf < 0) return Effect.andThen(this.more, this.line)
    const bytes = this.take(lf + 1)
    const end = bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d ? 2 : 1
    return Effect.succeed(new TextDecoder().decode(bytes.subarray(0, bytes.length - end)))
  })

  /** Writes bytes, cutting the connection when a `CutAfterBytes` budget runs out. */
  write(bytes: Uint8Array): Effect.Effect<void, Closed> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(new Closed())
      if (this.cutAfter !== undefined && this.written + bytes.length >= this.cutAfter) {
        const room = Math.max(0, this.cutAfter - this.written)
        return Effect.andThen(this.writeRaw(bytes.subarray(0, room)), this.cut)
      }
      return this.writeRaw(bytes)
    })
  }

  /** Writes the marker line of the first literal in `bytes` and half its data, then cuts. */
  writeHalfLiteral(bytes: Uint8Array): Effect.Effect<void, Closed> {
    const text = new TextDecoder("latin1").decode(bytes)
    const m = /\{(\d+)\}\r\n/.exec(text)
    if (m === null) return this.write(bytes)
    const upTo = m.index + m[0].length + Math.floor(Number(m[1]) / 2)
    return Effect.andThen(this.write(bytes.subarray(0, upTo)), this.cut)
  }

  private writeRaw(bytes: Uint8Array): Effect.Effect<void, Closed> {
    this.written += bytes.length
    if (bytes.length === 0) return Effect.void
    return Effect.callback<void, Closed>((resume) => {
      this.socket.write(bytes, (err) => resume(err ? Effect.fail(new Closed()) : Effect.void))
    })
  }

  /** Ends the connection at once (a cut: no FIN handshake awaited). */
  readonly cut: Effect.Effect<never, Closed> = Effect.suspend(() => {
    this.closed = true
    this.socket.destroy()
    this.arrived.fire()
    return Effect.fail(new Closed())
  })

  /** Closes after what was written has been sent (LOGOUT, BYE). */
  readonly end: Effect.Effect<void> = Effect.sync(() => {
    this.closed = true
    this.socket.end()
  })

  /**
   * STARTTLS, server side: whatever arrived in clear text after the command is dropped (the
   * injection of CVE-2011-0411), then the same socket carries TLS.
   */
  upgrade(context: tls.SecureContext): Effect.Effect<void, Closed> {
    return Effect.callback<void, Closed>((resume) => {
      this.clear()
      this.detach(this.socket)
      const secure = new tls.TLSSocket(this.socket, { isServer: true, secureContext: context })
      this.socket = secure
      this.attach(secure)
      secure.once("secure", () => resume(Effect.void))
      secure.once("error", () => resume(Effect.fail(new Closed())))
    })
  }
}
