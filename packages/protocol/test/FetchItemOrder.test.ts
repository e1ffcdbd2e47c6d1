/**
 * `ResponseEncoder.encodeWith({ fetchOrder })` writes a FETCH response's items in the order a
 * server chooses (Cyrus: FLAGS before UID; Courier and Dovecot: the request's), the rest in the
 * encoder's own order, and what it writes still parses back to the same response.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { FetchAttributes, FetchData } from "../src/Response.ts"
import { encode, encodeWith } from "../src/ResponseEncoder.ts"
import { parse } from "../src/ResponseParser.ts"
import { Uid } from "../src/SequenceSet.ts"
import { responses } from "../src/testing/ResponseArbitraries.ts"

const text = (b: Uint8Array) => new TextDecoder().decode(b)
const fetch: FetchData = {
  _tag: "Fetch",
  seq: 1,
  attributes: { uid: Uid(7), flags: ["\\Seen"], size: 42, modSeq: 9n }
}

describe("FETCH item order", () => {
  it.each<[string, ReadonlyArray<keyof FetchAttributes> | undefined, string]>([
    [
      "the encoder's own order without options",
      undefined,
      "* 1 FETCH (UID 7 FLAGS (\\Seen) RFC822.SIZE 42 MODSEQ (9))\r\n"
    ],
    ["Cyrus: FLAGS before UID", ["flags", "uid"], "* 1 FETCH (FLAGS (\\Seen) UID 7 RFC822.SIZE 42 MODSEQ (9))\r\n"],
    ["a request's order", ["modSeq", "size", "uid"], "* 1 FETCH (MODSEQ (9) RFC822.SIZE 42 UID 7 FLAGS (\\Seen))\r\n"],
    [
      "names of absent items are skipped",
      ["envelope", "flags"],
      "* 1 FETCH (FLAGS (\\Seen) UID 7 RFC822.SIZE 42 MODSEQ (9))\r\n"
    ]
  ])("%s", (_name, order, wire) => {
    const bytes = order === undefined ? encode(fetch) : encodeWith({ fetchOrder: order })(fetch)
    expect(text(bytes)).toBe(wire)
    expect(parse(bytes)).toStrictEqual(fetch)
  })

  it("any order parses back to the same FETCH response", () => {
    const keys: ReadonlyArray<keyof FetchAttributes> = [
      "uid",
      "flags",
      "internalDate",
      "size",
      "envelope",
      "bodyStructure",
      "body",
      "modSeq"
    ]
    fc.assert(
      fc.property(responses.Fetch, fc.shuffledSubarray([...keys]), (r, order) => {
        expect(parse(encodeWith({ fetchOrder: order })(r))).toStrictEqual(r)
      }),
      { numRuns: 200 }
    )
  })
})
