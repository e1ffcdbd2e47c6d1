/**
 * `TerminalText`, the one rule for showing server and sender text on a terminal: every C0 and C1
 * control, DEL and bidi embedding/override/isolate comes out as a visible escape, printable text of
 * any script comes out unchanged, one-line fields fold tab/CR/LF to a space, and JSON stays JSON
 * that decodes to the very same string. Checked as tables, then over every code point of the
 * ranges that matter.
 */
import { describe, expect, it } from "vitest"
import * as TerminalText from "../src/TerminalText.ts"

/** What no output line may contain: C0 (but LF and tab where allowed), DEL, C1, bidi controls. */
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

describe("TerminalText.field", () => {
  it.each([
    ["ESC ] 0 ; title BEL (retitles the window)", "\u001b]0;pwned\u0007", "\\x1b]0;pwned\\x07"],
    ["CSI sequences (clear, colour)", "\u001b[2J\u001b[31mred", "\\x1b[2J\\x1b[31mred"],
    ["the C1 CSI U+009B", "\u009b31mred", "\\x9b31mred"],
    ["NUL", "a\u0000b", "a\\x00b"],
    ["DEL and backspace", "x\u007f\u0008y", "x\\x7f\\x08y"],
    ["NEL and the other C1 ends", "\u0080\u0085\u009f", "\\x80\\x85\\x9f"],
    ["RIGHT-TO-LEFT OVERRIDE", "invoice\u202egnp.exe", "invoice\\u202egnp.exe"],
    [
      "every embedding, override and isolate",
      "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
      "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"
    ],
    ["tab, CR and LF runs fold to one space", "Hello\tthere\r\n you", "Hello there  you"],
    ["a vertical tab and a form feed are escaped, not folded", "a\u000bb\u000cc", "a\\x0bb\\x0cc"],
    ["accents, CJK and emoji (with a joiner) unchanged", "café 日本語 👩‍💻 Ωμέγα", "café 日本語 👩‍💻 Ωμέγα"],
    ["the implicit marks LRM, RLM and ALM unchanged", "a\u200eb\u200fc\u061cd", "a\u200eb\u200fc\u061cd"],
    ["no-break space and soft hyphen unchanged", "a\u00a0b\u00adc", "a\u00a0b\u00adc"],
    ["a backslash unchanged", "\\Seen \\x1b", "\\Seen \\x1b"]
  ])("%s", (_what, input, shown) => {
    expect(TerminalText.field(input)).toBe(shown)
  })

  it("leaves no raw control of any code point below U+0100 or in U+2000..U+206F", () => {
    for (let cp = 0; cp <= 0x2070; cp = cp === 0xff ? 0x2000 : cp + 1) {
      const out = TerminalText.field(`<${String.fromCodePoint(cp)}>`)
      expect(rawControl.test(out) || /[\t\n]/.test(out), `U+${cp.toString(16)}`).toBe(false)
    }
  })
})

describe("TerminalText.text", () => {
  it.each([
    ["keeps LF and tab (a stack trace's lines)", "line 1\n\tat x", "line 1\n\tat x"],
    ["CRLF becomes LF", "a\r\nb", "a\nb"],
    ["a lone CR, which would let a line overwrite itself, is escaped", "ok\rforged", "ok\\x0dforged"],
    ["ESC, C1 and bidi as in fields", "\u001b[2J\u009b\u202e", "\\x1b[2J\\x9b\\u202e"]
  ])("%s", (_what, input, shown) => {
    expect(TerminalText.text(input)).toBe(shown)
  })

  it("is a no-op on what `field` produced (a line may pass both)", () => {
    const once = TerminalText.field("\u001b]0;x\u0007 \u009b \u202e é")
    expect(TerminalText.text(once)).toBe(once)
  })
})

describe("TerminalText.json", () => {
  const hostile = "\u001b]0;t\u0007 \u0000 \u007f \u009b1m \u202e \u2066 café 日本"

  it("escapes what JSON.stringify leaves raw (DEL, C1, bidi) and decodes to the same string", () => {
    const json = TerminalText.json(JSON.stringify({ subject: hostile }))
    expect(rawControl.test(json)).toBe(false)
    expect(json).toContain("\\u009b1m")
    expect(json).toContain("\\u202e")
    expect(json).toContain("\\u007f")
    expect(json).toContain("café 日本")
    expect(JSON.parse(json)).toEqual({ subject: hostile })
  })
})
