/**
 * The one error of the incoming side of the codec (`Framer`, `ResponseParser`, `ResponseDecoder`):
 * bytes that cannot be a server response, or that break a configured limit.
 *
 * Choice: `Data.TaggedError`, not `Schema.TaggedError`. The parser throws it synchronously on
 * hostile input (the fuzz suite builds thousands), so construction must cost no more than an
 * `Error`; it carries a raw `Uint8Array` that has no business being validated; and it never crosses
 * a serialisation boundary by itself: the client wraps it as the protocol reason of its own
 * `ImapError`, which is where a Schema model belongs. It is still yieldable and has a `_tag`.
 */
import * as Data from "effect/Data"

export class ParseError extends Data.TaggedError("ParseError")<{
  readonly message: string
  /**
   * Where the problem is: an index into the frame for `ResponseParser.parse` (into the command for
   * `CommandParser.parse`, into the text's UTF-8 bytes for `SequenceSet.parse`), an absolute offset
   * in the byte stream (counted from the first byte pushed) for `Framer`.
   */
  readonly offset: number
  /** Printable excerpt around `offset`: CR, LF, TAB, other control bytes and bytes >= 0x80 escaped. */
  readonly excerpt: string
  /**
   * The offending frame. The parser passes the frame itself (a view, no copy); the framer passes a
   * copy of at most the first 64 KiB of the incomplete frame so that a hostile 1 GiB line is not
   * kept alive by an error value.
   */
  readonly bytes?: Uint8Array | undefined
}> {}

const HEX = "0123456789abcdef"

/**
 * Escapes `bytes[from, to)` into printable ASCII (`\r`, `\n`, `\t`, `\\`, `\xNN`), losslessly: an
 * excerpt is evidence of what the server sent, so every byte can be read back from it (a backslash is
 * doubled, every byte >= 0x7f is escaped). Not the same rule as the client's `Trace.printable`, which
 * is for reading a wire log (`\Seen` left as is, bytes 0xa0..0xff shown as Latin-1 characters), nor
 * the CLI's `AccessToken.stderrExcerpt`, which folds another program's text into one lossy line.
 */
export const escapeBytes = (bytes: Uint8Array, from: number, to: number): string => {
  let out = ""
  const end = Math.min(to, bytes.length)
  for (let i = Math.max(0, from); i < end; i++) {
    const c = bytes[i]!
    if (c === 0x0d) out += "\\r"
    else if (c === 0x0a) out += "\\n"
    else if (c === 0x09) out += "\\t"
    else if (c === 0x5c) out += "\\\\"
    else if (c < 0x20 || c >= 0x7f) out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`
    else out += String.fromCharCode(c)
  }
  return out
}

/** Bytes shown before and after the offending position in an excerpt. */
const BEFORE = 32
const AFTER = 48

/** The excerpt for a problem at `at` in `bytes`: a window around it, `...` marking cut ends. */
export const excerptAt = (bytes: Uint8Array, at: number): string => {
  const from = Math.max(0, at - BEFORE)
  const to = Math.min(bytes.length, at + AFTER)
  return (from > 0 ? "..." : "") + escapeBytes(bytes, from, to) + (to < bytes.length ? "..." : "")
}
