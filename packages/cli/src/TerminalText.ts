/**
 * Text that someone else chose (a subject, a sender's name, a mailbox name, a server's NO text),
 * made safe to print on a terminal. A terminal obeys control characters wherever they come from:
 * `ESC ] 0 ; ... BEL` retitles the window, CSI sequences recolour, move or clear it, and the C1
 * control U+009B is a one-character CSI on terminals that honour 8-bit controls (xterm). The
 * bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) reorder what
 * follows them on the line, so a sender's name could make the rest of a line read backwards or
 * pass for another sender (the "Trojan Source" characters, CVE-2021-42574).
 *
 * Each of them is shown as an escape instead (`\x1b`, `\x9b`, `\u202e`), so the reader sees that it
 * was there and nothing is lost; everything else (accents, CJK, emoji and their joiners) is left
 * alone. A backslash is not escaped: `\Seen` stays readable, and an ambiguity between a typed `\x1b`
 * and an escaped ESC harms nobody.
 *
 * Left alone on purpose: the implicit marks U+200E, U+200F and U+061C (right-to-left text needs
 * them, and they steer only the neutral characters next to them, as any Hebrew or Arabic letter
 * does), and U+2028/U+2029 (terminals do not break lines on them).
 */

/** DEL, the C1 controls (with C0, Unicode's Cc), and the bidi embeddings, overrides and isolates. */
const beyondC0 = "\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069"
const unsafe = new RegExp(`[\\u0000-\\u001f${beyondC0}]`, "g")
/** What `text` escapes: the same less LF and tab. */
const unsafeInText = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${beyondC0}]`, "g")
/** What `json` escapes: `JSON.stringify` has done C0. */
const unsafeInJson = new RegExp(`[${beyondC0}]`, "g")

/** `\x1b` below U+0100, `\u202e` above: JavaScript's own spelling of the character. */
const visible = (c: string): string => {
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
}

/**
 * One field of a one-line record (a subject, a name, a mailbox): runs of tab, CR and LF become one
 * space, as a folded header would read and so the record's tabs stay its separators; every other
 * control and bidi control is escaped.
 */
export const field = (text: string): string => text.replace(/[\t\r\n]+/g, " ").replace(unsafe, visible)

/**
 * Lines of text (an error message, a stack trace): LF and tab are kept, CRLF becomes LF, and every
 * other control (a lone CR would let a line overwrite itself) and bidi control is escaped.
 */
export const text = (text: string): string => text.replace(/\r\n/g, "\n").replace(unsafeInText, visible)

/**
 * JSON text from `JSON.stringify`, which escapes C0 controls but leaves DEL, C1 and the bidi
 * controls raw: those become `\u` escapes too, which every JSON reader decodes back to the same
 * string. Outside strings `JSON.stringify` writes only ASCII, so only string contents change.
 */
export const json = (jsonText: string): string =>
  jsonText.replace(unsafeInJson, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
