/** Flag: system flags, keyword syntax (nothing that could smuggle protocol syntax), normalisation. */
import { describe, expect, it } from "vitest"
import * as Flag from "../src/Flag.ts"

describe("Flag", () => {
  it("knows the system flags in any case", () => {
    expect(Flag.systemFlags).toEqual(["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"])
    expect(Flag.isSystemFlag("\\SEEN")).toBe(true)
    expect(Flag.isSystemFlag("\\Important")).toBe(false)
    expect(Flag.isSystemFlag("$Junk")).toBe(false)
    expect(Flag.normalize("\\dRaFt")).toBe("\\Draft")
    expect(Flag.normalize("$junk")).toBe("$junk")
    expect(Flag.has(["\\Seen", "$Junk"], "$JUNK")).toBe(true)
  })
  it.each(["$Junk", "NonJunk", "a.b-c_d", "~x", "+1", "[brackets"])("accepts keyword %j", (k) => {
    expect(Flag.isKeyword(k)).toBe(true)
    expect(Flag.isValid(k)).toBe(true)
  })
  it.each([
    "",
    "a b",
    "a\r\nb",
    "a\nb",
    "a\0",
    "(x",
    "x)",
    "x{5}",
    "x*",
    "x%",
    'x"',
    "x]",
    "ä",
    "\\",
    "\\\\Seen",
    "x\x7f"
  ])("rejects %j", (k) => {
    expect(Flag.isKeyword(k)).toBe(false)
    expect(Flag.isValid(k)).toBe(false)
  })
  it("accepts backslash flags but not as keywords", () => {
    expect(Flag.isValid("\\Seen")).toBe(true)
    expect(Flag.isValid("\\Important")).toBe(true)
    expect(Flag.isKeyword("\\Seen")).toBe(false)
    expect(Flag.isValid("\\*")).toBe(false)
  })
})
