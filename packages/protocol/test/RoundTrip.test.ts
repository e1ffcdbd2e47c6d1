/**
 * encode -> parse round trips: for every response type, `parse(encode(r))` deep-equals `r`
 * (fast-check, canonical values from `ResponseArbitraries`), and a whole stream of encoded
 * responses decodes back to the same list however it is chunked.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Response } from "../src/Response.ts"
import * as ResponseDecoder from "../src/ResponseDecoder.ts"
import { encode } from "../src/ResponseEncoder.ts"
import { parse } from "../src/ResponseParser.ts"
import { responses } from "../src/testing/ResponseArbitraries.ts"

const dec = new TextDecoder()

describe("parse(encode(r)) equals r", () => {
  it.each(Object.entries(responses))("%s", (_name, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (r) => {
        const wire = encode(r)
        let back: Response
        try {
          back = parse(wire)
        } catch (e) {
          throw new Error(`${String(e)}\nwire: ${JSON.stringify(dec.decode(wire))}`)
        }
        expect(back, JSON.stringify(dec.decode(wire))).toStrictEqual(r)
      }),
      { numRuns: 300 }
    )
  })
})

describe("a stream of encoded responses", () => {
  it("decodes back to the same responses under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(...Object.values(responses)), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rs, cuts) => {
          const parts = rs.map(encode)
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
          let at = 0
          for (const p of parts) {
            all.set(p, at)
            at += p.length
          }
          const points = [0, ...cuts.map((c) => c % (all.length + 1)).sort((a, b) => a - b), all.length]
          const decoder = ResponseDecoder.make()
          const got: Array<Response> = []
          for (let i = 1; i < points.length; i++) got.push(...decoder.push(all.subarray(points[i - 1]!, points[i]!)))
          expect(got).toStrictEqual(rs)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("encoder string forms", () => {
  it("chooses atom, quoted string or literal per value", () => {
    const wire = (r: Response) => dec.decode(encode(r))
    expect(
      wire({ _tag: "QuotaRoot", mailbox: "INBOX", rawMailbox: "INBOX", roots: ["", "a b", "NIL", "x\r\ny", "ü"] })
    ).toBe('* QUOTAROOT INBOX "" "a b" "NIL" {4}\r\nx\r\ny {2}\r\nü\r\n')
  })

  it("sends byte data as literals, `~{n}` only for binary data holding NUL", () => {
    const r: Response = {
      _tag: "Fetch",
      seq: 1,
      attributes: {
        body: [{ section: "", origin: undefined, data: new Uint8Array([0x61, 0]) }],
        binary: [{ section: "1", origin: 0, data: new Uint8Array([0x61, 0]) }]
      }
    }
    expect(dec.decode(encode(r))).toBe("* 1 FETCH (BODY[] {2}\r\na\u0000 BINARY[1]<0> ~{2}\r\na\u0000)\r\n")
  })
})

describe("unknown FETCH items", () => {
  it("are encoded back from their exact bytes, not from their UTF-8 reading", () => {
    const wire = new Uint8Array([
      ...new TextEncoder().encode("* 1 FETCH (UID 4 X-BLOB {3}\r\n"),
      0xff,
      0xfe,
      0x80,
      ...new TextEncoder().encode(")\r\n")
    ])
    expect(encode(parse(wire))).toStrictEqual(wire)
  })
})
