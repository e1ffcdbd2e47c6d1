/**
 * Hostile input: mutated transcript bytes, IMAP-shaped token soup and plain random bytes, through
 * the decoder (framer + parser) and through `parse` directly. Nothing may throw anything but a
 * ParseError, and every input must finish quickly (no loops, no quadratic blow-ups).
 */
import { readFileSync } from "node:fs"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ParseError } from "../src/ParseError.ts"
import * as ResponseDecoder from "../src/ResponseDecoder.ts"
import { encode } from "../src/ResponseEncoder.ts"
import { parse } from "../src/ResponseParser.ts"
import { response } from "../src/testing/ResponseArbitraries.ts"

const enc = new TextEncoder()
/** Generous: a typical input takes well under a millisecond. */
const MAX_MS = 100
const RUNS = 2000

/** The main server stream of each transcript (see Transcripts.test.ts for the format). */
const transcript = (file: string): Uint8Array => {
  let out = ""
  for (const line of readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8").split("\n")) {
    const m = /^\s*\d+\.\d+ S: (.*)$/.exec(line)
    if (m === null) continue
    const content = m[1]!
    out += content.endsWith("\\r\\n") ? `${content.slice(0, -4)}\r\n` : `${content}\r\n`
  }
  return enc.encode(out)
}
const STREAMS = ["dovecot.txt", "cyrus.txt", "courier.txt"].map(transcript)

/**
 * Runs `f`, allowing only a ParseError out, and fails if it took longer than `maxMs` of this
 * process's CPU time: a runaway parse burns CPU, while wall time also counts the waits for a core
 * on a loaded machine (a 100 ms wall-clock bound failed that way under a load average of 8).
 */
const safely = (f: () => unknown, maxMs = MAX_MS): void => {
  const start = process.cpuUsage()
  try {
    f()
  } catch (e) {
    if (!(e instanceof ParseError)) throw e
    expect(typeof e.offset).toBe("number")
    expect(typeof e.excerpt).toBe("string")
  }
  const used = process.cpuUsage(start)
  const ms = (used.user + used.system) / 1000
  if (ms > maxMs) throw new Error(`input took ${ms.toFixed(1)} ms of CPU`)
}

/** Decoder over `bytes` split at `cuts`, plus `parse` on every LF-terminated line. */
const decodeAll = (bytes: Uint8Array, cuts: ReadonlyArray<number>, maxMs = MAX_MS): void => {
  safely(() => {
    const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]
    const decoder = ResponseDecoder.make({ maxLineLength: 64 * 1024, maxLiteralSize: 1024 * 1024 })
    for (let i = 1; i < points.length; i++) decoder.push(bytes.subarray(points[i - 1]!, points[i]!))
  }, maxMs)
  let start = 0
  for (;;) {
    const lf = bytes.indexOf(0x0a, start)
    const end = lf < 0 ? bytes.length : lf + 1
    if (end > start) safely(() => parse(bytes.subarray(start, end)), maxMs)
    if (lf < 0) break
    start = end
  }
}

const SPECIAL = [
  0x28, 0x29, 0x7b, 0x7d, 0x22, 0x5c, 0x0d, 0x0a, 0x20, 0x5b, 0x5d, 0x3c, 0x3e, 0x2a, 0x2b, 0x7e, 0x30, 0x39, 0x00, 0xff
]

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("replace", "insert", "delete", "duplicate"),
  byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })),
  length: fc.integer({ min: 1, max: 40 })
})

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

const mutate = (bytes: Uint8Array, ms: ReadonlyArray<Mutation>): Uint8Array => {
  let out = Array.from(bytes)
  for (const m of ms) {
    const at = m.at % (out.length + 1)
    if (m.op === "replace") out[at] = m.byte
    else if (m.op === "insert") out.splice(at, 0, m.byte)
    else if (m.op === "delete") out.splice(at, m.length)
    else out = [...out.slice(0, at + m.length), ...out.slice(at, at + m.length), ...out.slice(at + m.length)]
  }
  return Uint8Array.from(out)
}

/** A window of a transcript around a random position: keeps each run small and fast. */
const window = fc
  .record({
    stream: fc.integer({ min: 0, max: STREAMS.length - 1 }),
    at: fc.nat(),
    size: fc.integer({ min: 1, max: 4000 })
  })
  .map(({ stream, at, size }) => {
    const s = STREAMS[stream]!
    const from = at % s.length
    return s.subarray(from, Math.min(s.length, from + size))
  })

const TOKENS = [
  "* ",
  "a1 ",
  "+ ",
  "OK ",
  "NO ",
  "BYE ",
  "FETCH ",
  "1 ",
  "4294967296 ",
  "(",
  ")",
  "((",
  "))",
  "[",
  "]",
  "<",
  ">",
  "{",
  "}",
  "{3}\r\n",
  "{0}\r\n",
  "~{2}\r\n",
  "{99999999}\r\n",
  '"',
  '\\"',
  "\\",
  "NIL ",
  "nil",
  "\r\n",
  "\n",
  " ",
  "  ",
  "UID 5 ",
  "FLAGS (\\Seen) ",
  "ENVELOPE ",
  "BODYSTRUCTURE ",
  "BODY[",
  "BODY[HEADER.FIELDS (A B)]",
  "BINARY[1]",
  "<0>",
  "MODSEQ (",
  "X-GM-LABELS (",
  "LIST ",
  "STATUS ",
  "SEARCH ",
  "ESEARCH ",
  "NAMESPACE ",
  "ID ",
  "QUOTA ",
  "VANISHED ",
  "[UIDNEXT ",
  "[COPYUID 1 1:5 ",
  "[PERMANENTFLAGS (",
  "[CAPABILITY ",
  '"text"',
  "abc",
  "-1 ",
  "TEXT",
  "PLAIN",
  "MIXED"
]
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => enc.encode(ts.join("")))

describe("fuzz: only ParseError, never slow", () => {
  it("mutated transcript windows", () => {
    fc.assert(
      fc.property(
        window,
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (w, ms, cuts) => {
          decodeAll(mutate(w, ms), cuts)
        }
      ),
      { numRuns: RUNS }
    )
  })

  it("mutated encoded responses", () => {
    fc.assert(
      fc.property(response, fc.array(mutation, { minLength: 1, maxLength: 4 }), (r, ms) => {
        decodeAll(mutate(encode(r), ms), [])
      }),
      { numRuns: RUNS }
    )
  })

  it("IMAP-shaped token soup", () => {
    fc.assert(
      fc.property(soup, fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => decodeAll(bytes, cuts)),
      { numRuns: RUNS }
    )
  })

  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) =>
        decodeAll(bytes, cuts)
      ),
      { numRuns: RUNS }
    )
  })

  // Inputs of up to ~1 MB: linear work, so the bound is per megabyte rather than per fuzz input.
  it("deep nesting, huge literal sizes and long runs stay bounded", () => {
    const cases = [
      `* 1 FETCH (BODYSTRUCTURE ${"(".repeat(50_000)}\r\n`,
      `* 1 FETCH (X-Y ${"(".repeat(5_000)}${")".repeat(5_000)})\r\n`,
      "* 1 FETCH (BODY[] {18446744073709551616}\r\n",
      `* SEARCH ${"1 ".repeat(100_000)}\r\n`,
      `* 1 FETCH (FLAGS (${"\\Seen ".repeat(50_000)}))\r\n`,
      `a OK [COPYUID 1 1:4294967295 1:4294967295] x\r\n`,
      `* OK [${"[".repeat(100_000)}\r\n`,
      `* LIST () "/" &${"AGE".repeat(300_000)}-\r\n`,
      `* STATUS &${"AGE".repeat(300_000)}- (MESSAGES 1)\r\n`
    ]
    for (const c of cases) {
      const bytes = enc.encode(c)
      decodeAll(bytes, [7], 1000)
      safely(() => ResponseDecoder.make().push(bytes), 1000)
    }
  })
})
