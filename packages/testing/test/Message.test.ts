/**
 * The MIME model's decisions as tables, without a server: address lists as ENVELOPE addresses,
 * structured values as BODYSTRUCTURE reports them (RFC 2231 joined, names as written, damage read
 * as Dovecot reads it), part
 * numbering of `BODY[section]`, bare LF stored as CRLF, and what SEARCH reads (header values with
 * encoded words decoded, the sent date, transfer-decoded text). Properties: any bytes parse without
 * throwing, every part's `BODY[n]` is as long as its BODYSTRUCTURE size, and the parts lie inside
 * the message.
 */
import { assert, describe, it } from "@effect/vitest"
import { type BodyStructure, Command } from "@pkg/protocol"
import * as fc from "fast-check"
import * as Message from "../src/Message.ts"
import * as AddressList from "../src/internal/AddressList.ts"
import * as MimeEntity from "../src/internal/MimeEntity.ts"
import * as MimeParams from "../src/internal/MimeParams.ts"
import { corpus } from "./MessageCorpus.ts"

const bytes = (s: string) => Buffer.from(s, "utf8")
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("utf8"))
const a = (name: string | undefined, mailbox: string | undefined, host: string | undefined, adl?: string) => ({
  name,
  adl,
  mailbox,
  host
})

describe("AddressList.parse", () => {
  const table: ReadonlyArray<readonly [string, ReadonlyArray<ReturnType<typeof a>>]> = [
    ["ann@example.com", [a(undefined, "ann", "example.com")]],
    ["Ann Example <ann@example.com>", [a("Ann Example", "ann", "example.com")]],
    ['"Dee, D." <dee@x.org>, e@y.org', [a("Dee, D.", "dee", "x.org"), a(undefined, "e", "y.org")]],
    ["eve@x.org (Eve Hidden)", [a("Eve Hidden", "eve", "x.org")]],
    ["(leading) eve@x.org", [a(undefined, "eve", "x.org")]],
    ["=?UTF-8?Q?J=C3=BCrgen?= <j@x.de>", [a("=?UTF-8?Q?J=C3=BCrgen?=", "j", "x.de")]],
    ["<@relay.org:c@x.org>", [a(undefined, "c", "x.org", "@relay.org")]],
    ["root", [a(undefined, "root", AddressList.MISSING_HOST)]],
    ["root continued", [a("root continued", AddressList.MISSING_MAILBOX, AddressList.MISSING_HOST)]],
    ["Name <>", [a("Name", AddressList.MISSING_MAILBOX, AddressList.MISSING_HOST)]],
    [
      "Team: a@x.org, b@y.org;",
      [
        a(undefined, "Team", undefined),
        a(undefined, "a", "x.org"),
        a(undefined, "b", "y.org"),
        a(undefined, undefined, undefined)
      ]
    ],
    [
      "undisclosed-recipients:;",
      [a(undefined, "undisclosed-recipients", undefined), a(undefined, undefined, undefined)]
    ],
    ["", []],
    [" , ,", []],
    [
      "Team: a@x.org; continued",
      [a(undefined, "Team", undefined), a(undefined, "a", "x.org"), a(undefined, undefined, undefined)]
    ],
    ["a@x.org junk, b@y.org", [a(undefined, "a", "x.org")]],
    ['"unclosed <a@b.c>', [a(undefined, AddressList.MISSING_MAILBOX, AddressList.MISSING_HOST)]],
    ['"Quoted Only"', [a("Quoted Only", AddressList.MISSING_MAILBOX, AddressList.MISSING_HOST)]]
  ]
  for (const [input, expected] of table)
    it(`reads ${JSON.stringify(input)}`, () => assert.deepStrictEqual(AddressList.parse(input), expected))

  it("never throws and always answers a list, whatever the text", () =>
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => Array.isArray(AddressList.parse(s)))))
})

describe("MimeParams.contentType", () => {
  const table: ReadonlyArray<readonly [string, string, string, ReadonlyArray<readonly [string, string]>]> = [
    ["text/plain", "text", "plain", []],
    [
      'text/plain; charset="utf-8"; format=flowed',
      "text",
      "plain",
      [
        ["charset", "utf-8"],
        ["format", "flowed"]
      ]
    ],
    ["TEXT/HTML ; CHARSET=UTF-8", "TEXT", "HTML", [["CHARSET", "UTF-8"]]],
    [
      'a/b; x="semi;colon"; y="q\\"uote"',
      "a",
      "b",
      [
        ["x", "semi;colon"],
        ["y", 'q"uote']
      ]
    ],
    ["a/b (comment; here); x=1", "a", "b", [["x", "1"]]],
    ["a/b; name*=utf-8''%E2%82%AC.txt", "a", "b", [["name*", "utf-8''%E2%82%AC.txt"]]],
    [
      "a/b; f*1*=.txt; f*0*=utf-8''x%20y; z=1",
      "a",
      "b",
      [
        ["z", "1"],
        ["f*", "utf-8''x%20y.txt"]
      ]
    ],
    ['a/b; t*0="long "; t*1="title"', "a", "b", [["t", "long title"]]],
    ['a/b; name="data.bin" continued; z=1', "a", "b", [["name", "data.bin"]]],
    ["a/b; broken; y=2", "a", "b", []],
    ["multipart/mixed; boundary==_b3", "multipart", "mixed", [["boundary", "=_b3"]]],
    ["text/plain continued", "", "", []],
    ["text", "", "", []],
    ["", "", "", []]
  ]
  for (const [input, type, subtype, params] of table)
    it(`reads ${JSON.stringify(input)}`, () =>
      assert.deepStrictEqual(MimeParams.contentType(input), { type, subtype, params }))

  const languages: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["en", ["en"]],
    ["en-GB, fr", ["en-GB", "fr"]],
    ["en, de continued", ["en", "de"]],
    ["", []]
  ]
  for (const [input, expected] of languages)
    it(`reads the languages ${JSON.stringify(input)}`, () =>
      assert.deepStrictEqual(MimeParams.languages(input), expected))

  const encodings: ReadonlyArray<readonly [string, string | undefined]> = [
    ["base64", "base64"],
    [" Quoted-Printable ", "Quoted-Printable"],
    ["base64 continued", undefined],
    ["", undefined]
  ]
  for (const [input, expected] of encodings)
    it(`reads the encoding ${JSON.stringify(input)}`, () => assert.strictEqual(MimeParams.encoding(input), expected))
})

describe("MimeEntity.normalizeLineEnds", () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ["a\nb\n", "a\r\nb\r\n"],
    ["a\r\nb\n", "a\r\nb\r\n"],
    ["\n", "\r\n"],
    ["a\rb", "a\rb"],
    ["a\r\n", "a\r\n"]
  ]
  for (const [input, expected] of table)
    it(`stores ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () =>
      assert.strictEqual(str(MimeEntity.normalizeLineEnds(bytes(input))), expected))
})

const nested = [
  "Subject: outer",
  "From: a@x.org",
  'Content-Type: multipart/mixed; boundary="o"',
  "",
  "--o",
  "Content-Type: text/plain",
  "",
  "first",
  "--o",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "",
  "inner text",
  "--o--",
  ""
].join("\r\n")

describe("Message.section", () => {
  const spec = Command.SectionSpec
  const message = Message.parse(bytes(nested))
  const table: ReadonlyArray<readonly [string, Command.Section, string | undefined]> = [
    ["[] is the whole message", spec.whole(), nested],
    ["[TEXT] is the body after the header", spec.text(), nested.slice(nested.indexOf("\r\n\r\n") + 4)],
    ["[1] is part 1's body", spec.whole([1]), "first"],
    ["[1.MIME] is part 1's own header", spec.mime([1]), "Content-Type: text/plain\r\n\r\n"],
    ["[2] is the whole encapsulated message", spec.whole([2]), "Subject: inner\r\n\r\ninner text"],
    ["[2.HEADER] is the encapsulated message's header", spec.header([2]), "Subject: inner\r\n\r\n"],
    ["[2.TEXT] is the encapsulated message's body", spec.text([2]), "inner text"],
    ["[2.1] is the encapsulated single part's body", spec.whole([2, 1]), "inner text"],
    ["[1.1] of a leaf part of a multipart is the leaf itself", spec.whole([1, 1]), "first"],
    ["[1.1.1] of a leaf part does not exist", spec.whole([1, 1, 1]), undefined],
    ["[1.HEADER] of a part that is no message/rfc822 does not exist", spec.header([1]), undefined],
    ["[1.TEXT] of a part that is no message/rfc822 does not exist", spec.text([1]), undefined],
    ["[2.1.MIME] is the encapsulated single part's header", spec.mime([2, 1]), "Subject: inner\r\n\r\n"],
    ["[3] does not exist", spec.whole([3]), undefined],
    ["[1.2] does not exist", spec.whole([1, 2]), undefined],
    [
      "[HEADER.FIELDS] matches names in any case, in header order",
      spec.headerFields(["FROM", "subject"]),
      "Subject: outer\r\nFrom: a@x.org\r\n\r\n"
    ],
    [
      "[HEADER.FIELDS.NOT] keeps the others",
      { part: [], text: { _tag: "HeaderFields", not: true, fields: ["Subject", "Content-Type"] } },
      "From: a@x.org\r\n\r\n"
    ]
  ]
  for (const [name, section, expected] of table)
    it(name, () => assert.strictEqual(str(Message.section(message, section)), expected))

  it("[1] of a single-part message is its body, [1.1] nothing", () => {
    const single = Message.parse(bytes("Subject: one\r\n\r\nbody"))
    assert.strictEqual(str(Message.section(single, spec.whole([1]))), "body")
    assert.strictEqual(Message.section(single, spec.whole([1, 1])), undefined)
  })

  it("answers for a message it did not parse itself (built by hand), from its raw bytes", () => {
    const copy: Message.Message = { ...message }
    assert.strictEqual(str(Message.section(copy, spec.whole([1]))), "first")
  })
})

describe("Message.parse", () => {
  it("stores a bare-LF message with CRLF and counts RFC822.SIZE on the stored bytes", () => {
    const m = Message.parse(bytes("Subject: lf\n\nbody\n"))
    assert.strictEqual(str(m.raw), "Subject: lf\r\n\r\nbody\r\n")
    assert.strictEqual(m.size, 21)
  })

  it("gives Sender and Reply-To the From addresses when the header has none", () => {
    const m = Message.parse(bytes("From: a@x.org\r\n\r\n"))
    assert.deepStrictEqual(m.envelope.sender, m.envelope.from)
    assert.deepStrictEqual(m.envelope.replyTo, m.envelope.from)
  })

  it("makes an empty message a text/plain part of size 0", () => {
    const m = Message.parse(new Uint8Array(0))
    assert.strictEqual(m.bodyStructure._tag, "TextPart")
    assert.strictEqual(m.size, 0)
  })

  /** Every leaf part's path and BODYSTRUCTURE size. */
  const leaves = (s: BodyStructure, prefix: ReadonlyArray<number>): Array<readonly [ReadonlyArray<number>, number]> => {
    if (s._tag === "Multipart") return s.parts.flatMap((p, i) => leaves(p, [...prefix, i + 1]))
    return [[prefix.length === 0 ? [1] : prefix, s.fields.size]]
  }

  for (const item of corpus)
    it(`gives every part of "${item.name}" a BODY[n] as long as its BODYSTRUCTURE size`, () => {
      const m = Message.parse(item.raw)
      for (const [path, size] of leaves(m.bodyStructure, [])) {
        const body = Message.section(m, Command.SectionSpec.whole(path))
        assert.strictEqual(body?.length ?? 0, size, `part ${path.join(".")}`)
      }
    })

  const mimeish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          "Content-Type: multipart/mixed; boundary=b",
          "Content-Type: message/rfc822",
          "Content-Type: multipart/digest; boundary=bb",
          "--b",
          "--b--",
          "--bb",
          "--bb--",
          "",
          "From: a@b",
          " folded",
          "Content-Transfer-Encoding: base64"
        ),
        fc.string()
      ),
      { maxLength: 40 }
    )
    .chain((lines) => fc.constantFrom("\r\n", "\n").map((eol) => lines.join(eol)))

  it("never throws, whatever the bytes, and keeps every part inside the message", () =>
    fc.assert(
      fc.property(fc.oneof(mimeish.map(bytes), fc.uint8Array({ maxLength: 300 })), (raw) => {
        const m = Message.parse(raw)
        assert.strictEqual(m.size, m.raw.length)
        for (const [path, size] of leaves(m.bodyStructure, [])) {
          assert.isAtMost(size, m.size)
          Message.section(m, Command.SectionSpec.mime(path as [number, ...Array<number>]))
          Message.section(m, Command.SectionSpec.header(path))
        }
        Message.searchText(m, { body: false })
      })
    ))
})

describe("what SEARCH reads", () => {
  const m = Message.parse(
    bytes(
      [
        "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus",
        " =?UTF-8?B?S8O2bG4=?=",
        "To: a@x.org",
        "To: b@y.org",
        "Date: Sun, 06 Dec 2026 23:30:00 -0500",
        'Content-Type: multipart/mixed; boundary="s"',
        "",
        "--s",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "caf=C3=A9 au=",
        " lait",
        "--s",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: base64",
        "",
        "c2VjcmV0IHdvcmQ=",
        "--s--",
        ""
      ].join("\r\n")
    )
  )

  it("headerValues unfolds and decodes encoded words", () =>
    assert.deepStrictEqual(Message.headerValues(m, "subject"), ["Grüße aus Köln"]))

  it("headerValues gives every field of that name, in order", () =>
    assert.deepStrictEqual(Message.headerValues(m, "TO"), ["a@x.org", "b@y.org"]))

  it("sentDay is the Date: header's own calendar day, not the UTC one", () => {
    assert.strictEqual(Message.sentDay(m), "2026-12-06")
    assert.strictEqual(Message.sentDate(m)?.toISOString(), "2026-12-07T04:30:00.000Z")
  })

  it("sentDay and sentDate are undefined without a readable Date:", () => {
    const none = Message.parse(bytes("Date: someday\r\n\r\n"))
    assert.strictEqual(Message.sentDay(none), undefined)
    assert.strictEqual(Message.sentDate(none), undefined)
  })

  it("searchText decodes quoted-printable and base64 bodies", () => {
    const body = Message.searchText(m, { body: true })
    assert.include(body, "café au lait")
    assert.include(body, "secret word")
    assert.notInclude(body, "Grüße")
  })

  it("searchText with the header includes the decoded header fields", () =>
    assert.include(Message.searchText(m, { body: false }), "Grüße aus Köln"))
})
