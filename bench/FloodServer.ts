/**
 * A hostile IMAP server for `bench/flood.ts`: greets, accepts LOGIN, EXAMINE/SELECT (with UIDNEXT),
 * UID FETCH (from a generated mailbox, streamed under the socket's backpressure), IDLE (`+ idling`),
 * DONE and LOGOUT, and floods the client with untagged lines (`* 100 EXISTS`, flag updates, EXPUNGE /
 * EXISTS pairs) as fast as the client reads them. Replies to commands are interleaved with the flood
 * chunk by chunk, as a server whose mailbox keeps changing would send them.
 *
 * When the flood has been handed to the kernel, a marker message is "appended" (`* n EXISTS`, then
 * served by the next UID FETCH with the subject `flood-marker`): a client that prints it has read and
 * handled every byte of the flood before it. Bench code only; node:net, no IMAP parsing beyond lines.
 */
import * as net from "node:net"

export interface FloodScenario {
  /** Messages in the mailbox at EXAMINE (UIDs 1..n, UIDNEXT n+1). */
  readonly messages: number
  /** The untagged lines of one flood period, repeated until `lines` lines went out. */
  readonly pattern: ReadonlyArray<string>
  readonly lines: number
  /** When the flood starts: at the first IDLE, or at the first UID FETCH. */
  readonly startAt: "idle" | "fetch"
  /** Quiet time before the marker is appended, after the flood (or after the first IDLE). */
  readonly markerDelayMs: number
}

export const markerSubject = "flood-marker"

export interface FloodServer {
  readonly port: number
  /** Flood lines written so far (all connections). */
  readonly sent: () => number
  /** performance.now() when the flood started and when its last byte was handed to the kernel. */
  readonly floodStartedAt: () => number | undefined
  readonly floodEndedAt: () => number | undefined
  readonly close: () => Promise<void>
}

const capabilities = "IMAP4rev1 IDLE LITERAL+ UIDPLUS"
const chunkBytes = 64 * 1024

export const fetchLine = (seq: number, uid: number, subject: string): string =>
  `* ${seq} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "${subject}" (("Flood" NIL "flood" "example.com")) NIL NIL NIL NIL NIL NIL "<${uid}@example.com>") RFC822.SIZE 2048 INTERNALDATE "26-Nov-2026 10:00:00 +0000")`

/** `2:*` or `5` or `3:7` in a UID FETCH: the first UID asked for and the last (Infinity for `*`). */
const parseRange = (set: string): readonly [number, number] => {
  const [a = "1", b] = set.split(",")[0]!.split(":")
  const low = a === "*" ? Number.POSITIVE_INFINITY : Number(a)
  const high = b === undefined ? low : b === "*" ? Number.POSITIVE_INFINITY : Number(b)
  return [Math.min(low, high), Math.max(low, high)]
}

/** The flood lines still to write, in chunks of whole pattern periods (one buffer reused). */
interface Flood {
  readonly next: () => Buffer | undefined
  readonly left: () => number
}

const makeFlood = (pattern: ReadonlyArray<string>, lines: number, onSent: (n: number) => void): Flood => {
  let left = lines
  const period = pattern.map((l) => `${l}\r\n`).join("")
  const periods = Math.max(1, Math.floor(chunkBytes / Math.max(1, period.length)))
  const block = Buffer.from(period.repeat(periods), "latin1")
  const blockLines = periods * pattern.length
  return {
    left: () => left,
    next: () => {
      if (left <= 0) return undefined
      const n = Math.min(left, blockLines)
      left -= n
      onSent(n)
      if (n === blockLines) return block
      const rest = Array.from({ length: n }, (_, i) => pattern[i % pattern.length]!)
      return Buffer.from(`${rest.join("\r\n")}\r\n`, "latin1")
    }
  }
}

/** UID FETCH of `set` over UIDs 1..total (seq = UID), produced lazily; the newest past `initial` is the marker. */
function* fetchReply(tag: string, set: string, total: number, initial: number): Generator<string> {
  const [low, high] = parseRange(set)
  let any = false
  for (let uid = Math.max(1, low); uid <= Math.min(high, total); uid++) {
    any = true
    yield fetchLine(uid, uid, uid === total && total > initial ? markerSubject : `message ${uid}`)
  }
  // `n:*` with n past the last UID still returns the last message (RFC 9051 6.4.8).
  if (!any && high === Number.POSITIVE_INFINITY && total > 0) yield fetchLine(total, total, `message ${total}`)
  yield `${tag} OK Fetch completed.`
}

/** What the server answers to one command line; `idle` is the IDLE's tag while it runs. */
interface Session {
  messages: number
  idleTag: string | undefined
}

/** The reply to `line` (lines, produced lazily), and whether it starts IDLE or a UID FETCH. */
const respond = (
  session: Session,
  line: string,
  initial: number
): { readonly lines: Iterator<string>; readonly starts?: "idle" | "fetch"; readonly logout?: boolean } => {
  const of = (...lines: Array<string>) => lines[Symbol.iterator]()
  if (line === "DONE") {
    const tag = session.idleTag
    session.idleTag = undefined
    return { lines: of(...(tag === undefined ? [] : [`${tag} OK Idle completed.`])) }
  }
  const [tag = "*", verb = "", ...rest] = line.split(" ")
  const command = verb.toUpperCase()
  switch (command) {
    case "LOGIN":
      return { lines: of(`${tag} OK [CAPABILITY ${capabilities}] Logged in`) }
    case "CAPABILITY":
      return { lines: of(`* CAPABILITY ${capabilities}`, `${tag} OK Capability completed.`) }
    case "EXAMINE":
    case "SELECT":
      return {
        lines: of(
          "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
          `* ${session.messages} EXISTS`,
          "* 0 RECENT",
          "* OK [UIDVALIDITY 7] UIDs valid",
          `* OK [UIDNEXT ${session.messages + 1}] Predicted next UID`,
          `${tag} OK [${command === "EXAMINE" ? "READ-ONLY" : "READ-WRITE"}] ${command} completed.`
        )
      }
    case "UID":
      if (rest[0]?.toUpperCase() !== "FETCH") return { lines: of(`${tag} OK done`) }
      return { lines: fetchReply(tag, rest[1] ?? "1:*", session.messages, initial), starts: "fetch" }
    case "IDLE":
      session.idleTag = tag
      return { lines: of("+ idling"), starts: "idle" }
    case "LOGOUT":
      return { lines: of("* BYE Logging out", `${tag} OK Logout completed.`), logout: true }
    default:
      return { lines: of(`${tag} OK done`) }
  }
}

export const start = async (scenario: FloodScenario): Promise<FloodServer> => {
  let sent = 0
  let startedAt: number | undefined
  let endedAt: number | undefined
  const sockets = new Set<net.Socket>()

  const serve = (socket: net.Socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    const session: Session = { messages: scenario.messages, idleTag: undefined }
    let input = ""
    let flood: Flood | undefined
    let markerScheduled = false
    /** Replies not yet written: each an iterator of lines (a large FETCH is produced lazily). */
    const replies: Array<Iterator<string>> = []
    let pumping = false
    let closed = false
    let preferFlood = false

    const scheduleMarker = () => {
      if (markerScheduled) return
      markerScheduled = true
      setTimeout(() => {
        if (closed) return
        session.messages++
        replies.push([`* ${session.messages} EXISTS`][Symbol.iterator]())
        void pump()
      }, scenario.markerDelayMs)
    }
    const startFlood = () => {
      if (scenario.lines === 0) return scheduleMarker()
      if (flood !== undefined) return
      flood = makeFlood(scenario.pattern, scenario.lines, (n) => {
        sent += n
      })
      startedAt ??= performance.now()
    }

    const nextReplyChunk = (): string | undefined => {
      let out = ""
      while (replies.length > 0 && out.length < chunkBytes) {
        const step = replies[0]!.next()
        if (step.done === true) replies.shift()
        else out += `${step.value}\r\n`
      }
      return out === "" ? undefined : out
    }

    /** Writes replies and flood chunks alternately (neither starves the other), under backpressure. */
    const pump = async () => {
      if (pumping) return
      pumping = true
      while (!closed) {
        const floodChunk = preferFlood || replies.length === 0 ? flood?.next() : undefined
        const chunk = floodChunk ?? nextReplyChunk() ?? flood?.next()
        preferFlood = !preferFlood
        if (chunk === undefined) break
        const ok = socket.write(chunk)
        if (flood !== undefined && flood.left() === 0 && endedAt === undefined && typeof chunk !== "string") {
          // The flood's last byte is in the kernel: append the marker after it.
          socket.write("", () => {
            endedAt ??= performance.now()
            scheduleMarker()
          })
        }
        if (!ok) await new Promise<void>((resolve) => socket.once("drain", resolve))
      }
      pumping = false
    }

    socket.on("data", (d: Buffer) => {
      input += d.toString("latin1")
      for (let i = input.indexOf("\r\n"); i >= 0; i = input.indexOf("\r\n")) {
        const reply = respond(session, input.slice(0, i), scenario.messages)
        input = input.slice(i + 2)
        replies.push(reply.lines)
        if (reply.starts === scenario.startAt) startFlood()
        if (reply.logout === true) setTimeout(() => socket.end(), 10)
      }
      void pump()
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      closed = true
      sockets.delete(socket)
    })
    socket.write(`* OK [CAPABILITY ${capabilities}] flood server ready\r\n`)
  }

  const server = net.createServer(serve)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sent: () => sent,
    floodStartedAt: () => startedAt,
    floodEndedAt: () => endedAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
