/**
 * ENVELOPE addresses to display addresses: names decoded, mailbox@host joined, RFC 3501 group
 * markers flattened (or kept, with `groups`), and `Name <a@b>` formatting with quoting.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Address from "../src/Address.ts"
import type { Address as EnvelopeAddress } from "../src/Response.ts"

const addr = (
  name: string | undefined,
  mailbox: string | undefined,
  host: string | undefined,
  adl: string | undefined = undefined
): EnvelopeAddress => ({ name, adl, mailbox, host })

describe("Address.fromEnvelope", () => {
  it("joins mailbox and host and keeps a plain name", () => {
    expect(Address.fromEnvelope(addr("Sybil Moore", "sybil.moore", "lists.example.org"))).toEqual({
      name: "Sybil Moore",
      address: "sybil.moore@lists.example.org"
    })
  })

  it("decodes an RFC 2047 name (Dovecot transcript)", () => {
    expect(Address.fromEnvelope(addr("=?UTF-8?B?RnJhbsOnb2lzIExlZsOodnJl?=", "user149", "lists.example.org"))).toEqual({
      name: "François Lefèvre",
      address: "user149@lists.example.org"
    })
  })

  it("keeps NIL as undefined and ignores the source route", () => {
    expect(Address.fromEnvelope(addr(undefined, "victor.garcia", "example.com", "@relay.example"))).toEqual({
      name: undefined,
      address: "victor.garcia@example.com"
    })
  })

  it("leaves a punycode host as sent", () => {
    expect(Address.fromEnvelope(addr(undefined, "dave.smith", "xn--bcher-kva.example")).address).toBe(
      "dave.smith@xn--bcher-kva.example"
    )
  })

  it("drops the UW-IMAP / Dovecot placeholder for a missing host", () => {
    expect(Address.fromEnvelope(addr(undefined, "root", ".MISSING-HOST-NAME.")).address).toBe("root")
  })

  it("maps group markers to the group name, and to nothing", () => {
    expect(Address.fromEnvelope(addr(undefined, "Team", undefined))).toEqual({ name: "Team", address: undefined })
    expect(Address.fromEnvelope(addr(undefined, undefined, undefined))).toEqual({
      name: undefined,
      address: undefined
    })
  })
})

describe("Address groups (RFC 3501 section 7.4.2 markers)", () => {
  // To: a@x, Team: b@y, c@z;, d@w
  const list = [
    addr("A", "a", "x"),
    addr(undefined, "Team", undefined),
    addr("B", "b", "y"),
    addr(undefined, "c", "z"),
    addr(undefined, undefined, undefined),
    addr(undefined, "d", "w")
  ]

  it("fromEnvelopeList flattens: members kept in order, markers dropped", () => {
    expect(Address.fromEnvelopeList(list).map((a) => a.address)).toEqual(["a@x", "b@y", "c@z", "d@w"])
  })

  it("an empty group (undisclosed-recipients:;) disappears", () => {
    const undisclosed = [addr(undefined, "undisclosed-recipients", undefined), addr(undefined, undefined, undefined)]
    expect(Address.fromEnvelopeList(undisclosed)).toEqual([])
    expect(Address.groups(undisclosed)).toEqual([{ name: "undisclosed-recipients", members: [] }])
  })

  it("groups keeps the structure", () => {
    expect(Address.groups(list).map((g) => ({ name: g.name, members: g.members.map((m) => m.address) }))).toEqual([
      { name: undefined, members: ["a@x"] },
      { name: "Team", members: ["b@y", "c@z"] },
      { name: undefined, members: ["d@w"] }
    ])
  })

  it("groups tolerates a missing end marker and a stray one", () => {
    expect(Address.groups([addr(undefined, "Open", undefined), addr(undefined, "a", "x")])).toEqual([
      { name: "Open", members: [{ name: undefined, address: "a@x" }] }
    ])
    expect(Address.groups([addr(undefined, undefined, undefined), addr(undefined, "a", "x")])).toEqual([
      { name: undefined, members: [{ name: undefined, address: "a@x" }] }
    ])
  })

  it("an empty list gives nothing", () => {
    expect(Address.fromEnvelopeList([])).toEqual([])
    expect(Address.groups([])).toEqual([])
  })
})

describe("Address.format", () => {
  const cases: ReadonlyArray<readonly [Address.MailAddress, string]> = [
    [{ name: "Sybil Moore", address: "sybil.moore@example.org" }, "Sybil Moore <sybil.moore@example.org>"],
    [{ name: undefined, address: "a@b" }, "a@b"],
    [{ name: "", address: "a@b" }, "a@b"],
    [{ name: "  ", address: "a@b" }, "a@b"],
    // the comma would split the address list: quoted (Dovecot transcript "Lopez, Yolanda")
    [{ name: "Lopez, Yolanda", address: "yolanda.lopez@example.com" }, '"Lopez, Yolanda" <yolanda.lopez@example.com>'],
    [{ name: "J. Smith", address: "j@x" }, '"J. Smith" <j@x>'],
    [{ name: 'Say "hi"', address: "s@x" }, '"Say \\"hi\\"" <s@x>'],
    [{ name: "back\\slash", address: "b@x" }, '"back\\\\slash" <b@x>'],
    [{ name: "Double  space", address: "d@x" }, '"Double  space" <d@x>'],
    [{ name: "Αλέξανδρος Παπαδόπουλος", address: "user601@x" }, "Αλέξανδρος Παπαδόπουλος <user601@x>"],
    [{ name: "O'Brien-Smith", address: "o@x" }, "O'Brien-Smith <o@x>"],
    [{ name: "Team", address: undefined }, "Team"],
    [{ name: undefined, address: undefined }, ""]
  ]
  it.each(cases)("%j -> %s", (input, expected) => {
    expect(Address.format(input)).toBe(expected)
  })

  it("a quoted name reads back as the same name", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (name) => {
        fc.pre(name.trim() !== "")
        const out = Address.format({ name, address: "a@b" })
        const shown = out.slice(0, out.lastIndexOf(" <"))
        const unquoted = shown.startsWith('"') ? shown.slice(1, -1).replace(/\\(.)/gs, "$1") : shown
        expect(unquoted).toBe(name)
      })
    )
  })
})
