// MIME messages for differential tests against Dovecot: fast-check builds trees (nested
// multiparts, message/rfc822, digest parts, boundaries that extend one another, missing close
// delimiters, preambles and epilogues, lines that start with `--`, bare LF, 8-bit text, odd header
// case and folding, RFC 2231 and quoted parameters, Content-* fields without MIME-Version, header
// lines without a colon, text after a delimiter, lone CR and NUL bytes).
import * as fc from "fast-check"

const word = fc.constantFrom(
  "alpha",
  "beta",
  "gamma",
  "Grüße",
  "café",
  "--not-a-boundary",
  "x=y",
  "",
  "   ",
  "=?UTF-8?Q?caf=C3=A9?=",
  "lone\rcr",
  "nul\u0000byte"
)
const line = fc.array(word, { maxLength: 6 }).map((ws) => ws.join(" "))
const body = fc.array(line, { maxLength: 5 })

const fold = (name: string, value: string) =>
  fc.constantFrom(`${name}: ${value}`, `${name}:${value}`, `${name}: ${value.replace("; ", ";\r\n\t")}`)

const leafType = fc.constantFrom(
  "text/plain",
  "text/plain; charset=utf-8",
  'TEXT/HTML; CHARSET="iso-8859-1"',
  'application/octet-stream; name="data.bin"',
  "application/pdf; name*=utf-8''%E2%82%AC.pdf",
  "image/png",
  "text/plain; format=flowed; delsp=yes"
)

const extraFields = fc.subarray([
  "Content-Transfer-Encoding: base64",
  "Content-Transfer-Encoding: Quoted-Printable",
  "Content-ID: <part@example.com>",
  "Content-Description: a part",
  'Content-Disposition: attachment; filename="report.pdf"',
  "Content-Disposition: inline; filename*0*=utf-8''a%20b; filename*1*=.txt",
  "Content-Language: en, de",
  "Content-Location: http://example.com/p",
  "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ=="
])

const envelopeFields = fc.subarray([
  "From: Ann <ann@example.com>",
  "To: bob@example.net, Team: c@example.org;",
  "Subject: =?UTF-8?B?w5xiZXI=?= the weather",
  "Date: Mon, 7 Dec 2026 10:00:00 +0100",
  "Message-ID: <gen@example.com>",
  'Cc: "Dee, D." <dee@example.net>',
  "Reply-To: root"
])

interface Node {
  readonly lines: ReadonlyArray<string>
}

/** Header lines servers meet that are no proper field. */
const headerNoise = fc.subarray(
  ["X-Folded: first", " continued", "NoColonHere", "MIME-Version: 1.0", "Content-Type: multipart/mixed"],
  {
    maxLength: 2
  }
)

const leaf: fc.Arbitrary<Node> = fc
  .tuple(leafType, extraFields, headerNoise, body, fc.boolean(), fc.boolean())
  .chain(([type, extra, noise, lines, typed, blank]) =>
    fold("Content-Type", type).map((ct) => ({
      lines: [...(typed ? [ct] : []), ...extra, ...noise, ...(blank || lines.length > 0 ? [""] : []), ...lines]
    }))
  )

/** What may follow a delimiter on its line: RFC 2046 allows white space, servers meet worse. */
const suffix = fc.constantFrom("", "", "", "  ", " trailing")

/** A multipart or message/rfc822 node around `child`, with boundary `b` (or one extending it). */
const container = (child: fc.Arbitrary<Node>, depth: number): fc.Arbitrary<Node> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom("mixed", "alternative", "digest", "related"),
        fc.constantFrom(`b${depth}`, `b${depth}x`, `=_b${depth}`, "b"),
        fc.array(fc.tuple(child, suffix), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        body,
        body,
        suffix
      )
      .map(([subtype, boundary, parts, closed, quoted, preamble, epilogue, closeSuffix]) => ({
        lines: [
          `Content-Type: multipart/${subtype}; boundary=${quoted ? `"${boundary}"` : boundary}`,
          "",
          ...preamble,
          ...parts.flatMap(([p, after]) => [`--${boundary}${after}`, ...p.lines]),
          ...(closed ? [`--${boundary}--${closeSuffix}`, ...epilogue] : [])
        ]
      })),
    fc
      .tuple(envelopeFields, child)
      .map(([fields, inner]) => ({ lines: ["Content-Type: message/rfc822", "", ...fields, ...inner.lines] }))
  )

const tree = (depth: number): fc.Arbitrary<Node> =>
  depth === 0
    ? leaf
    : fc.oneof({ weight: 1, arbitrary: leaf }, { weight: 2, arbitrary: container(tree(depth - 1), depth) })

/** A raw message. */
export const message = fc
  .tuple(envelopeFields, tree(3), fc.constantFrom("\r\n", "\r\n", "\r\n", "\n"), fc.boolean())
  .map(([fields, root, eol, finalEol]) => {
    const text = [...fields, ...root.lines].join(eol) + (finalEol ? eol : "")
    return Buffer.from(text, "utf8")
  })
