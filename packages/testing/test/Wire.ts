// A raw IMAP connection for tests that must see the exact lines a server sends (the order of FETCH
// items, a continuation's text, a reply that never comes): write bytes, read CRLF-ended lines. Kept
// apart from the client on purpose, so a client defect cannot hide what the server did.
import * as net from "node:net"
import { Effect } from "effect"

export interface Wire {
  /** The greeting line. */
  readonly greeting: string
  /** Writes `text` as is (several commands in one write when it holds several). */
  readonly send: (text: string | Uint8Array) => Effect.Effect<void>
  /** Lines up to and including the first that starts with `prefix` (a tag and a space, or `+`). */
  readonly until: (prefix: string) => Effect.Effect<ReadonlyArray<string>>
}

/** Connects to `port` on loopback and reads the greeting; closed with the scope. */
export const open = (port: number) =>
  Effect.gen(function* () {
    const socket = yield* Effect.acquireRelease(
      Effect.sync(() => net.connect(port, "127.0.0.1")),
      (s) => Effect.sync(() => s.destroy())
    )
    const lines: Array<string> = []
    let partial = ""
    let wake = () => {}
    let closed = false
    socket.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString("latin1")).split("\r\n")
      partial = parts.pop() ?? ""
      lines.push(...parts)
      wake()
    })
    socket.on("close", () => {
      closed = true
      wake()
    })
    socket.on("error", () => {})
    const next = Effect.callback<string, Error>((resume) => {
      const poll = () => {
        const line = lines.shift()
        if (line !== undefined) resume(Effect.succeed(line))
        else if (closed) resume(Effect.fail(new Error("connection closed")))
        else wake = poll
      }
      poll()
    })
    const until = (prefix: string) =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        for (;;) {
          const line = yield* next
          seen.push(line)
          if (line.startsWith(prefix)) return seen as ReadonlyArray<string>
        }
      }).pipe(Effect.timeout("5 seconds"), Effect.orDie)
    const greeting = yield* next.pipe(Effect.timeout("5 seconds"), Effect.orDie)
    const wire: Wire = {
      greeting,
      send: (text) => Effect.sync(() => void socket.write(text)),
      until
    }
    return wire
  })
