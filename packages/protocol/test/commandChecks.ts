/**
 * Checks for the command property tests (CommandRoundTrip.test.ts): deep equality that sees
 * through `Redacted` secrets, and the byte scanner for the encoder's one safety rule.
 */
import { Redacted } from "effect"
import type * as Command from "../src/Command.ts"

/** Replaces `Redacted` secrets by their values so that deep equality compares what was sent. */
export const reveal = (c: Command.Command): unknown => {
  if (c._tag === "Login") return { ...c, password: { revealed: Redacted.value(c.password) } }
  if (c._tag === "Authenticate" && c.initialResponse !== undefined) {
    return { ...c, initialResponse: { revealed: Redacted.value(c.initialResponse) } }
  }
  return c
}

/**
 * Checks the encoder's rule on a whole command: CR and LF appear only as the CRLF that ends the
 * command or a literal marker line (`{n}`, `{n+}`, `~{n}`), NUL never outside a literal body, and
 * literal bodies (skipped by their announced length) end exactly where the next text begins.
 * Returns a description of the first violation, or undefined.
 */
export const crlfViolation = (bytes: Uint8Array): string | undefined => {
  let i = 0
  let lineStart = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b === 0) return `NUL at ${i}`
    if (b === 0x0a) return `bare LF at ${i}`
    if (b === 0x0d) {
      if (bytes[i + 1] !== 0x0a) return `bare CR at ${i}`
      let line = ""
      for (let j = Math.max(lineStart, i - 24); j < i; j++) line += String.fromCharCode(bytes[j]!)
      const m = /~?\{([0-9]+)\+?\}$/.exec(line)
      i += 2
      if (m === null) return i === bytes.length ? undefined : `CRLF in the middle of the command at ${i - 2}`
      i += Number(m[1])
      if (i > bytes.length) return "literal runs past the end"
      lineStart = i
      continue
    }
    i++
  }
  return "no final CRLF"
}
