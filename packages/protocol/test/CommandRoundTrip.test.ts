/**
 * Property tests over every command type: encode -> parse gives back the command (secrets compared
 * by value) under every combination of LITERAL+/LITERAL-/UTF8=ACCEPT/BINARY, and, for hostile
 * strings in every string-bearing field, the encoder either refuses with an `EncodeError` or emits
 * bytes with no CR/LF/NUL outside literals (which then still round-trip).
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type * as Command from "../src/Command.ts"
import * as CommandEncoder from "../src/CommandEncoder.ts"
import * as CommandParser from "../src/CommandParser.ts"
import { EncodeError } from "../src/EncodeError.ts"
import { commands, encodeOptions, hostileStrings, validStrings } from "../src/testing/CommandArbitraries.ts"
import { crlfViolation, reveal } from "./commandChecks.ts"

const tag = fc.stringMatching(/^[A-Za-z0-9.]{1,8}$/)

/** The only case the valid generators can produce that must be refused. */
const mustRefuse = (c: Command.Command, o: CommandEncoder.EncodeOptions): boolean =>
  c._tag === "Append" && c.message.includes(0) && o.binary !== true

const roundTrip = (t: string, c: Command.Command, o: CommandEncoder.EncodeOptions): void => {
  const r = CommandEncoder.encode(t, c, o)
  if (mustRefuse(c, o)) {
    expect(Result.isFailure(r)).toBe(true)
    return
  }
  if (Result.isFailure(r)) throw new Error(`refused: ${r.failure.message}`)
  const bytes = CommandEncoder.concat(r.success.segments)
  expect(crlfViolation(bytes)).toBeUndefined()
  const parsed = CommandParser.parse(bytes, { utf8Accept: o.utf8Accept })
  expect(parsed.tag).toBe(t)
  expect(reveal(parsed.command)).toEqual(reveal(c))
  // The framer agrees with the encoder about where the command ends.
  const frame = CommandParser.frame(bytes)
  expect(frame).toEqual({ _tag: "Complete", length: bytes.length })
}

describe("encode -> parse round trip", () => {
  for (const [name, arb] of Object.entries(commands(validStrings))) {
    it(name, () => {
      fc.assert(
        fc.property(tag, arb, encodeOptions, (t, c, o) => roundTrip(t, c, o)),
        { numRuns: 150 }
      )
    })
  }
})

describe("the encoder never emits a raw CR/LF/NUL outside a literal", () => {
  for (const [name, arb] of Object.entries(commands(hostileStrings))) {
    it(name, () => {
      fc.assert(
        fc.property(fc.oneof(tag, fc.string({ maxLength: 6 })), arb, encodeOptions, (t, c, o) => {
          let r: Result.Result<CommandEncoder.EncodedCommand, EncodeError> | undefined
          expect(() => {
            r = CommandEncoder.encode(t, c, o)
          }).not.toThrow()
          if (r === undefined) return
          if (Result.isFailure(r)) {
            expect(r.failure).toBeInstanceOf(EncodeError)
            expect(r.failure._tag).toBe("EncodeError")
            return
          }
          const bytes = CommandEncoder.concat(r.success.segments)
          expect(crlfViolation(bytes)).toBeUndefined()
          // Every segment but the last ends with a synchronising literal marker.
          for (const seg of r.success.segments.slice(0, -1)) {
            const tail = new TextDecoder().decode(seg.subarray(Math.max(0, seg.length - 24)))
            expect(tail).toMatch(/~?\{[0-9]+\}\r\n$/)
          }
          // What the encoder accepts is exactly what it means.
          const parsed = CommandParser.parse(bytes, { utf8Accept: o.utf8Accept })
          expect(parsed.tag).toBe(t)
          expect(reveal(parsed.command)).toEqual(reveal(c))
          // The trace is one printable line.
          expect(r.success.trace).not.toMatch(/[\r\n\0]/)
        }),
        { numRuns: 200 }
      )
    })
  }
})

describe("CommandParser never throws anything but ParseError", () => {
  it("on arbitrary bytes and mutated commands", () => {
    const all = Object.values(commands(validStrings))
    fc.assert(
      fc.property(
        fc.oneof(...all),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (c, mutations, cut) => {
          const r = CommandEncoder.encode("a1", c, { literalPlus: true, literalMinus: false, binary: true })
          if (Result.isFailure(r)) return
          const bytes = CommandEncoder.concat(r.success.segments)
          for (const [at, value] of mutations) bytes[at % bytes.length] = value
          const input = cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes
          try {
            CommandParser.parse(input)
          } catch (e) {
            expect((e as { _tag?: string })._tag).toBe("ParseError")
          }
          CommandParser.frame(input)
        }
      ),
      { numRuns: 1000 }
    )
  })
})
