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

export const start = async (scenario: FloodScenario): Promise<FloodServer> => {
  let sent = 0
  let startedAt: number | undefined
  let endedAt: number | undefined
  const sockets = new Set<net.Socket>()

  const serve = (socket: net.Socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    let messages = scenario.messages
    let input = ""
    let idleTag: string | undefined
    let floodLeft = 0
    let flooding = false
    let markerScheduled = false
    /** Replies not yet written: each an iterator of lines (a large FETCH is produced lazily). */
    const replies: Array<Iterator<string>> = []
    let pumping = false
    let closed = false
    let preferFlood = false
    // One period of the pattern, repeated to about a chunk: written as is while whole periods remain.
    const period = scenario.pattern.map((l) => `${l}\r\n`).join("")
    const periods = Math.max(1, Math.floor(chunkBytes / Math.max(1, period.length)))
    const block = Buffer.from(period.repeat(periods), "latin1")
    const blockLines = periods * scenario.pattern.length

    const appendMarker = () => {
      messages++
      replies.push([`* ${messages} EXISTS`][Symbol.iterator]())
      void pump()
    }
    const scheduleMarker = () => {
      if (markerScheduled) return
      markerScheduled = true
      setTimeout(() => {
        if (!closed) appendMarker()
      }, scenario.markerDelayMs)
    }
    const startFlood = () => {
      if (flooding || scenario.lines === 0) {
        if (scenario.lines === 0) scheduleMarker()
        return
      }
      flooding = true
      floodLeft = scenario.lines
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
    const nextFloodChunk = (): Buffer | undefined => {
      if (floodLeft <= 0) return undefined
      if (floodLeft >= blockLines) {
        floodLeft -= blockLines
        sent += blockLines
        return block
      }
      const lines: Array<string> = []
      for (let i = 0; floodLeft > 0; i++, floodLeft--, sent++)
        lines.push(scenario.pattern[i % scenario.pattern.length]!)
      return Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1")
    }

    const pump = async () => {
      if (pumping) return
      pumping = true
      while (!closed) {
        // Alternate replies and flood chunks, so neither starves the other.
        const flood = preferFlood || replies.length === 0 ? nextFloodChunk() : undefined
        const chunk = flood ?? nextReplyChunk() ?? nextFloodChunk()
        preferFlood = !preferFlood
        if (chunk === undefined) break
        const wasFlood = flooding && floodLeft === 0 && chunk === flood
        const ok = socket.write(chunk)
        if (wasFlood) {
          flooding = false
          socket.write("", () => {
            endedAt = performance.now()
            scheduleMarker()
          })
        }
        if (!ok) await new Promise<void>((resolve) => socket.once("drain", resolve))
      }
      pumping = false
    }

    const fetchReply = (tag: string, set: string): Iterator<string> => {
      const [low, high] = parseRange(set)
      const total = messages
      function* lines() {
        let any = false
        for (let uid = Math.max(1, low); uid <= Math.min(high, total); uid++) {
          any = true
          yield fetchLine(uid, uid, uid === total && total > scenario.messages ? markerSubject : `message ${uid}`)
        }
        // `n:*` with n past the last UID still returns the last message (RFC 9051 6.4.8).
        if (!any && high === Number.POSITIVE_INFINITY && total > 0) yield fetchLine(total, total, `message ${total}`)
        yield `${tag} OK Fetch completed.`
      }
      return lines()
    }

    const onCommand = (line: string) => {
      if (line === "DONE") {
        if (idleTag !== undefined) replies.push([`${idleTag} OK Idle completed.`][Symbol.iterator]())
        idleTag = undefined
        return
      }
      const [tag = "*", verb = "", ...rest] = line.split(" ")
      const command = verb.toUpperCase()
      const reply = (...lines: Array<string>) => replies.push(lines[Symbol.iterator]())
      switch (command) {
        case "LOGIN":
          return reply(`${tag} OK [CAPABILITY ${capabilities}] Logged in`)
        case "CAPABILITY":
          return reply(`* CAPABILITY ${capabilities}`, `${tag} OK Capability completed.`)
        case "EXAMINE":
        case "SELECT":
          return reply(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            `* ${messages} EXISTS`,
            "* 0 RECENT",
            "* OK [UIDVALIDITY 7] UIDs valid",
            `* OK [UIDNEXT ${messages + 1}] Predicted next UID`,
            `${tag} OK [${command === "EXAMINE" ? "READ-ONLY" : "READ-WRITE"}] ${command} completed.`
          )
        case "UID":
          if (rest[0]?.toUpperCase() === "FETCH") {
            replies.push(fetchReply(tag, rest[1] ?? "1:*"))
            if (scenario.startAt === "fetch") startFlood()
            return
          }
          return reply(`${tag} OK done`)
        case "IDLE":
          idleTag = tag
          reply("+ idling")
          if (scenario.startAt === "idle") startFlood()
          return
        case "LOGOUT":
          reply("* BYE Logging out", `${tag} OK Logout completed.`)
          setTimeout(() => socket.end(), 10)
          return
        default:
          return reply(`${tag} OK done`)
      }
    }

    socket.on("data", (d: Buffer) => {
      input += d.toString("latin1")
      for (;;) {
        const i = input.indexOf("\r\n")
        if (i < 0) break
        const line = input.slice(0, i)
        input = input.slice(i + 2)
        onCommand(line)
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
