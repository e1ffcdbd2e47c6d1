/**
 * Header fields of raw message bytes, for SEARCH (HEADER, FROM, SUBJECT, SENT*): the header block
 * up to the first empty line, folded lines unfolded (RFC 5322 2.2.3), encoded words decoded.
 */
import { EncodedWord } from "@pkg/protocol"

const latin1 = new TextDecoder("latin1")
const utf8 = new TextDecoder("utf-8")

/** Where the body starts: after the first CRLF CRLF (or LF LF), or the end when there is none. */
export const bodyOffset = (raw: Uint8Array): number => {
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 0x0a && raw[i + 1] === 0x0a) return i + 2
    if (raw[i] === 0x0d && raw[i + 1] === 0x0a && raw[i + 2] === 0x0d && raw[i + 3] === 0x0a) return i + 4
  }
  return raw.length
}

/** The header fields in order, names as sent, values unfolded and decoded. */
export const fields = (raw: Uint8Array): Array<{ readonly name: string; readonly value: string }> => {
  const text = utf8.decode(raw.subarray(0, bodyOffset(raw)))
  const out: Array<{ name: string; value: string }> = []
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue
    const last = out.at(-1)
    if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
      last.value += line
      continue
    }
    const colon = line.indexOf(":")
    if (colon <= 0) continue
    out.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() })
  }
  return out.map((f) => ({ name: f.name, value: EncodedWord.decode(f.value) ?? f.value }))
}

/** Every value of field `name` (case-insensitive), joined by newlines. */
export const field = (raw: Uint8Array, name: string): string | undefined => {
  const upper = name.toUpperCase()
  const values = fields(raw)
    .filter((f) => f.name.toUpperCase() === upper)
    .map((f) => f.value)
  return values.length === 0 ? undefined : values.join("\n")
}

/** The body as text for BODY/TEXT searches (raw, transfer encodings not undone). */
export const bodyText = (raw: Uint8Array): string => latin1.decode(raw.subarray(bodyOffset(raw)))
