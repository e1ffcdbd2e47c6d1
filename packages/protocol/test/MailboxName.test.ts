/**
 * Modified UTF-7 (RFC 3501 5.1.3) both ways, lenient decoding of broken names, the UTF-8 wire form
 * under UTF8=ACCEPT, and the INBOX rule.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as MailboxName from "../src/MailboxName.ts"

describe("modified UTF-7", () => {
  it.each([
    ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"], // RFC 3501 5.1.3
    ["&", "&-"],
    ["Tom & Jerry", "Tom &- Jerry"],
    ["INBOX", "INBOX"],
    ["Entwürfe", "Entw&APw-rfe"],
    ["Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"],
    ["😀", "&2D3eAA-"],
    ["a\tb", "a&AAk-b"],
    ["", ""]
  ])("%j <-> %j", (name, wire) => {
    expect(MailboxName.encode(name)).toBe(wire)
    expect(MailboxName.decode(wire)).toBe(name)
    expect(MailboxName.isValid(wire)).toBe(true)
  })

  it("round-trips every well-formed string, and the wire form is printable ASCII", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }).filter((s) => s.isWellFormed()),
        (name) => {
          const wire = MailboxName.encode(name)
          expect(wire).toMatch(/^[\x20-\x7e]*$/)
          expect(MailboxName.decode(wire)).toBe(name)
          expect(MailboxName.isValid(wire)).toBe(true)
        }
      )
    )
  })

  it.each([
    ["a&bad", "a&bad"], // no closing '-'
    ["&U,BTF-", "&U,BTF-"], // truncated UTF-16 unit
    ["&2D0-", "&2D0-"], // lone high surrogate
    ["&!!-x", "&!!-x"], // not base64
    ["ok&-&AGE", "ok&&AGE"], // valid part decoded, broken tail kept
    ["ä-raw", "ä-raw"] // raw 8-bit passes through
  ])("decode is lenient: %j -> %j, and isValid is false", (wire, decoded) => {
    expect(MailboxName.decode(wire)).toBe(decoded)
    expect(MailboxName.isValid(wire)).toBe(false)
  })

  it("isValid rejects non-canonical shifts (printable ASCII encoded, split shifts)", () => {
    expect(MailboxName.decode("&AGEAYgBj-")).toBe("abc")
    expect(MailboxName.isValid("&AGEAYgBj-")).toBe(false)
    expect(MailboxName.isValid("&U,A-&U,A-")).toBe(false)
  })
})

describe("UTF8=ACCEPT", () => {
  it("sends and reads names as UTF-8, never touching '&'", () => {
    expect(MailboxName.toWire("台北 & Co", { utf8Accept: true })).toBe("台北 & Co")
    expect(MailboxName.fromWire("台北 &U,A-", { utf8Accept: true })).toBe("台北 &U,A-")
    expect(MailboxName.toWire("台北", { utf8Accept: false })).toBe("&U,BTFw-")
    expect(MailboxName.fromWire("&U,BTFw-")).toBe("台北")
  })
})

describe("INBOX", () => {
  it("is case-insensitive", () => {
    for (const n of ["INBOX", "inbox", "InBoX"]) {
      expect(MailboxName.isInbox(n)).toBe(true)
      expect(MailboxName.normalize(n)).toBe("INBOX")
    }
    expect(MailboxName.isInbox("INBOX2")).toBe(false)
    expect(MailboxName.normalize("Inbox2")).toBe("Inbox2")
  })
  it("normalizes the INBOX prefix of children only with the delimiter", () => {
    expect(MailboxName.normalize("inbox/Sent", "/")).toBe("INBOX/Sent")
    expect(MailboxName.normalize("inbox.Sent", "/")).toBe("inbox.Sent")
    expect(MailboxName.normalize("inbox/Sent")).toBe("inbox/Sent")
    expect(MailboxName.equals("Inbox.Archive", "INBOX.Archive", ".")).toBe(true)
    expect(MailboxName.equals("Archive", "archive")).toBe(false)
  })
})

describe("MailboxName.decode on hostile input", () => {
  it("decodes a shifted run of 300,000 characters without overflowing the stack", () => {
    const name = "台".repeat(300_000)
    expect(MailboxName.decode(MailboxName.encode(name))).toBe(name)
  })
})
