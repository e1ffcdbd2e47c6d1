/**
 * The parsers the benchmark races, each behind the same shape: take the chunks, return when the
 * tagged OK has been parsed, report how many responses came out, and call `tick(i)` after chunk i
 * (the runner samples memory there).
 *
 * - floor: the least any IMAP reader must do, finding each LF and the `{n}` before it and skipping
 *   literals. It builds nothing, so no parser can beat it; it shows how close to the bytes one is.
 * - imapflow: exactly the path ImapFlow takes from socket bytes to a parsed response
 *   (lib/imap-flow.js `reader()` / `handleResponse()`): its `ImapStream` Transform (socket piped in,
 *   backpressure per response), then `await parser(payload, { literals })` per response, releasing
 *   the stream item after, and yielding to the event loop every 10 responses as `reader()` does.
 *   Its output is the generic attribute tree. Not included: what the FETCH command does after
 *   (`formatMessageResponse`: keys rebuilt through the compiler, envelope names and subjects decoded
 *   with libmime, dates parsed, emailId hashed) and the logging/alert/untagged-handler dispatch;
 *   our decoder does none of that either (it leaves RFC 2047 words and dates raw).
 * - ours: `@pkg/protocol`'s `ResponseDecoder.make().push(chunk)`: framing plus parsing into the
 *   typed `Response` union (`FetchData` with `uid`, `flags`, `envelope`, `size`, `internalDate`).
 */
import { once } from "node:events"
import { ResponseDecoder } from "@pkg/protocol"
import { ImapStream } from "imapflow/lib/handler/imap-stream.js"
import parser from "imapflow/lib/handler/imap-parser.js"

export interface Outcome {
  readonly responses: number
  /** A short digest of what was parsed, to check that every contestant read the same stream. */
  readonly check: string
}

export interface Contestant {
  readonly name: string
  readonly run: (chunks: ReadonlyArray<Buffer>, tick: (i: number) => void) => Promise<Outcome>
}

const LF = 0x0a
const CR = 0x0d
const OPEN = 0x7b
const CLOSE = 0x7d

/**
 * The literal size announced at the end of the line `buf[start, lf]` (LF at `lf`), or -1: walks
 * back over an optional CR, `}`, the digits and `{`.
 */
const literalSize = (buf: Uint8Array, start: number, lf: number): number => {
  let i = lf - 1
  if (i >= start && buf[i] === CR) i--
  if (i < start || buf[i] !== CLOSE) return -1
  let size = 0
  let scale = 1
  let d = buf[--i] as number
  while (i >= start && d >= 0x30 && d <= 0x39) {
    size += (d - 0x30) * scale
    scale *= 10
    d = buf[--i] as number
  }
  return i >= start && d === OPEN && scale > 1 ? size : -1
}

/** Frames counted by scanning for LF and literal markers only. */
export const floor: Contestant = {
  name: "floor (LF + {n} scan)",
  run: async (chunks, tick) => {
    let frames = 0
    let literalLeft = 0
    // The last bytes of a line split across chunks: enough to see a `{n}` marker over the boundary.
    let tail: Buffer | undefined
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c] as Buffer
      const len = chunk.length
      let pos = 0
      while (pos < len) {
        if (literalLeft > 0) {
          const take = Math.min(literalLeft, len - pos)
          literalLeft -= take
          pos += take
          continue
        }
        const lf = chunk.indexOf(LF, pos)
        if (lf === -1) {
          const rest = chunk.subarray(Math.max(pos, len - 24))
          tail = tail === undefined ? Buffer.from(rest) : Buffer.concat([tail, rest]).subarray(-24)
          break
        }
        let size: number
        if (tail !== undefined && lf - pos < 24) {
          // Rare (at most once per chunk): the marker may start in the previous chunk.
          const line = Buffer.concat([tail, chunk.subarray(pos, lf + 1)])
          size = literalSize(line, 0, line.length - 1)
        } else {
          size = literalSize(chunk, pos, lf)
        }
        tail = undefined
        if (size >= 0) literalLeft = size
        else frames++
        pos = lf + 1
      }
      tick(c)
    }
    return { responses: frames, check: `frames=${frames}` }
  }
}

interface StreamItem {
  readonly payload: Buffer
  readonly literals: Array<Buffer>
  readonly next: () => void
}

/** ImapStream + imapflow's parser, driven the way ImapFlow's reader drives them. */
export const imapflow = (tag: string): Contestant => ({
  name: "imapflow 2.10.2 (ImapStream + parser)",
  run: (chunks, tick) =>
    new Promise<Outcome>((resolve, reject) => {
      const stream = new ImapStream({ cid: "bench" })
      let responses = 0
      let fetches = 0
      let reading = false
      let finished = false
      const reader = async () => {
        let processed = 0
        // ImapFlow.reader(): drain what the stream has, one awaited parse per response.
        for (;;) {
          const data = stream.read() as StreamItem | null
          if (data === null) return
          const parsed = await parser(data.payload, { literals: data.literals })
          responses++
          if (parsed.attributes?.[0] !== null && parsed.attributes?.[0]?.value === "FETCH") fetches++
          data.next()
          if (parsed.tag === tag) {
            finished = true
            stream.destroy()
            resolve({ responses, check: `fetch=${fetches}` })
            return
          }
          if (++processed % 10 === 0) await new Promise((r) => setImmediate(r))
        }
      }
      const onReadable = () => {
        if (reading || finished) return
        reading = true
        reader()
          .catch(reject)
          .finally(() => {
            reading = false
            if (!finished && !stream.destroyed && stream.readableLength > 0) onReadable()
          })
      }
      stream.on("readable", onReadable)
      stream.on("error", reject)
      // The socket side of `socket.pipe(streamer)`: write until the stream asks us to wait.
      const write = async () => {
        for (let c = 0; c < chunks.length; c++) {
          if (finished) return
          if (!stream.write(chunks[c])) await once(stream, "drain")
          tick(c)
        }
      }
      write().catch(reject)
    })
})

/** Our decoder: framing and parsing in one synchronous `push` per chunk. */
export const ours: Contestant = {
  name: "effect-imap (ResponseDecoder)",
  run: async (chunks, tick) => {
    const decoder = ResponseDecoder.make()
    let responses = 0
    let fetches = 0
    for (let c = 0; c < chunks.length; c++) {
      const out = decoder.push(chunks[c] as Buffer)
      responses += out.length
      for (let i = 0; i < out.length; i++) if (out[i]?._tag === "Fetch") fetches++
      tick(c)
    }
    return { responses, check: `fetch=${fetches}` }
  }
}
