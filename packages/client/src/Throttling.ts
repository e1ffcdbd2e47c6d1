/**
 * Which refusals mean "later", not "never": the one place that reads a NO/BAD tagged reply, a BYE
 * or a refused greeting and decides whether it is throttling (or another passing refusal), and
 * what wait the server asked for. The connection, the handshake and authentication all call it.
 *
 * What servers send (docs/servers.md, "Refusals that mean 'try later'"): Microsoft 365 `NO Request is throttled.
 * Suggested Backoff Time: 299609 milliseconds` (also as BAD) and "Server Unavailable"; Gmail
 * `NO [ALERT] Too many simultaneous connections. (Failure)` at LOGIN and `NO [OVERQUOTA] Account
 * exceeded command or bandwidth limits.` on FETCH; Dovecot `NO [UNAVAILABLE] Maximum number of
 * connections from user+IP exceeded`. RFC 5530 names UNAVAILABLE, INUSE and OVERQUOTA.
 */
import * as Duration from "effect/Duration"
import { AuthenticationFailed, CommandFailed, type ImapErrorReason, ServerBye, Throttled } from "./ImapError.ts"

/** A refusal as the server worded it. */
export interface Refusal {
  /** The refused command's name (`LOGIN`, `UID FETCH`); undefined for a greeting or unsolicited BYE. */
  readonly command: string | undefined
  readonly status: "NO" | "BAD" | "BYE"
  /** The response code atom, upper-cased (`UNAVAILABLE`, `OVERQUOTA`), if any. */
  readonly code: string | undefined
  readonly text: string
}

/** A refusal that passes: try again, after `retryAfter` when the server named a wait. */
export interface Transient {
  readonly retryAfter: Duration.Duration | undefined
}

/**
 * RFC 5530 codes that say "not now" whatever the command (and Gmail's THROTTLED). Not LIMIT: RFC
 * 5530 3 means an implementation limit ("Mailbox name too long"), which waiting does not lift; it
 * stays a (retryable) `CommandFailed`, as before.
 */
const transientCodes: ReadonlySet<string> = new Set(["UNAVAILABLE", "INUSE", "THROTTLED"])

/**
 * OVERQUOTA on these means the target mailbox is full (RFC 5530 3): waiting does not empty it. On
 * any other command it is Gmail's bandwidth limit, which passes.
 */
const fillsAMailbox: ReadonlySet<string> = new Set(["APPEND", "COPY", "MOVE", "UID COPY", "UID MOVE"])

/** Texts of providers that say "later" without a code (case-insensitive). */
const transientTexts: ReadonlyArray<RegExp> = [
  /\brequest is throttled\b/i,
  /\bserver unavailable\b/i,
  /\btoo many (?:simultaneous |concurrent )?connections\b/i,
  /\bmaximum number of connections\b/i,
  /\bexceeded command or bandwidth limits\b/i,
  /\[THROTTLED\]/i,
  /\btry again later\b/i
]

/**
 * The longest wait taken from a server's text: a hostile or confused server naming a year must not
 * park a watcher for a year. Microsoft 365 asks for about 5 minutes.
 */
export const maxRetryAfter: Duration.Duration = Duration.hours(1)

const units: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000
}

const retryAfterPattern =
  /\b(?:backoff time|retry after|try again in|retry in|wait)\s*:?\s*(\d{1,12})\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|min)\b/i

/** "Suggested Backoff Time: 299609 milliseconds", "retry after 30 seconds", capped at `maxRetryAfter`. */
export const parseRetryAfter = (text: string): Duration.Duration | undefined => {
  const m = retryAfterPattern.exec(text)
  if (m === null) return undefined
  const millis = Number(m[1]) * units[m[2]!.toLowerCase()]!
  return Duration.min(Duration.millis(millis), maxRetryAfter)
}

/** Transient (and the wait asked for), or undefined when the refusal is final. */
export const classify = (r: Refusal): Transient | undefined => {
  const code = r.code?.toUpperCase()
  const transient =
    (code !== undefined && transientCodes.has(code)) ||
    (code === "OVERQUOTA" && !(r.command !== undefined && fillsAMailbox.has(r.command.toUpperCase()))) ||
    (code !== "OVERQUOTA" && transientTexts.some((p) => p.test(r.text)))
  return transient ? { retryAfter: parseRetryAfter(r.text) } : undefined
}

/**
 * The error reason for a NO/BAD tagged reply: `Throttled` when it passes, else what the command
 * fails with otherwise (`AuthenticationFailed` for a refused NO to authentication).
 */
export const tagged = (refusal: Refusal & { readonly status: "NO" | "BAD" }, authentication: string | undefined) => {
  const transient = classify(refusal)
  if (transient !== undefined) return new Throttled({ ...refusal, retryAfter: transient.retryAfter })
  const { command, status, code, text } = refusal
  return authentication !== undefined && status === "NO"
    ? new AuthenticationFailed({ mechanism: authentication, code, text })
    : new CommandFailed({ command: command ?? "", status, code, text })
}

/** A BYE ends the session either way (always retryable); a throttling one carries its wait. */
export const bye = (text: string, code: string | undefined): ImapErrorReason => {
  const retryAfter = classify({ command: undefined, status: "BYE", code, text })?.retryAfter
  return new ServerBye(retryAfter === undefined ? { text, code } : { text, code, retryAfter })
}

/**
 * A greeting that refuses the connection. BYE is the refusal RFC 9051 7.1.5 allows; a NO or BAD
 * greeting is outside the protocol, but when its words say "later" it is taken at its word.
 */
export const greeting = (status: "NO" | "BAD" | "BYE", text: string, code: string | undefined) => {
  if (status === "BYE") return bye(text, code)
  const transient = classify({ command: undefined, status, code, text })
  return transient === undefined
    ? undefined
    : new Throttled({ command: undefined, status, code, text, retryAfter: transient.retryAfter })
}
