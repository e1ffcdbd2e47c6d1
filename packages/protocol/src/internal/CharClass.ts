/**
 * The character classes of RFC 9051 9, and the quoted form, for text this package writes or checks
 * (commands, encoded responses, sequence sets), strictly: ASCII only, since 8-bit bytes are not CHAR
 * and never make an atom. The response reader keeps its own table (`Reader.ts`), which also admits
 * bytes >= 0x80 into atoms so that a server writing raw UTF-8 into one does not fail the line.
 */

/** ATOM-CHAR: any CHAR except atom-specials `(` `)` `{` SP CTL `%` `*` `"` `\` `]`. */
export const isAtomChar = (code: number): boolean =>
  code > 0x20 &&
  code < 0x7f &&
  code !== 0x28 && // (
  code !== 0x29 && // )
  code !== 0x7b && // {
  code !== 0x25 && // %
  code !== 0x2a && // *
  code !== 0x22 && // "
  code !== 0x5c && // \
  code !== 0x5d // ]

/** ASTRING-CHAR: ATOM-CHAR or `]` (resp-specials). */
export const isAstringChar = (code: number): boolean => isAtomChar(code) || code === 0x5d

/** list-char: ATOM-CHAR, list-wildcards `%` `*`, or resp-specials `]` (LIST's mailbox pattern). */
export const isListChar = (code: number): boolean => isAstringChar(code) || code === 0x25 || code === 0x2a

export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39

/** ALPHA (RFC 5234): an ASCII letter, either case. */
export const isAlpha = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)

/** The characters a sequence-set is written in: digits, `:`, `,` and `*`. */
export const isSetChar = (code: number): boolean => isDigit(code) || code === 0x3a || code === 0x2c || code === 0x2a

/** A character a quoted string carries as itself or escaped: printable ASCII (controls need a literal). */
export const isQuotableChar = (code: number): boolean => code >= 0x20 && code <= 0x7e

const quotedSpecials = /["\\]/g

/** `s` as a quoted string, its quoted-specials `"` and `\` escaped (RFC 9051 9 `quoted`). */
export const quote = (s: string): string => `"${s.replace(quotedSpecials, "\\$&")}"`

/** `s` is non-empty and every character satisfies `pred` (1*CHAR-CLASS). */
export const every = (s: string, pred: (code: number) => boolean): boolean => {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false
  return true
}
