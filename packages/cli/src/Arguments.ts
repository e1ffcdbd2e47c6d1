/**
 * The limits IMAP puts on values typed on the command line, checked before connecting: a value the
 * protocol cannot carry is a usage error (exit 2) said in the user's terms, not a refusal found
 * after logging in. Values any string can be (search text, header names) need no check here: the
 * encoder quotes them or sends them as a literal.
 */
import { Watcher } from "@pkg/client"
import { Flag as ImapFlag, SequenceSet } from "@pkg/protocol"

/** A UID is an nz-number, 1..4294967295 (RFC 9051 2.3.1.1, 9 `uniqueid`). */
export const isUid = (n: number): boolean => SequenceSet.isValidNumber(n)

/** `--since-uid N` asks for UIDs above N: the watcher's own rule (0..4294967294). */
export const isSinceUid = Watcher.isSinceUid

/**
 * What is wrong with a flag for `--flags`, or undefined: a keyword is an atom, a system flag a
 * backslash and an atom (RFC 9051 2.3.2, 9 `flag`), so no space, parenthesis, quote, brace, `%`,
 * `*`, `]` or control character.
 */
export const flagProblem = (flag: string): string | undefined =>
  ImapFlag.isValid(flag)
    ? undefined
    : `not a flag or keyword: ${JSON.stringify(flag)} (an atom: no space, ( ) { " % * ] or control characters)`

/** Characters RFC 9051 5.1 forbids in a mailbox name: C0, DEL, C1, LINE and PARAGRAPH SEPARATOR. */
const forbiddenInMailbox = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** What is wrong with a mailbox name for `--mailbox`, or undefined. */
export const mailboxProblem = (name: string): string | undefined => {
  if (name === "") return "the mailbox name is empty"
  const bad = forbiddenInMailbox.exec(name)
  return bad === null
    ? undefined
    : `${JSON.stringify(name)} has the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}, which a mailbox name cannot have (RFC 9051 5.1)`
}
