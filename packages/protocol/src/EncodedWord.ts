/**
 * RFC 2047 encoded words (`=?charset?B|Q?text?=`) in ENVELOPE subjects and display names.
 *
 * This module owns finding the words and deciding which ones to trust. Words in UTF-8, and in
 * ISO-8859-1 and US-ASCII (which libmime, like browsers, reads as windows-1252), are decoded here
 * with TextDecoder, exactly as libmime decodes them: they are nearly all the words a mailbox holds,
 * and loading libmime builds iconv-lite's tables (~30 ms, 12 MB of RSS). Every other charset
 * (ISO-2022-JP, windows-125x, GB2312, KOI8-R, ...) is libmime's (iconv-lite and encoding-japanese
 * underneath), so there are no charset tables here.
 *
 * Never throws: a word that is malformed, names a charset nobody supports, or decodes to invalid
 * bytes is kept exactly as it was on the wire, so the user still sees what the server sent.
 */
// `#libmime` (package.json `imports`): Node loads libmime on the first encoded word, bundlers get a
// static import they can follow.
import { libmime } from "#libmime"

/**
 * One encoded word, stricter than libmime's own pattern: RFC 2047 section 2 forbids spaces and
 * `?` inside the encoded text, which keeps `=?a?Q?x?= plain =?a?Q?y?=` from being read as one
 * word. The charset may carry an RFC 2231 language suffix (`UTF-8*en`).
 */
const WORD = /=\?([^?\s*()<>@,;:"/[\]=]+)(\*[A-Za-z0-9-]*)?\?([BbQq])\?([^?\s]*)\?=/g

/** Base64 text, padded or not (some mailers drop the padding; libmime accepts both). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** RFC 2047 section 6.2: whitespace between two adjacent encoded words is not displayed. */
const LINEAR_WHITESPACE = /^[ \t\r\n]*$/

// Checking a charset means building a libmime DecodeStream; headers repeat a handful of
// charsets, so the answer is kept per (case-folded) name.
const supportedCharsets = new Map<string, boolean>()

const isSupportedCharset = (charset: string): boolean => {
  const key = charset.toLowerCase()
  if (NATIVE.has(key)) return true
  const known = supportedCharsets.get(key)
  if (known !== undefined) return known
  let supported: boolean
  try {
    supported = libmime().createDecodeStream(charset).supported
  } catch {
    supported = false
  }
  // Bounded so a hostile server cycling invented charset names cannot grow the cache forever.
  if (supportedCharsets.size < 256) supportedCharsets.set(key, supported)
  return supported
}

const isWellFormed = (charset: string, encoding: string, text: string): boolean => {
  if (encoding === "B" || encoding === "b") {
    // A length of 4n+1 cannot come from any byte sequence: it is damaged, not decodable.
    if (!BASE64.test(text) || text.replace(/=+$/, "").length % 4 === 1) return false
  }
  return isSupportedCharset(charset)
}

// ---------------------------------------------------------------------------------------------
// The charsets decoded without libmime, mirroring libmime 5.6's decodeWords step by step

/**
 * The names libmime's normalizeCharset turns into UTF-8 or windows-1252 (WHATWG's reading of
 * ISO-8859-1 and US-ASCII, which libmime follows), lower-cased. The EncodedWord tests check each
 * against libmime, byte by byte.
 */
const NATIVE: ReadonlyMap<string, "utf-8" | "windows-1252"> = new Map([
  ["utf-8", "utf-8"],
  ["utf8", "utf-8"],
  ["us-ascii", "windows-1252"],
  ["ascii", "windows-1252"],
  ["iso-8859-1", "windows-1252"],
  ["iso8859-1", "windows-1252"],
  ["latin1", "windows-1252"],
  ["windows-1252", "windows-1252"],
  ["cp1252", "windows-1252"]
])

// Node's Buffer#toString("utf-8"), which libmime uses, keeps a leading byte order mark.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true })
const windows1252 = new TextDecoder("windows-1252")
const encoder = new TextEncoder()

/**
 * Bytes windows-1252 leaves undefined: iconv-lite, under libmime, decodes them as U+FFFD, where
 * TextDecoder (WHATWG) gives C1 controls.
 */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d])

const hexValue = (byte: number | undefined): number => {
  if (byte === undefined) return -1
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57
  return -1
}

/** RFC 2047 section 4.2: `_` is a space, `=XX` a byte; anything else (a stray `=` too) as it is. */
const qBytes = (text: string): Uint8Array => {
  const input = encoder.encode(text.replaceAll("_", " "))
  const out = new Uint8Array(input.length)
  let n = 0
  for (let i = 0; i < input.length; i++) {
    const hi = input[i] === 0x3d ? hexValue(input[i + 1]) : -1
    const lo = hi >= 0 ? hexValue(input[i + 2]) : -1
    if (lo >= 0) {
      out[n++] = hi * 16 + lo
      i += 2
    } else out[n++] = input[i] as number
  }
  return out.subarray(0, n)
}

/**
 * Base64 as libbase64 reads joined words (`w6k=w6k=`): each `=`-separated segment on its own,
 * a dangling sixth bit (a segment of 4n+1 characters) dropped as Node's Buffer drops it.
 */
const bBytes = (text: string): Uint8Array => {
  let binary = ""
  for (const segment of text.split("=")) {
    binary += atob(segment.length % 4 === 1 ? segment.slice(0, -1) : segment)
  }
  // A loop, not `Uint8Array.from(binary, mapFn)`: that iterates the string and calls back per byte.
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** The text of the bytes, or `undefined` where libmime would have produced U+FFFD. */
const nativeText = (charset: "utf-8" | "windows-1252", bytes: Uint8Array): string | undefined => {
  if (charset === "windows-1252")
    return bytes.some((b) => UNDEFINED_IN_1252.has(b)) ? undefined : windows1252.decode(bytes)
  const text = utf8.decode(bytes)
  return text.includes("\uFFFD") ? undefined : text
}

/**
 * A run decoded here when all its words are in native charsets (else `undefined`: libmime's). Like
 * libmime, adjacent words with the same charset and encoding are joined before decoding, so a
 * character split across two words comes out whole; a word with an RFC 2231 language suffix is
 * libmime's, whose joining compares the suffixes too.
 */
const decodeNatively = (raw: string): string | undefined => {
  const groups: Array<{ charset: "utf-8" | "windows-1252"; encoding: string; text: string }> = []
  for (const [, name = "", language, encoding = "", text = ""] of raw.matchAll(WORD)) {
    const charset = NATIVE.get(name.toLowerCase())
    if (charset === undefined || language !== undefined) return undefined
    const upper = encoding.toUpperCase()
    const last = groups.at(-1)
    if (last !== undefined && last.charset === charset && last.encoding === upper) last.text += text
    else groups.push({ charset, encoding: upper, text })
  }
  let out = ""
  for (const { charset, encoding, text } of groups) {
    const decoded = nativeText(charset, encoding === "Q" ? qBytes(text) : bBytes(text))
    if (decoded === undefined) return raw
    out += decoded
  }
  return out
}

/**
 * Decodes a run of adjacent well-formed words (libmime joins same-charset neighbours first, so a
 * multi-byte character split across two words comes out whole). A replacement character that
 * was not in the input means the bytes were invalid in the declared charset: keep the raw text.
 */
const decodeRun = (raw: string): string => {
  const native = decodeNatively(raw)
  if (native !== undefined) return native
  try {
    const decoded = libmime().decodeWords(raw)
    return decoded.includes("\uFFFD") ? raw : decoded
  } catch {
    return raw
  }
}

/**
 * Decodes every RFC 2047 encoded word in `text`; plain text around the words is kept as is.
 * `undefined` (an IMAP NIL) stays `undefined`.
 *
 * @example
 * ```ts
 * import { EncodedWord } from "@pkg/protocol"
 *
 * assert.strictEqual(
 *   EncodedWord.decode("=?UTF-8?Q?interop_smoke_=E2=9C=93?= cyrus append #1"),
 *   "interop smoke ✓ cyrus append #1"
 * )
 * ```
 */
export const decode = (text: string | undefined): string | undefined => {
  if (text === undefined || !text.includes("=?")) return text
  let out = ""
  // The pending run: raw words (whitespace between them dropped) not yet handed to libmime.
  let run = ""
  let last = 0
  for (const match of text.matchAll(WORD)) {
    const [word, charset = "", , encoding = "", payload = ""] = match
    const start = match.index
    const between = text.slice(last, start)
    if (isWellFormed(charset, encoding, payload)) {
      if (run !== "" && LINEAR_WHITESPACE.test(between)) {
        run += word
      } else {
        if (run !== "") out += decodeRun(run)
        out += between
        run = word
      }
    } else {
      if (run !== "") out += decodeRun(run)
      run = ""
      out += between + word
    }
    last = start + word.length
  }
  if (run !== "") out += decodeRun(run)
  return out + text.slice(last)
}
