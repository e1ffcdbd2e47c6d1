/**
 * LIST patterns (RFC 9051 6.3.9): `*` matches any characters, `%` any but the hierarchy delimiter;
 * the reference is prefixed to the pattern. INBOX matches case-insensitively.
 */

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** True when mailbox `name` matches `reference` + `pattern` under `delimiter`. */
export const matches = (name: string, reference: string, pattern: string, delimiter: string): boolean => {
  const full = reference + pattern
  let source = "^"
  for (const ch of full) {
    if (ch === "*") source += ".*"
    else if (ch === "%") source += `[^${escapeRegExp(delimiter)}]*`
    else source += escapeRegExp(ch)
  }
  const re = new RegExp(`${source}$`)
  return re.test(name) || (name === "INBOX" && new RegExp(`${source}$`, "i").test(name))
}

/** True when another mailbox lies under `name` (for \HasChildren / \HasNoChildren). */
export const hasChildren = (name: string, all: Iterable<string>, delimiter: string): boolean => {
  for (const other of all) if (other.startsWith(name + delimiter)) return true
  return false
}
