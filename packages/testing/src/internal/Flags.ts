/**
 * Flag updates (STORE, RFC 9051 6.4.6) and the flags a mailbox announces. `\Recent` is the server's
 * alone: a client can neither set nor clear it (RFC 3501 2.3.2).
 */
import type { Command } from "@pkg/protocol"

/** The system flags every mailbox has (RFC 9051 2.3.2), as FLAGS and PERMANENTFLAGS list them. */
export const systemFlags: ReadonlyArray<string> = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]

/** Flags compare case-insensitively (RFC 9051 2.3.2); the first spelling a message got is kept. */
const has = (flags: ReadonlySet<string>, flag: string): string | undefined => {
  const upper = flag.toUpperCase()
  for (const f of flags) if (f.toUpperCase() === upper) return f
  return undefined
}

/** A message's flags after a STORE of `flags` in `mode`. */
export const update = (
  current: ReadonlySet<string>,
  mode: Command.StoreMode,
  flags: ReadonlyArray<string>
): ReadonlySet<string> => {
  const settable = flags.filter((f) => f.toUpperCase() !== "\\RECENT")
  const recent = has(current, "\\Recent")
  switch (mode) {
    case "replace": {
      const out = new Set<string>()
      for (const f of settable) if (has(out, f) === undefined) out.add(f)
      if (recent !== undefined) out.add(recent)
      return out
    }
    case "add": {
      const out = new Set(current)
      for (const f of settable) if (has(out, f) === undefined) out.add(f)
      return out
    }
    case "remove": {
      const out = new Set(current)
      for (const f of settable) {
        const found = has(out, f)
        if (found !== undefined) out.delete(found)
      }
      return out
    }
  }
}

/** True when both sets hold the same flags (case-insensitively). */
export const same = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((f) => has(b, f) !== undefined)

/** True when `flags` holds `flag` (case-insensitively). */
export const includes = (flags: ReadonlySet<string>, flag: string): boolean => has(flags, flag) !== undefined

/** The keywords (non-system flags) used in a mailbox, after the system flags: what FLAGS announces. */
export const announced = (messages: Iterable<{ readonly flags: ReadonlySet<string> }>): Array<string> => {
  const out = [...systemFlags]
  const seen = new Set(out.map((f) => f.toUpperCase()))
  for (const m of messages)
    for (const f of m.flags) {
      if (f.startsWith("\\") || seen.has(f.toUpperCase())) continue
      seen.add(f.toUpperCase())
      out.push(f)
    }
  return out
}
