/**
 * RFC 2047 encoded words (`=?charset?B|Q?text?=`) in ENVELOPE subjects and display names.
 *
 * This module owns finding the words and deciding which ones to trust; the byte decoding and
 * every charset (ISO-2022-JP, windows-125x, GB2312, KOI8-R, ...) are libmime's (iconv-lite and
 * encoding-japanese underneath), so there are no charset tables here.
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

/**
 * Decodes a run of adjacent well-formed words (libmime joins same-charset neighbours first, so a
 * multi-byte character split across two words comes out whole). A replacement character that
 * was not in the input means the bytes were invalid in the declared charset: keep the raw text.
 */
const decodeRun = (raw: string): string => {
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
