/**
 * ResponseDecoder: framer and parser in one push, failing once for good.
 */
import { describe, expect, it } from "vitest"
import { ParseError } from "../src/ParseError.ts"
import * as ResponseDecoder from "../src/ResponseDecoder.ts"

const enc = new TextEncoder()

describe("ResponseDecoder", () => {
  it("returns the responses each chunk completes, in order", () => {
    const d = ResponseDecoder.make()
    expect(d.push(enc.encode("* 3 EXISTS\r\n* 1 FETCH (UID 7 BODY[] {3}\r\nab"))).toEqual([
      { _tag: "Exists", count: 3 }
    ])
    expect(d.buffered).toBe(31)
    const [r] = d.push(enc.encode("c)\r\na1 OK done\r\n")).slice(0, 1)
    expect(r).toMatchObject({ _tag: "Fetch", seq: 1, attributes: { uid: 7 } })
    expect(d.buffered).toBe(0)
  })

  it("passes framer limits through", () => {
    const d = ResponseDecoder.make({ maxLiteralSize: 2 })
    expect(() => d.push(enc.encode("* 1 FETCH (BODY[] {3}\r\n"))).toThrow(ParseError)
  })

  it("after a parse failure every later push throws the same error", () => {
    const d = ResponseDecoder.make()
    let first: unknown
    try {
      d.push(enc.encode("* 1 FETCH (UID x)\r\n"))
    } catch (e) {
      first = e
    }
    expect(first).toBeInstanceOf(ParseError)
    expect(() => d.push(enc.encode("* 2 EXISTS\r\n"))).toThrow(first as Error)
  })
})
