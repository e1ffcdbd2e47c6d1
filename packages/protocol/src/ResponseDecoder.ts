/**
 * Framer + parser in one step: chunks of the server's byte stream in, typed responses out. The
 * convenience for a connection's read loop; both halves stay usable on their own.
 */
import * as Framer from "./Framer.ts"
import type { Response } from "./Response.ts"
import { parse } from "./ResponseParser.ts"

/**
 * Chunks of the server's byte stream in, typed responses out (a `Framer` and `ResponseParser.parse`
 * together).
 */
export interface ResponseDecoder {
  /**
   * Feeds the next chunk; returns the responses it completed, in order. Throws `ParseError` (only
   * that); after a framing failure every later call throws the same error. Byte data in the
   * responses are views into the pushed chunks: do not modify a chunk after pushing it.
   */
  push(chunk: Uint8Array): ReadonlyArray<Response>
  /** Bytes held for the incomplete response. */
  readonly buffered: number
}

const NONE: ReadonlyArray<Response> = []

/** A new decoder; `options` are the `Framer`'s limits. */
export const make = (options?: Framer.FramerOptions): ResponseDecoder => {
  const framer = Framer.make(options)
  let failure: unknown
  return {
    push(chunk) {
      if (failure !== undefined) throw failure
      try {
        const frames = framer.push(chunk)
        if (frames.length === 0) return NONE
        const out = new Array<Response>(frames.length)
        for (let i = 0; i < frames.length; i++) out[i] = parse(frames[i]!)
        return out
      } catch (e) {
        // A response that does not parse leaves the stream framed but its meaning lost, and the
        // frames after it in this chunk were already consumed: the decoder is done either way.
        failure = e
        throw e
      }
    },
    get buffered() {
      return framer.buffered
    }
  }
}
