/**
 * Turns a failed command into one line on stderr, `imap: <what went wrong>`, worded for the person
 * at the terminal (with a hint where one helps); the full cause only with `--trace`.
 */
import { Checkpoint, ImapError } from "@pkg/client"
import { Cause, Effect } from "effect"
import { OperationFailed, UsageError } from "./ExitCode.ts"
import * as Output from "./Output.ts"

/** A file (or stdin) the user named that could not be read: which, and the system's reason. */
export const cannotRead: (what: string, cause: unknown) => string = ImapError.cannotRead

const tlsHint = (message: string): string =>
  /CERT|SELF_SIGNED|certificate/i.test(message)
    ? " (trust a private CA with --ca-file FILE, or skip the check with --insecure)"
    : ""

/** "server is throttling: retry after 300 s (LOGIN: NO Request is throttled. ...)". */
const throttled = (r: ImapError.Throttled): string => {
  const wait = r.retryAfter === undefined ? "" : `: ${ImapError.retryAfterText(r.retryAfter)}`
  return `server is throttling${wait} (${r.command ?? "greeting"}: ${ImapError.replyText(r.status, r.code, r.text)})`
}

export const describeImapError = (error: ImapError.ImapError): string => {
  const r = error.reason
  switch (r._tag) {
    case "ConnectionFailed":
      return `cannot connect to ${r.host}:${r.port}: ${r.message}`
    case "ConnectionClosed":
      return `connection lost: ${r.message}`
    case "TlsFailed":
      return `TLS failed: ${r.message}${tlsHint(r.message)}`
    case "Timeout":
      return `timed out: ${r.message}`
    case "AuthenticationFailed":
      return `login failed: ${r.message}`
    case "TokenUnavailable":
      return `no access token: ${r.message}`
    case "Throttled":
      return throttled(r)
    case "ProtocolFailed":
      return `protocol error: ${r.message}${r.excerpt ? ` (${r.excerpt})` : ""}`
    default:
      return r.message
  }
}

export const describe = (error: unknown): string => {
  if (ImapError.isImapError(error)) return describeImapError(error)
  if (error instanceof UsageError || error instanceof OperationFailed) return error.message
  if (error instanceof Checkpoint.CheckpointError) return `checkpoint: ${error.message}`
  if (error instanceof Error) return `unexpected error: ${error.message}`
  return `unexpected error: ${String(error)}`
}

/** Prints the failure of `self` (not an interruption) and lets it propagate for the exit code. */
export const report =
  (trace: boolean) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tapCause(self, (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.void
      const line = Output.stderr(`imap: ${describe(Cause.squash(cause))}`)
      return trace ? Effect.andThen(line, Output.stderr(Cause.pretty(cause))) : line
    })
