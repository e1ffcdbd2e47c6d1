/**
 * The protocol trace: what went over the wire, for `--trace` and debugging. Client lines come
 * from the encoder's `trace` rendering, where credentials are already `<redacted>`; server lines are
 * the received frames, made printable and cut short (a 20 MB literal is not a trace line).
 */

export type TraceSink = (direction: "C" | "S", line: string) => void

const maxTraceChars = 400

/**
 * Printable rendering of received bytes: control characters escaped, long frames abbreviated. Each
 * byte becomes one character (Latin-1), so bytes 0x80..0x9F would become the C1 controls
 * U+0080..U+009F, which some terminals obey (U+009B is a CSI): they are escaped like C0.
 * Made for reading a wire log, so not `ParseError.escapeBytes` (lossless evidence: `\\Seen`, every
 * 8-bit byte as `\xNN`): here `\Seen` stays as sent and 0xa0..0xff show as one character each.
 */
export const printable = (bytes: Uint8Array, max: number = maxTraceChars): string => {
  const n = Math.min(bytes.length, max)
  let out = ""
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!
    if (c === 0x0d && bytes[i + 1] === 0x0a && i + 2 === bytes.length) break
    if (c === 0x0d) out += "\\r"
    else if (c === 0x0a) out += "\\n"
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, "0")}`
    else out += String.fromCharCode(c)
  }
  return bytes.length > max ? `${out}... (${bytes.length} bytes)` : out
}

/** A sink that writes `C: ...` / `S: ...` lines to stderr. */
export const stderr: TraceSink = (direction, line) => {
  process.stderr.write(`${direction}: ${line}\n`)
}
