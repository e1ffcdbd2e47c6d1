/**
 * Framing of the server's byte stream: chunks of any size in, whole responses out. One frame is one
 * response: its line, plus every literal announced at the end of a line (`{n}`, `{n+}`, `~{n}`)
 * and the line that continues after it, CRLFs included, as contiguous bytes.
 *
 * A two-state machine (scanning a line for LF / skipping the n bytes of a literal). It never looks
 * inside the bytes beyond finding LF and the literal marker that precedes it, so it costs one
 * `indexOf` per line. Memory stays flat: a chunk is never copied or compacted; a frame that lies
 * inside one chunk is returned as a `subarray` view of it (zero copy), and only a frame that spans
 * chunks is assembled, once, from the list of pending pieces when its last byte arrives.
 *
 * Line endings: a line ends at LF; the CR before it is expected but not required (lenient). The
 * servers in our transcripts (Dovecot, Cyrus, Courier) and Exchange send CRLF; accepting a bare LF
 * costs nothing and is unambiguous, because LF cannot occur in a line outside a literal, so failing
 * the whole connection over a missing CR would only hurt. The parser applies the same rule.
 *
 * Ambiguity inherent to IMAP: a line whose free text happens to end in `{5}` is taken as announcing
 * a literal (every IMAP client does the same; the grammar gives no way to tell them apart).
 */
import { isDigit } from "./internal/CharClass.ts"
import { escapeBytes, excerptAt, ParseError } from "./ParseError.ts"

export interface FramerOptions {
  /** Longest line (excluding literals and the line end). Default 1 MiB. */
  readonly maxLineLength?: number | undefined
  /**
   * Largest single literal. Default 256 MiB: above the largest message size common providers
   * accept (Exchange Online allows 150 MB), so a `BODY[]` of any real message fits; pass less for a
   * client that never downloads whole messages, or use partial fetches (`BODY[]<0.N>`).
   */
  readonly maxLiteralSize?: number | undefined
  /**
   * Largest whole frame (lines plus literals). Default 512 MiB. Without it a hostile server could
   * grow one frame forever with lines that each respect `maxLineLength` (e.g. endless `{0}` lines).
   */
  readonly maxFrameSize?: number | undefined
}

export interface Framer {
  /**
   * Feeds the next chunk; returns the frames completed by it, in order. Returned frames may be
   * views into `chunk`: the caller must not modify a chunk after pushing it. Throws `ParseError`
   * (only that), and after a failure every further call throws the same error.
   */
  push(chunk: Uint8Array): ReadonlyArray<Uint8Array>
  /**
   * Feeds the next chunk and hands each completed frame to `onFrame` as soon as it is found, before
   * looking for the next: only the frame in hand is alive. Under a flood of small responses (64 KiB
   * of `* 1 EXISTS` is 5,000 frames) `push`'s array keeps every frame of the chunk alive at once, and
   * V8, seeing them survive, grows its young generation by tens of MB. An exception from `onFrame`
   * ends the framer: every later call throws it again.
   */
  each(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void
  /** Bytes held for the incomplete frame. */
  readonly buffered: number
}

export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024
export const DEFAULT_MAX_LITERAL_SIZE = 256 * 1024 * 1024
export const DEFAULT_MAX_FRAME_SIZE = 512 * 1024 * 1024

const LF = 0x0a
const CR = 0x0d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const PLUS = 0x2b
/** A copy in an error keeps at most this much of the offending frame. */
const ERROR_BYTES = 64 * 1024
/** Tails shorter than this are coalesced into an owned buffer of `OWNED_CAPACITY` bytes. */
const SMALL_PIECE = 1024
const OWNED_CAPACITY = 16 * 1024
/** More digits than this cannot be an acceptable literal size and would lose precision. */
const MAX_LITERAL_DIGITS = 15

const EMPTY: ReadonlyArray<Uint8Array> = []
const NO_BYTES = new Uint8Array(0)

export const make = (options?: FramerOptions): Framer => {
  const maxLine = options?.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
  const maxLiteral = options?.maxLiteralSize ?? DEFAULT_MAX_LITERAL_SIZE
  const maxFrame = options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE

  let failure: ParseError | undefined
  /** Bytes of the incomplete frame from earlier chunks (views, never copies, never modified). */
  let pieces: Array<Uint8Array> = []
  let piecesLength = 0
  /** The framer-owned buffer the last piece is a view of (see `hold`), and how much of it is used. */
  let owned: Uint8Array | undefined
  let ownedUsed = 0
  /** > 0: inside a literal, this many bytes still to skip. */
  let literalRemaining = 0
  /** Bytes of the current line already held in `pieces` (the line restarts after each literal). */
  let lineHeld = 0
  /** Absolute stream offset of the first byte of the chunk being pushed. */
  let consumed = 0

  // State of the current `push`, shared with the helpers below (no closure per call).
  let chunk: Uint8Array = NO_BYTES
  let frameStart = 0

  /** Byte `i` of the held pieces (0 = first held byte), or -1; walks from the end, where lookbacks are. */
  const heldByte = (i: number): number => {
    let end = piecesLength
    for (let j = pieces.length - 1; j >= 0; j--) {
      const p = pieces[j]!
      const start = end - p.length
      if (i >= start) return p[i - start]!
      end = start
    }
    return -1
  }

  /** Byte `rel` of the current frame (0 = its first byte), or -1. */
  const frameByte = (rel: number): number =>
    rel < piecesLength ? heldByte(rel) : (chunk[frameStart + rel - piecesLength] ?? -1)

  /** A copy of frame bytes [from, to), capped at `ERROR_BYTES`. */
  const frameCopy = (from: number, to: number): Uint8Array => {
    const end = Math.min(to, from + ERROR_BYTES, piecesLength + chunk.length - frameStart)
    const out = new Uint8Array(Math.max(0, end - from))
    let at = 0
    for (const p of [...pieces, chunk.subarray(frameStart)]) {
      const lo = Math.max(from, at)
      const hi = Math.min(end, at + p.length)
      if (lo < hi) out.set(p.subarray(lo - at, hi - at), lo - from)
      at += p.length
    }
    return out
  }

  /**
   * Holds the unfinished tail of a chunk. Small tails (a server dripping a few bytes per packet)
   * are copied into a framer-owned buffer instead of being kept as one view each, so a frame
   * delivered byte by byte costs O(n) memory and time, not one object per byte. The owned buffer
   * is never returned as a view (frames spanning chunks are always fresh copies).
   */
  const hold = (tail: Uint8Array): void => {
    const n = tail.length
    if (n >= SMALL_PIECE) {
      pieces.push(tail)
      owned = undefined
    } else if (owned !== undefined && ownedUsed + n <= owned.length) {
      owned.set(tail, ownedUsed)
      ownedUsed += n
      pieces[pieces.length - 1] = owned.subarray(0, ownedUsed)
    } else {
      owned = new Uint8Array(OWNED_CAPACITY)
      owned.set(tail)
      ownedUsed = n
      pieces.push(owned.subarray(0, n))
    }
    piecesLength += n
  }

  /** Fails for good: remembers the error so every later push throws it again. */
  const fail = (message: string, rel: number, frameEnd: number): never => {
    const bytes = frameCopy(0, frameEnd)
    const excerpt =
      rel < bytes.length
        ? excerptAt(bytes, rel)
        : escapeBytes(frameCopy(rel, rel + 80), 0, 80) + (rel + 80 < frameEnd ? "..." : "")
    const absolute = consumed - piecesLength + frameStart + rel
    failure = new ParseError({ message: `${message} (stream offset ${absolute})`, offset: absolute, excerpt, bytes })
    throw failure
  }

  /** Position of the LF and length of the line being examined by `literalBefore`. */
  let scanLf = 0
  let scanLineLength = 0

  /** Byte `k` positions before the LF at `scanLf`, or -1 once past the start of the line. */
  const back = (k: number): number => {
    if (k > scanLineLength) return -1
    const i = scanLf - k
    return i >= frameStart ? chunk[i]! : frameByte(piecesLength + i - frameStart)
  }

  /**
   * The literal size announced at the end of the line whose LF is at `lf` in the chunk, or -1 if
   * the line does not end with `{n}`/`{n+}` (the `~` of `~{n}` is irrelevant to framing). Only the
   * current line is examined (`lineLength` bytes before the LF), so a literal's bytes that happen
   * to end with `{5}` are never mistaken for a marker.
   */
  const literalBefore = (lf: number, lineLength: number): number => {
    // Fast path: nearly every line ends in `)` or text followed by CR LF, inside this chunk.
    if (lineLength >= 2 && lf - 2 >= frameStart) {
      const c1 = chunk[lf - 1]!
      if (c1 === CR ? chunk[lf - 2] !== CLOSE_BRACE : c1 !== CLOSE_BRACE) return -1
    }
    scanLf = lf
    scanLineLength = lineLength
    let k = 1
    let c = back(k)
    if (c === CR) c = back(++k)
    if (c !== CLOSE_BRACE) return -1
    c = back(++k)
    if (c === PLUS) c = back(++k)
    let value = 0
    let scale = 1
    let digits = 0
    while (isDigit(c)) {
      if (digits < MAX_LITERAL_DIGITS) value += (c - 0x30) * scale
      scale *= 10
      digits++
      c = back(++k)
    }
    if (digits === 0 || c !== OPEN_BRACE) return -1
    return digits > MAX_LITERAL_DIGITS ? Number.POSITIVE_INFINITY : value
  }

  /** The complete frame ending just before `end` in the chunk: a view if it lies in this chunk. */
  const takeFrame = (end: number): Uint8Array => {
    if (pieces.length === 0) return chunk.subarray(frameStart, end)
    const out = new Uint8Array(piecesLength + end - frameStart)
    let at = 0
    for (const p of pieces) {
      out.set(p, at)
      at += p.length
    }
    out.set(chunk.subarray(frameStart, end), at)
    pieces = []
    piecesLength = 0
    owned = undefined
    return out
  }

  /** What `onFrame` threw: the framer stops there, as it does on its own failure. */
  let thrown: { readonly error: unknown } | undefined

  const each = (input: Uint8Array, onFrame: (frame: Uint8Array) => void): void => {
    if (failure !== undefined) throw failure
    if (thrown !== undefined) throw thrown.error
    const n = input.length
    if (n === 0) return
    chunk = input
    frameStart = 0
    let pos = 0
    while (pos < n) {
      if (literalRemaining > 0) {
        if (n - pos < literalRemaining) {
          literalRemaining -= n - pos
          pos = n
          break
        }
        pos += literalRemaining
        literalRemaining = 0
        lineHeld = 0
        continue
      }
      const lf = input.indexOf(LF, pos)
      if (lf < 0) {
        lineHeld += n - pos
        // +1: a CR that may still be followed by LF in the next chunk is not part of the line.
        if (lineHeld > maxLine + 1) {
          const frameLength = piecesLength + n - frameStart
          fail(`line longer than ${maxLine} bytes`, frameLength - lineHeld, frameLength)
        }
        pos = n
        break
      }
      const lineLength = lineHeld + lf - pos
      if (lineLength > maxLine + 1) {
        fail(
          `line longer than ${maxLine} bytes`,
          piecesLength + pos - frameStart - lineHeld,
          piecesLength + lf - frameStart
        )
      }
      const literal = literalBefore(lf, lineLength)
      pos = lf + 1
      lineHeld = 0
      if (literal < 0) {
        const frame = takeFrame(pos)
        frameStart = pos
        try {
          onFrame(frame)
        } catch (error) {
          thrown = { error }
          chunk = NO_BYTES
          throw error
        }
        continue
      }
      const frameLength = piecesLength + pos - frameStart
      if (literal > maxLiteral) {
        fail(`literal of ${literal} bytes exceeds the limit of ${maxLiteral}`, frameLength - 2, frameLength)
      }
      if (frameLength + literal > maxFrame) {
        fail(`frame would exceed the limit of ${maxFrame} bytes`, frameLength - 2, frameLength)
      }
      literalRemaining = literal
    }
    if (frameStart < n) {
      const held = piecesLength + n - frameStart
      if (held > maxFrame) fail(`frame exceeds the limit of ${maxFrame} bytes`, 0, held)
      hold(input.subarray(frameStart))
    }
    consumed += n
    chunk = NO_BYTES
  }

  let collected: Array<Uint8Array> | undefined
  const collect = (frame: Uint8Array): void => {
    if (collected === undefined) collected = [frame]
    else collected.push(frame)
  }
  const push = (input: Uint8Array): ReadonlyArray<Uint8Array> => {
    collected = undefined
    each(input, collect)
    const out = collected ?? EMPTY
    collected = undefined
    return out
  }

  return {
    push,
    each,
    get buffered() {
      return piecesLength
    }
  }
}
