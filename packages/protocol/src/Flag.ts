/**
 * Message flags (RFC 9051 2.3.2): the system flags, the registered `$` keywords, and keyword syntax.
 * Flags are plain strings everywhere (as the response parser produces them); this module says which
 * strings are safe to send. A keyword is an atom, so it can never carry a space, parenthesis, quote,
 * CR or LF: the encoder refuses anything `isValid` rejects instead of quoting it.
 */
import * as CharClass from "./internal/CharClass.ts"

export const Seen = "\\Seen"
export const Answered = "\\Answered"
export const Flagged = "\\Flagged"
export const Deleted = "\\Deleted"
export const Draft = "\\Draft"
/** Session flag set by the server; a client cannot STORE it (RFC 3501 2.3.2; gone in IMAP4rev2). */
export const Recent = "\\Recent"

export type SystemFlag = typeof Seen | typeof Answered | typeof Flagged | typeof Deleted | typeof Draft | typeof Recent

export const systemFlags: ReadonlyArray<SystemFlag> = [Seen, Answered, Flagged, Deleted, Draft, Recent]

/** Registered keywords (RFC 9051 2.3.2, IANA "IMAP Keywords"). */
export const Forwarded = "$Forwarded"
export const MDNSent = "$MDNSent"
export const Junk = "$Junk"
export const NotJunk = "$NotJunk"
export const Phishing = "$Phishing"

/**
 * ATOM-CHAR: any CHAR except atom-specials `(` `)` `{` SP CTL `%` `*` `"` `\` `]` (RFC 9051 9).
 * 8-bit bytes are not CHAR, so non-ASCII never makes an atom.
 */
export const isAtomChar: (code: number) => boolean = CharClass.isAtomChar

/** 1*ATOM-CHAR. */
export const isAtom = (s: string): boolean => CharClass.every(s, isAtomChar)

/** A keyword (flag-keyword): an atom; it cannot start with `\`, which is excluded from atoms anyway. */
export const isKeyword = (s: string): boolean => isAtom(s)

const systemByUpper: ReadonlyMap<string, SystemFlag> = new Map(systemFlags.map((f) => [f.toUpperCase(), f]))

/** True for the six system flags, in any case (flag names are case-insensitive, RFC 9051 2.3.2). */
export const isSystemFlag = (s: string): boolean => systemByUpper.has(s.toUpperCase())

/** `\` followed by an atom: a system flag or a flag-extension such as `\Important`. */
export const isBackslashFlag = (s: string): boolean => s.startsWith("\\") && isAtom(s.slice(1))

/** A flag that may appear in STORE, APPEND or a SEARCH KEYWORD: a keyword or `\`+atom. */
export const isValid = (s: string): boolean => isKeyword(s) || isBackslashFlag(s)

/** System flags in their canonical spelling (`\SEEN` becomes `\Seen`); any other flag unchanged. */
export const normalize = (s: string): string => systemByUpper.get(s.toUpperCase()) ?? s

/** Case-insensitive flag equality. */
export const equals = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase()

/** True if `flags` holds `flag`, compared case-insensitively. */
export const has = (flags: ReadonlyArray<string>, flag: string): boolean => flags.some((f) => equals(f, flag))
