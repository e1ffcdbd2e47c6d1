/**
 * Exit codes of the `imap` tool and the one place that decides them: from an `ImapError` reason, a
 * usage error (ours or effect/cli's), or anything else. Also the process teardown given to
 * `NodeRuntime.runMain`, which by default exits 1 on a CLI usage error and 130 on SIGINT.
 */
import { ImapError } from "@pkg/client"
import { Cause, Data, Exit, type Runtime } from "effect"
import { CliError } from "effect/cli"

/** Exit code 0: the command did what was asked. */
export const Success = 0
/** Exit code 1: any failure with no more specific code. */
export const Failure = 1
/** Exit code 2: a bad command line (unknown flag, invalid value, missing argument). */
export const Usage = 2
/** Exit code 3: the server refused the credentials, or no token could be had. */
export const Authentication = 3
/** Exit code 4: the connection failed, dropped, timed out, or the server said BYE. */
export const Connection = 4
/** Exit code 5: the server refused the command (NO or BAD), or lacks a needed capability. */
export const Rejected = 5
/**
 * sysexits.h EX_TEMPFAIL: "a temporary failure; the user is invited to retry". Mail tools and
 * service managers already read 75 as "try again later", which is what a throttling server says.
 */
export const TryLater = 75
/** Exit code 130: stopped by SIGINT or SIGTERM (128 + SIGINT). */
export const Interrupted = 130

/** The table printed in `imap --help` and the README. */
export const table: ReadonlyArray<readonly [number, string]> = [
  [Success, "success"],
  [
    Usage,
    "usage or configuration error (bad flag, missing host/user/password, password and token both set, unreadable file)"
  ],
  [Authentication, "authentication failed, or no access token could be had (token file or command failed)"],
  [Connection, "connection or TLS failure, including timeouts and the server closing the connection"],
  [Rejected, "command rejected by the server (NO/BAD, not allowed in this state, missing capability)"],
  [TryLater, "the server is throttling or busy (too many connections, rate limit): try again later"],
  [Failure, "anything else"]
]

/** A mistake in how the tool was invoked or configured, found by us rather than by effect/cli. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** The operation could not be done, for a reason that is neither usage, connection nor server refusal. */
export class OperationFailed extends Data.TaggedError("OperationFailed")<{ readonly message: string }> {}

/** The exit code for a failure with this `ImapError` reason. */
export const ofReason = (reason: ImapError.ImapErrorReason): number => {
  switch (reason._tag) {
    case "AuthenticationFailed":
    case "TokenUnavailable":
      return Authentication
    case "Throttled":
      return TryLater
    case "ConnectionFailed":
    case "ConnectionClosed":
    case "TlsFailed":
    case "Timeout":
    case "ServerBye":
      return Connection
    case "CommandFailed":
    case "InvalidState":
      return Rejected
    case "MissingCapability":
      // A server without STARTTLS cannot give the connection that was asked for.
      return reason.operation === "connect" ? Connection : Rejected
    case "InvalidInput":
      return Usage
    case "ProtocolFailed":
    case "UidValidityChanged":
      return Failure
  }
}

/** The exit code for any failure `imap` can end with. */
export const of = (error: unknown): number => {
  if (ImapError.isImapError(error)) return ofReason(error.reason)
  if (error instanceof UsageError) return Usage
  // effect/cli: a parse error, or `imap` without a subcommand (ShowHelp with no errors).
  if (CliError.isCliError(error)) return Usage
  return Failure
}

let interruptCode = Interrupted

/** `watch` runs until stopped: SIGINT/SIGTERM is its normal way to end. */
export const treatInterruptAsSuccess = (): void => {
  interruptCode = Success
}

/**
 * The teardown for `runMain`: 0 on success, 130 on interruption (0 for `watch`, see
 * `treatInterruptAsSuccess`), else the code `of` gives for the failure.
 */
export const teardown: Runtime.Teardown = (exit, onExit) => {
  if (Exit.isSuccess(exit)) return onExit(Success)
  if (Cause.hasInterruptsOnly(exit.cause)) return onExit(interruptCode)
  return onExit(of(Cause.squash(exit.cause)))
}
