/**
 * Schema models agree with what the parser produces: parsed envelopes, body structures, response
 * codes, tagged responses and FETCH data validate against them (their static types are checked
 * both ways in Schemas.ts itself).
 */
import { Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encode } from "../src/ResponseEncoder.ts"
import { parse } from "../src/ResponseParser.ts"
import * as Schemas from "../src/Schemas.ts"
import { bodyStructure, envelope, fetchAttributes, responseCode, responses } from "./responseArbitraries.ts"

describe("Schemas", () => {
  it("accept every envelope, body structure, response code and FETCH attribute set", () => {
    fc.assert(
      fc.property(envelope, (e) => Schema.is(Schemas.Envelope)(e)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(bodyStructure, (b) => Schema.is(Schemas.BodyStructure)(b)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(responseCode, (c) => Schema.is(Schemas.ResponseCode)(c)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(fetchAttributes, (a) => Schema.is(Schemas.FetchAttributes)(a)),
      { numRuns: 200 }
    )
  })

  it("accept what the parser produces for tagged responses and FETCH data", () => {
    fc.assert(
      fc.property(fc.oneof(responses.Tagged, responses.Fetch), (r) => {
        const back = parse(encode(r))
        return back._tag === "Tagged" ? Schema.is(Schemas.Tagged)(back) : Schema.is(Schemas.FetchData)(back)
      }),
      { numRuns: 200 }
    )
  })

  it("decode a plain value and reject a malformed one", () => {
    const decode = Schema.decodeUnknownSync(Schemas.Address)
    expect(decode({ name: undefined, adl: undefined, mailbox: "a", host: "b" })).toEqual({
      name: undefined,
      adl: undefined,
      mailbox: "a",
      host: "b"
    })
    expect(() => decode({ name: 1 })).toThrow()
    expect(Schema.is(Schemas.BodyStructure)({ _tag: "TextPart", type: "image", subtype: "x" })).toBe(false)
  })
})
