/**
 * RFC 2047 decoding of ENVELOPE subjects and names: the words real servers sent us (Dovecot,
 * Cyrus, Courier transcripts), the RFC's own examples, other charsets, and malformed input that
 * must come back untouched.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as fc from "fast-check"
import libmime from "libmime"
import { describe, expect, it } from "vitest"
import * as EncodedWord from "../src/EncodedWord.ts"

describe("EncodedWord.decode: words from the server transcripts", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    // Cyrus and Courier, the APPEND smoke test's subject: Q with `_`, mixed with plain text
    ["=?UTF-8?Q?interop_smoke_=E2=9C=93?= cyrus append #1", "interop smoke ✓ cyrus append #1"],
    ["=?UTF-8?Q?interop_smoke_=E2=9C=93?= courier append #1", "interop smoke ✓ courier append #1"],
    // Dovecot display names and subjects
    ["=?UTF-8?B?RnJhbsOnb2lzIExlZsOodnJl?=", "François Lefèvre"],
    ["=?UTF-8?B?5bGx55SwIOWkqumDjg==?=", "山田 太郎"],
    ["=?UTF-8?B?w5FhbmTDuiBQZcOxYQ==?=", "Ñandú Peña"],
    ["=?UTF-8?B?2YXYrdmF2K8g2LnZhNmK?=", "محمد علي"],
    ["=?UTF-8?Q?=D9=85=D8=AD=D9=85=D8=AF_=D8=B9=D9=84=D9=8A?=", "محمد علي"],
    ["=?UTF-8?B?UsOpdW5pb24gZGUgbOKAmcOpcXVpcGUg4oCUIGNvbXB0ZSByZW5kdQ==?=", "Réunion de l’équipe — compte rendu"],
    ["Fwd: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=", "Fwd: Grüße aus München"],
    ["Re: =?UTF-8?B?5Lya6K6u57qq6KaB77ya56ys5LiJ5a2j5bqm6K6h5YiS?=", "Re: 会议纪要：第三季度计划"],
    ["=?UTF-8?Q?Caf=C3=A9_=E2=98=95_at_3pm=3F?=", "Café ☕ at 3pm?"],
    ["Re: =?UTF-8?B?Q2Fmw6kg4piVIGF0IDNwbT8=?=", "Re: Café ☕ at 3pm?"],
    ["=?UTF-8?B?xYF1a2FzeiDFu8OzxYLEhw==?=", "Łukasz Żółć"],
    ["=?UTF-8?B?8J+OiSBMYXVuY2ggZGF5ISDwn5qAICMxMDAwMDYx?=", "🎉 Launch day! 🚀 #1000061"],
    ["=?UTF-8?B?zpTOv866zrnOvM6uIC8g44OG44K544OIIC8g0YLQtdGB0YI=?=", "Δοκιμή / テスト / тест"],
    ["=?UTF-8?B?0JTQvNC40YLRgNC40Lkg0JjQstCw0L3QvtCy?=", "Дмитрий Иванов"],
    // Multi-word Q: Dovecot splits long names into adjacent words; the space between them goes
    [
      "=?UTF-8?Q?=CE=91=CE=BB=CE=AD=CE=BE=CE=B1=CE=BD=CE=B4=CF=81=CE=BF=CF=82_?= " +
        "=?UTF-8?Q?=CE=A0=CE=B1=CF=80=CE=B1=CE=B4=CF=8C=CF=80=CE=BF=CF=85=CE=BB?= =?UTF-8?Q?=CE=BF=CF=82?=",
      "Αλέξανδρος Παπαδόπουλος"
    ],
    [
      "Re: =?UTF-8?Q?=E4=BC=9A=E8=AE=AE=E7=BA=AA=E8=A6=81=EF=BC=9A=E7=AC=AC=E4=B8=89?= " +
        "=?UTF-8?Q?=E5=AD=A3=E5=BA=A6=E8=AE=A1=E5=88=92_=231000012?=",
      "Re: 会议纪要：第三季度计划 #1000012"
    ],
    [
      "Fwd: =?UTF-8?Q?=CE=94=CE=BF=CE=BA=CE=B9=CE=BC=CE=AE_=2F_=E3=83=86=E3=82=B9?= " +
        "=?UTF-8?Q?=E3=83=88_=2F_=D1=82=D0=B5=D1=81=D1=82_=231000045?=",
      "Fwd: Δοκιμή / テスト / тест #1000045"
    ]
  ]
  it.each(cases)("%s", (input, expected) => {
    expect(EncodedWord.decode(input)).toBe(expected)
  })
})

describe("EncodedWord.decode: RFC 2047 section 8 examples", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen"],
    ["=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"],
    [
      "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
      "If you can read this you understand the example."
    ],
    ["(=?ISO-8859-1?Q?a?=)", "(a)"],
    ["(=?ISO-8859-1?Q?a?= b)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a_b?=)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"]
  ]
  it.each(cases)("%s", (input, expected) => {
    expect(EncodedWord.decode(input)).toBe(expected)
  })
})

describe("EncodedWord.decode: other charsets", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["=?iso-8859-1?q?Fran=E7ois?=", "François"],
    ["=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"],
    ["=?windows-1252?Q?=93quoted=94_=80100?=", "“quoted” €100"],
    ["=?GB2312?B?1tDOxA==?=", "中文"],
    ["=?KOI8-R?B?8NLJ18XU?=", "Привет"],
    ["=?ISO-8859-7?Q?=C1=E8=DE=ED=E1?=", "Αθήνα"],
    // RFC 2231 language suffix on the charset, lower-case b
    ["=?UTF-8*fr?b?w6k=?=", "é"],
    // a multi-byte character split across two B words is joined before decoding
    ["=?UTF-8?B?8J+O?= =?UTF-8?B?iQ==?=", "🎉"],
    // adjacent words with no whitespace at all
    ["=?UTF-8?B?4pyT?==?UTF-8?B?4pyT?=", "✓✓"]
  ]
  it.each(cases)("%s", (input, expected) => {
    expect(EncodedWord.decode(input)).toBe(expected)
  })
})

describe("EncodedWord.decode: malformed words stay as they were", () => {
  const untouched = [
    "=?UTF-8?B?not base64!!?=",
    "=?UTF-8?B?#$%&?=",
    "=?UTF-8?B?w?=", // 4n+1 base64 characters cannot come from any bytes
    "=?UTF-8?B?/w==?=", // 0xFF is not UTF-8
    "=?UTF-8?Q?=FF=FE?=",
    "=?bogus-charset?Q?abc?=",
    "=?UTF-7?Q?abc?=", // refused by libmime: UTF-7 can smuggle markup
    "=?UTF-8?X?abc?=",
    "=?UTF-8?Q?unterminated",
    "=?UTF-8?Q?",
    "=??Q?abc?=",
    "=?",
    "?=",
    "plain text, no words",
    ""
  ]
  it.each(untouched)("%j", (input) => {
    expect(EncodedWord.decode(input)).toBe(input)
  })

  it("decodes the good words around a bad one and keeps the spaces next to it", () => {
    expect(EncodedWord.decode("=?UTF-8?B?w6k=?= =?bogus?Q?x?= =?UTF-8?B?w6k=?=")).toBe("é =?bogus?Q?x?= é")
  })

  it("keeps spaces between a word and plain text", () => {
    expect(EncodedWord.decode("=?UTF-8?Q?a?= x =?UTF-8?Q?b?=")).toBe("a x b")
  })

  it("passes NIL through", () => {
    expect(EncodedWord.decode(undefined)).toBeUndefined()
  })
})

describe("EncodedWord.decode: properties", () => {
  const wordish = fc.stringMatching(/^[=?A-Za-z0-9_ +/\-*]{0,40}$/)

  it("returns text without `=?` unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        fc.pre(!s.includes("=?"))
        expect(EncodedWord.decode(s)).toBe(s)
      })
    )
  })

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(wordish, fc.constantFrom("=?", "?=", "?Q?", "?B?", "UTF-8", " "))), (parts) => {
        expect(typeof EncodedWord.decode(parts.join(""))).toBe("string")
      })
    )
  })

  it("decodes what libmime encodes, B and Q", () => {
    // U+FFFD is left out: a decoded replacement character is how an undecodable word is detected.
    const text = fc.string({ unit: "grapheme", minLength: 1 }).filter((s) => !s.includes("\uFFFD"))
    fc.assert(
      fc.property(text, fc.constantFrom("B" as const, "Q" as const), (s, encoding) => {
        expect(EncodedWord.decode(libmime.encodeWord(s, encoding, 40))).toBe(s)
      })
    )
  })
})

describe("EncodedWord.decode: UTF-8, ISO-8859-1 and US-ASCII words, decoded without libmime as libmime decodes them", () => {
  // What the module did before it decoded these charsets itself: libmime on the run of words,
  // the raw run back where a byte was invalid.
  const viaLibmime = (run: string): string => {
    const decoded = libmime.decodeWords(run)
    return decoded.includes("\uFFFD") ? run : decoded
  }
  const names = ["UTF-8", "utf8", "US-ASCII", "ascii", "ISO-8859-1", "iso8859-1", "latin1", "windows-1252", "CP1252"]
  const hex = (b: number) => `=${b.toString(16).toUpperCase().padStart(2, "0")}`
  const bWord = (name: string, bytes: Uint8Array) => `=?${name}?B?${Buffer.from(bytes).toString("base64")}?=`
  const qWord = (name: string, bytes: Uint8Array) =>
    `=?${name}?Q?${Array.from(bytes, (b) => (b > 0x20 && b < 0x7f && b !== 0x3d && b !== 0x3f && b !== 0x5f ? String.fromCharCode(b) : hex(b))).join("")}?=`

  it.each(names)("every byte, B and Q, in %s", (name) => {
    for (let b = 0; b < 256; b++) {
      for (const word of [bWord(name, Uint8Array.of(b)), qWord(name, Uint8Array.of(b))]) {
        expect(EncodedWord.decode(word)).toBe(viaLibmime(word))
      }
    }
  })

  const cases: ReadonlyArray<readonly [string, string]> = [
    // a byte order mark stays, as in Node's Buffer#toString, which libmime uses
    ["=?UTF-8?B?77u/YQ==?=", "\uFEFFa"],
    // ISO-8859-1 is read as windows-1252: 0x80 is the euro sign
    ["=?ISO-8859-1?Q?=80_5?=", "€ 5"],
    // 0x81 is undefined in windows-1252 (iconv-lite: U+FFFD), so the word stays as it was
    ["=?ISO-8859-1?Q?a=81?=", "=?ISO-8859-1?Q?a=81?="],
    // `=XX` split over two Q words of one charset: joined first, as libmime joins them
    ["=?ISO-8859-1?Q?caf=E?= =?latin1?Q?9?=", "café"],
    // unpadded base64 words joined before decoding
    ["=?UTF-8?B?w6k?= =?utf8?b?w6k?=", viaLibmime("=?UTF-8?B?w6k?==?utf8?b?w6k?=")],
    // a Q word and a B word are not joined; different charsets neither
    ["=?UTF-8?Q?=C3?= =?UTF-8?B?qQ==?=", "=?UTF-8?Q?=C3?==?UTF-8?B?qQ==?="],
    ["=?UTF-8?Q?a?= =?ISO-8859-1?Q?=E9?=", "aé"],
    // lower-case hex and a stray `=` in Q
    ["=?utf-8?q?caf=c3=a9_=3D_=?=", "café = ="]
  ]
  it.each(cases)("%j", (input, expected) => {
    expect(EncodedWord.decode(input)).toBe(expected)
    expect(EncodedWord.decode(input)).toBe(viaLibmime(input.replace(/\?= +=\?/g, "?==?")))
  })

  it("decodes any run of such words as libmime does", () => {
    const word = fc
      .tuple(fc.constantFrom(...names), fc.boolean(), fc.uint8Array({ maxLength: 12 }), fc.boolean())
      .map(([name, b, bytes, unpadded]) =>
        b ? bWord(name, bytes).replace(unpadded ? /=+\?=$/ : /$^/, "?=") : qWord(name, bytes)
      )
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.constantFrom("", " ", "\r\n "), (words, space) => {
        expect(EncodedWord.decode(words.join(space))).toBe(viaLibmime(words.join("")))
      }),
      { numRuns: 2000 }
    )
  })
})

describe("EncodedWord: libmime is loaded on demand", () => {
  // In a fresh Node process on the built package: importing the protocol, decoding text without
  // encoded words, and decoding UTF-8 and ISO-8859-1 words must not load libmime (its charset
  // tables cost every importer ~2 MB of heap); the first word in another charset loads it.
  it("importing the protocol, decoding plain text and UTF-8 or Latin-1 words leave libmime unloaded; the first KOI8-R word loads it", () => {
    const dist = pathToFileURL(fileURLToPath(new URL("../dist/index.js", import.meta.url))).href
    const script = `
      import { registerHooks } from "node:module"
      const urls = []
      registerHooks({ load: (url, context, next) => (urls.push(url), next(url, context)) })
      const { EncodedWord } = await import(${JSON.stringify(dist)})
      const loaded = () => urls.some((u) => u.includes("/libmime/"))
      const atImport = loaded()
      const plain = EncodedWord.decode("no words here")
      const afterPlain = loaded()
      const native = [EncodedWord.decode("=?UTF-8?Q?caf=C3=A9?="), EncodedWord.decode("=?ISO-8859-1?Q?caf=E9?=")]
      const afterNative = loaded()
      const word = EncodedWord.decode("=?KOI8-R?B?8NLJ18XU?=")
      console.log(JSON.stringify({ atImport, plain, afterPlain, native, afterNative, word, afterWord: loaded() }))`
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })
    expect(JSON.parse(out)).toEqual({
      atImport: false,
      plain: "no words here",
      afterPlain: false,
      native: ["café", "café"],
      afterNative: false,
      word: "Привет",
      afterWord: true
    })
  })
})
