/**
 * SequenceSet: constructors, compaction, the wire form both ways, membership and bounded expansion.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ParseError } from "../src/ParseError.ts"
import * as SequenceSet from "../src/SequenceSet.ts"
import { SequenceSet as FromIndex } from "../src/index.ts"

const { Uid } = SequenceSet

describe("constructors and encode", () => {
  it("fromNumbers compacts unsorted input with duplicates into ranges", () => {
    expect(SequenceSet.encode(SequenceSet.fromNumbers("seq", [9, 1, 2, 3, 5, 8, 7, 2]))).toBe("1:3,5,7:9")
    expect(SequenceSet.encode(SequenceSet.fromNumbers("seq", [4]))).toBe("4")
    expect(SequenceSet.encode(SequenceSet.fromNumbers("uid", [Uid(10), Uid(11)]))).toBe("10:11")
  })
  it("range, single, from, all, last", () => {
    expect(SequenceSet.encode(SequenceSet.range("seq", 3, 1))).toBe("3:1")
    expect(SequenceSet.encode(SequenceSet.single("uid", Uid(42)))).toBe("42")
    expect(SequenceSet.encode(SequenceSet.from("uid", Uid(100)))).toBe("100:*")
    expect(SequenceSet.encode(SequenceSet.all("seq"))).toBe("1:*")
    expect(SequenceSet.encode(SequenceSet.last("seq"))).toBe("*")
    expect(SequenceSet.encode(SequenceSet.saved)).toBe("$")
  })
  it("union keeps ranges in order; compact sorts and merges numeric ranges, keeps * ranges last", () => {
    const u = SequenceSet.union(SequenceSet.fromNumbers("seq", [7, 8]), SequenceSet.range("seq", 3, 1))
    expect(SequenceSet.encode(u)).toBe("7:8,3:1")
    const c = SequenceSet.compact(SequenceSet.parse("9,5:*,4:2,1,3,10:12", "seq"))
    expect(SequenceSet.encode(c)).toBe("1:4,9:12,5:*")
  })
  it("the kind is in the type: a seq set is not a uid set", () => {
    const uids: SequenceSet.SequenceSet<"uid"> = SequenceSet.single("uid", Uid(1))
    // @ts-expect-error a sequence-number set cannot be used where UIDs are expected
    const wrong: SequenceSet.SequenceSet<"uid"> = SequenceSet.single("seq", 1)
    expect(uids.kind).toBe("uid")
    expect(wrong.kind).toBe("seq")
  })
  it("is reachable as SequenceSet.Uid from the package index, as a value and a type", () => {
    const u: FromIndex.Uid = FromIndex.Uid(5)
    expect(u).toBe(5)
  })
  it("isValid rejects 0, fractions and numbers above 2^32-1", () => {
    expect(SequenceSet.isValid(SequenceSet.range("seq", 1, SequenceSet.MAX))).toBe(true)
    expect(SequenceSet.isValid(SequenceSet.single("seq", 0))).toBe(false)
    expect(SequenceSet.isValid(SequenceSet.single("seq", 1.5))).toBe(false)
    expect(SequenceSet.isValid(SequenceSet.single("seq", SequenceSet.MAX + 1))).toBe(false)
  })
})

describe("parse", () => {
  it("reads ranges, stars and lists as written", () => {
    expect(SequenceSet.parse("1:3,5,7:*,*", "uid").ranges).toEqual([
      { start: 1, end: 3 },
      { start: 5, end: 5 },
      { start: 7, end: "*" },
      { start: "*", end: "*" }
    ])
    expect(SequenceSet.parse("4294967295", "uid").ranges).toEqual([{ start: SequenceSet.MAX, end: SequenceSet.MAX }])
    expect(SequenceSet.parseSetOrSaved("$", "seq")).toEqual(SequenceSet.saved)
  })
  it.each(["", "0", "01", "1,", ",1", "1::2", "1:2:3", "a", "1 2", "-1", "4294967296", "$", "1,$", "*:"])(
    "throws ParseError on %j",
    (text) => {
      expect(() => SequenceSet.parse(text, "seq")).toThrow(ParseError)
    }
  )
  it("carries the offset of the bad element", () => {
    try {
      SequenceSet.parse("1:3,x", "seq")
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError)
      expect((e as ParseError).offset).toBe(4)
    }
  })
  it("carries the input as bytes, with the offset and excerpt pointing into them", () => {
    try {
      SequenceSet.parse("1:3,ü,x", "seq")
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError)
      const { bytes, offset, excerpt } = e as ParseError
      expect(bytes).toEqual(new TextEncoder().encode("1:3,ü,x"))
      expect(offset).toBe(4)
      expect(excerpt).toBe("1:3,\\xc3\\xbc,x")
    }
    try {
      SequenceSet.parse("ü:1:2", "seq")
      expect.unreachable()
    } catch (e) {
      // The range is refused at its end bound: char index 2, byte index 3 after the two bytes of "ü".
      expect((e as ParseError).offset).toBe(3)
    }
  })
  // Fuzz.test.ts's convention for large inputs: linear work, bounded per megabyte (1000 ms). The
  // quadratic scan this guards against took seconds here.
  it("parses a 500,000-element set (1 MB) in linear time", () => {
    const text = `${"1,".repeat(499_999)}1:2`
    const start = performance.now()
    const set = SequenceSet.parse(text, "seq")
    const ms = performance.now() - start
    expect(set.ranges).toHaveLength(500_000)
    expect(set.ranges[499_999]).toEqual({ start: 1, end: 2 })
    expect(ms).toBeLessThan(1000)
  })
  it("round-trips any set", () => {
    const bound = fc.oneof(fc.integer({ min: 1, max: SequenceSet.MAX }), fc.constant("*" as const))
    fc.assert(
      fc.property(fc.array(fc.tuple(bound, bound), { minLength: 1, maxLength: 8 }), (pairs) => {
        const text = pairs.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(",")
        expect(SequenceSet.encode(SequenceSet.parse(text, "seq"))).toBe(text)
      })
    )
  })
})

describe("contains and expand", () => {
  const set = SequenceSet.parse("2:4,10:8,20:*", "seq")
  it("contains treats reversed ranges and * (default: unbounded)", () => {
    expect([1, 2, 4, 5, 8, 9, 10, 11, 19, 20, 1000].map((n) => SequenceSet.contains(set, n))).toEqual([
      false,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      false,
      true,
      true
    ])
    expect(SequenceSet.contains(set, 1000, 25)).toBe(false)
  })
  it.each([
    ["*", 35, true],
    ["*", 1, true],
    ["100:*", 35, true],
    ["100:*", 4294967295, true],
    ["*:100", 7, true],
    ["2:4,10:8", 3, true],
    ["2:4,10:8", 9, true],
    ["2:4,10:8", 5, false],
    ["2:4,10:8", 11, false],
    ["7", 7, true],
    ["7", 8, false]
  ] as const)(
    "mayContain(%s, %d) is %s: a * bound admits any number, since only the server knows it",
    (text, n, expected) => {
      expect(SequenceSet.mayContain(SequenceSet.parse(text, "uid"), n)).toBe(expected)
    }
  )
  it("expand resolves * to the bound and drops numbers above it", () => {
    expect(SequenceSet.expand(set, 22)).toEqual([2, 3, 4, 8, 9, 10, 20, 21, 22])
    expect(SequenceSet.expand(set, 9)).toEqual([2, 3, 4, 8, 9])
    // RFC 9051 6.4.8: UID 100:* with highest UID 50 means 50.
    expect(SequenceSet.expand(SequenceSet.from("uid", Uid(100)), 50)).toEqual([50])
    expect(SequenceSet.expand(SequenceSet.all("seq"), 0)).toEqual([])
  })
  it("expand gives at most `limit` numbers, the smallest, even of a hostile 1:4294967295", () => {
    expect(SequenceSet.expand(set, 22, 4)).toEqual([2, 3, 4, 8])
    expect(SequenceSet.expand(SequenceSet.parse("5,1:4294967295", "uid"), SequenceSet.MAX, 3)).toEqual([1, 2, 3])
  })
  it("size counts each number once without expanding; * stands for `star`", () => {
    expect(SequenceSet.size(SequenceSet.parse("1:3,2,10:8", "uid"))).toBe(6)
    expect(SequenceSet.size(SequenceSet.parse("1:4294967295", "uid"))).toBe(4294967295)
    expect(SequenceSet.size(set, 22)).toBe(9)
  })
  it("equals compares kind and ranges as written", () => {
    expect(SequenceSet.equals(SequenceSet.parse("1:3,7", "uid"), SequenceSet.parse("1:3,7", "uid"))).toBe(true)
    expect(SequenceSet.equals(SequenceSet.parse("1:3", "uid"), SequenceSet.parse("1,2,3", "uid"))).toBe(false)
    expect(SequenceSet.equals(SequenceSet.parse("1:3", "uid"), SequenceSet.parse("3:1", "uid"))).toBe(false)
  })
  it("expand and size agree with a brute-force count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 })), { minLength: 1 }),
        (pairs) => {
          const text = pairs.map(([a, b]) => `${a}:${b}`).join(",")
          const parsed = SequenceSet.parse(text, "seq")
          const brute = new Set(
            pairs.flatMap(([a, b]) => Array.from({ length: Math.abs(a - b) + 1 }, (_, i) => Math.min(a, b) + i))
          )
          expect(SequenceSet.expand(parsed, 300)).toEqual([...brute].sort((x, y) => x - y))
          expect(SequenceSet.size(parsed)).toBe(brute.size)
        }
      )
    )
  })
  it("fromNumbers . expand is sort-unique", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1 }), (ns) => {
        const set = SequenceSet.fromNumbers("seq", ns as [number, ...Array<number>])
        expect(SequenceSet.expand(set, 300)).toEqual([...new Set(ns)].sort((a, b) => a - b))
        for (const n of ns) expect(SequenceSet.contains(set, n)).toBe(true)
        expect(SequenceSet.compact(set)).toEqual(set)
      })
    )
  })
})
