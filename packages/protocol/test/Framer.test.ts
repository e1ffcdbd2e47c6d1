/**
 * Framer: frames are identical however the stream is chunked, literals of every form are skipped
 * whole (their bytes never end a line), limits fail with a ParseError carrying offset and excerpt,
 * and a failed framer stays failed.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Framer from "../src/Framer.ts"
import { ParseError } from "../src/ParseError.ts"

const enc = new TextEncoder()
const dec = new TextDecoder()
const bytes = (s: string) => enc.encode(s)
const text = (frames: ReadonlyArray<Uint8Array>) => frames.map((f) => dec.decode(f))

const pushAll = (framer: Framer.Framer, chunks: ReadonlyArray<Uint8Array>) => {
  const out: Array<Uint8Array> = []
  for (const c of chunks) out.push(...framer.push(c))
  return out
}

const catchParseError = (f: () => unknown): ParseError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError)
    return e as ParseError
  }
  throw new Error("expected a ParseError")
}

const STREAM = [
  "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n",
  '* 2 FETCH (UID 417 ENVELOPE ("Sun, 23 Apr 2056" {10}\r\nhello\r\n{5} NIL))\r\n',
  "* 3 FETCH (BODY[] {0}\r\n)\r\n",
  "* 4 FETCH (BODY[TEXT] {6+}\r\n{5}\r\n\n BODY[1] {2}\r\n\r\n)\r\n",
  "* 5 FETCH (BINARY[1] ~{3}\r\n\u0000\u0001\u0002)\r\n",
  "+ \r\n",
  "a1 OK done\r\n"
]

describe("Framer", () => {
  it("cuts a stream into one frame per response, CRLFs and literals included", () => {
    const framer = Framer.make()
    expect(text(framer.push(bytes(STREAM.join(""))))).toEqual(STREAM)
    expect(framer.buffered).toBe(0)
  })

  it("gives identical frames for a 2-chunk split at every byte boundary", () => {
    const all = bytes(STREAM.join(""))
    for (let k = 0; k <= all.length; k++) {
      const frames = pushAll(Framer.make(), [all.subarray(0, k), all.subarray(k)])
      expect(text(frames)).toEqual(STREAM)
    }
  })

  it("gives identical frames when fed one byte at a time", () => {
    const all = bytes(STREAM.join(""))
    const framer = Framer.make()
    const frames: Array<Uint8Array> = []
    for (let i = 0; i < all.length; i++) frames.push(...framer.push(all.subarray(i, i + 1)))
    expect(text(frames)).toEqual(STREAM)
  })

  it("gives identical frames for any random chunking (property)", () => {
    const all = bytes(STREAM.join(""))
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 20 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), all.length]
        const chunks = points.slice(1).map((end, i) => all.subarray(points[i]!, end))
        expect(text(pushAll(Framer.make(), chunks))).toEqual(STREAM)
      })
    )
  })

  it("each hands over the same frames as push, for any chunking (property)", () => {
    const all = bytes(STREAM.join(""))
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 20 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), all.length]
        const chunks = points.slice(1).map((end, i) => all.subarray(points[i]!, end))
        const framer = Framer.make()
        const seen: Array<Uint8Array> = []
        for (const c of chunks) {
          framer.each(c, (frame) => seen.push(frame))
        }
        expect(text(seen)).toEqual(STREAM)
      })
    )
  })

  it("each: an exception from the callback ends the framer, and the rest of the chunk is not framed", () => {
    const framer = Framer.make()
    const seen: Array<string> = []
    const boom = new Error("consumer failed")
    expect(() =>
      framer.each(bytes("* 1 EXISTS\r\n* 2 EXISTS\r\n* 3 EXISTS\r\n"), (f) => {
        seen.push(dec.decode(f))
        if (seen.length === 2) throw boom
      })
    ).toThrow(boom)
    expect(seen).toEqual(["* 1 EXISTS\r\n", "* 2 EXISTS\r\n"])
    expect(() => framer.push(bytes("* 4 EXISTS\r\n"))).toThrow(boom)
  })

  it("returns a zero-copy view when a frame lies inside one chunk, and a copy when it spans chunks", () => {
    const chunk = bytes("* 1 EXISTS\r\n* 2 EXI")
    const framer = Framer.make()
    const [first] = framer.push(chunk)
    expect(first!.buffer).toBe(chunk.buffer)
    expect(first!.byteOffset).toBe(0)
    expect(framer.buffered).toBe(7)
    const [second] = framer.push(bytes("STS\r\n"))
    expect(dec.decode(second)).toBe("* 2 EXISTS\r\n")
    expect(second!.buffer).not.toBe(chunk.buffer)
    // The pushed chunk is never modified (no in-place compaction under a returned view).
    expect(dec.decode(chunk)).toBe("* 1 EXISTS\r\n* 2 EXI")
  })

  it("recognises {n}, {n+} and ~{n} literal markers", () => {
    const frames = text(Framer.make().push(bytes("a {3}\r\nx\r\n)\r\nb {3+}\r\ny\r\n)\r\nc ~{3}\r\nz\r\n)\r\n")))
    expect(frames).toEqual(["a {3}\r\nx\r\n)\r\n", "b {3+}\r\ny\r\n)\r\n", "c ~{3}\r\nz\r\n)\r\n"])
  })

  it("handles a zero-length literal", () => {
    expect(text(Framer.make().push(bytes("* 1 FETCH (BODY[] {0}\r\n)\r\n* 2 EXISTS\r\n")))).toEqual([
      "* 1 FETCH (BODY[] {0}\r\n)\r\n",
      "* 2 EXISTS\r\n"
    ])
  })

  it("does not end a line inside a literal holding CRLF, nor take `{5}` literal text as a marker", () => {
    const frame = "* 1 FETCH (BODY[] {13}\r\nab\r\n{5}\r\ncd\r\n)\r\n"
    expect(text(Framer.make().push(bytes(`${frame}* 2 EXISTS\r\n`)))).toEqual([frame, "* 2 EXISTS\r\n"])
    // The literal's last bytes are `{5}` and the line ends right after it: still not a marker.
    const tricky = "* 1 FETCH (BODY[] {7}\r\nab\r\n{5}\r\n"
    expect(text(Framer.make().push(bytes(`${tricky}* 2 EXISTS\r\n`)))).toEqual([tricky, "* 2 EXISTS\r\n"])
  })

  it("does not take a brace run that is not a marker as a literal", () => {
    const lines = ["* OK {abc}\r\n", "* OK {}\r\n", "* OK {12x}\r\n", "* OK 12}\r\n"]
    expect(text(Framer.make().push(bytes(lines.join(""))))).toEqual(lines)
  })

  it("accepts bare LF line ends (lenient), including after a literal marker", () => {
    expect(text(Framer.make().push(bytes("* 1 EXISTS\n* 2 FETCH (BODY[] {2}\nab)\n")))).toEqual([
      "* 1 EXISTS\n",
      "* 2 FETCH (BODY[] {2}\nab)\n"
    ])
  })

  it("finds a literal marker split across chunks", () => {
    const all = "* 1 FETCH (BODY[] {12345}\r\n"
    for (let k = 1; k < all.length; k++) {
      const framer = Framer.make()
      framer.push(bytes(all.slice(0, k)))
      framer.push(bytes(all.slice(k)))
      // Inside the literal now: a CRLF in the next bytes must not end the frame.
      expect(framer.push(bytes("\r\n\r\n"))).toEqual([])
      expect(framer.buffered).toBe(all.length + 4)
    }
  })

  it("fails a line longer than maxLineLength with the offset and an excerpt", () => {
    const framer = Framer.make({ maxLineLength: 16 })
    expect(framer.push(bytes("* 1 EXISTS\r\n"))).toHaveLength(1)
    const e = catchParseError(() => framer.push(bytes("* OK this line is far too long\r\n")))
    expect(e.message).toMatch(/line longer than 16 bytes/)
    expect(e.offset).toBe(12)
    expect(e.excerpt).toContain("* OK this line")
    expect(e.bytes).toBeInstanceOf(Uint8Array)
  })

  it("fails a line that grows past the limit across chunks before its LF arrives", () => {
    const framer = Framer.make({ maxLineLength: 10 })
    framer.push(bytes("* OK 12345"))
    const e = catchParseError(() => framer.push(bytes("67890")))
    expect(e.offset).toBe(0)
    expect(e.excerpt).toContain("* OK 12345")
  })

  it("fails a literal larger than maxLiteralSize before reading it, with the marker in the excerpt", () => {
    const framer = Framer.make({ maxLiteralSize: 100 })
    const e = catchParseError(() => framer.push(bytes("* 1 EXISTS\r\n* 2 FETCH (BODY[] {101}\r\n")))
    expect(e.message).toMatch(/literal of 101 bytes/)
    expect(e.offset).toBeGreaterThan(12)
    expect(e.excerpt).toContain("{101}\\r\\n")
  })

  it("fails a literal size with absurdly many digits", () => {
    const e = catchParseError(() => Framer.make().push(bytes("* 1 FETCH (BODY[] {99999999999999999999}\r\n")))
    expect(e.message).toMatch(/exceeds the limit/)
  })

  it("fails a frame that outgrows maxFrameSize through many small literals", () => {
    const framer = Framer.make({ maxFrameSize: 64 })
    const e = catchParseError(() => {
      for (let i = 0; i < 100; i++) framer.push(bytes("x {0}\r\n"))
    })
    expect(e.message).toMatch(/frame/)
  })

  it("stays failed: every push after a failure throws the same error", () => {
    const framer = Framer.make({ maxLineLength: 4 })
    const first = catchParseError(() => framer.push(bytes("* 1 EXISTS\r\n")))
    expect(catchParseError(() => framer.push(bytes("* 2 EXISTS\r\n")))).toBe(first)
    expect(catchParseError(() => framer.push(new Uint8Array(0)))).toBe(first)
  })

  it("a long frame dripped one byte at a time stays linear (small tails are coalesced)", () => {
    const frame = bytes(`* 1 FETCH (X-Y (${"a {0}\r\n".repeat(20_000)}))\r\n`)
    const framer = Framer.make()
    const start = performance.now()
    const out: Array<Uint8Array> = []
    for (let i = 0; i < frame.length; i++) out.push(...framer.push(frame.subarray(i, i + 1)))
    expect(performance.now() - start).toBeLessThan(2000)
    expect(out).toHaveLength(1)
    expect(out[0]).toEqual(frame)
    expect(framer.buffered).toBe(0)
  })

  it("reports how many bytes it holds", () => {
    const framer = Framer.make()
    framer.push(bytes("* 1 FETCH (BODY[] {10}\r\n12345"))
    expect(framer.buffered).toBe(29)
    framer.push(bytes("67890)\r\n"))
    expect(framer.buffered).toBe(0)
  })
})
