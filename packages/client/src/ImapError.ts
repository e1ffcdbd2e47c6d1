/**
 * The one error type of the client: `ImapError { reason }`, where each reason is a tagged class that
 * knows whether retrying (reconnecting) can help. This is what lets a caller write
 * `Effect.retry({ while: (e) => e.isRetryable, schedule })` and a watcher decide between
 * "reconnect with backoff" and "give up: the password is wrong".
 *
 * No reason ever holds a credential: commands are described by name and redacted trace only.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type { Refusal, Transient } from "./Throttling.ts"

/**
 * What a thrown value or a system error says, for an error message: an `Error`'s message, a
 * string as it is, anything else `unknown cause` (never an `[object Object]`).
 */
export const causeMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown cause"

/** A file (or stdin) the user named that could not be read: which, and the system's reason. */
export const cannotRead = (what: string, cause: unknown): string => `cannot read ${what}: ${causeMessage(cause)}`

/** A server's wait as a person reads it: `retry after 300 s` (whole seconds, rounded up). */
export const retryAfterText = (d: Duration.Duration): string => `retry after ${Math.ceil(Duration.toSeconds(d))} s`

/** A server's refusal as a person reads it: `NO [OVERQUOTA] Quota exceeded`. */
export const replyText = (status: string, code: string | undefined, text: string): string =>
  `${status}${code ? ` [${code}]` : ""} ${text}`

const waitText = (d: Duration.Duration | undefined): string => (d === undefined ? "" : ` (${retryAfterText(d)})`)

/** TCP could not be established (refused, unreachable, DNS): the server may come back. */
export class ConnectionFailed extends Data.TaggedError("ConnectionFailed")<{
  readonly host: string
  readonly port: number
  readonly message: string
  readonly cause?: unknown
}> {
  get isRetryable(): boolean {
    return true
  }
}

/** An established connection ended without a BYE (reset, EOF, network cut). */
export class ConnectionClosed extends Data.TaggedError("ConnectionClosed")<{
  readonly message: string
  readonly cause?: unknown
}> {
  get isRetryable(): boolean {
    return true
  }
}

/** TLS handshake or certificate verification failed; retrying would fail the same way. */
export class TlsFailed extends Data.TaggedError("TlsFailed")<{
  readonly message: string
  readonly cause?: unknown
}> {
  get isRetryable(): boolean {
    return false
  }
}

/** What timed out: connecting, the greeting, a command, or LOGOUT. */
export type TimeoutPhase = "connect" | "greeting" | "command" | "idle" | "logout"

/** A phase did not finish within its deadline; the connection is treated as dead. */
export class Timeout extends Data.TaggedError("Timeout")<{
  readonly phase: TimeoutPhase
  readonly millis: number
  readonly command?: string | undefined
}> {
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `${this.phase} timed out after ${this.millis} ms${this.command ? ` (${this.command})` : ""}`
  }
}

/**
 * The server sent bytes the codec rejects, or a response that breaks the protocol (an unknown tag,
 * an unexpected continuation). The connection cannot be trusted after it; a new one may be fine.
 */
export class ProtocolFailed extends Data.TaggedError("ProtocolFailed")<{
  readonly message: string
  /** Printable excerpt of the offending bytes (never holds what the client sent). */
  readonly excerpt: string
  readonly cause?: unknown
}> {
  get isRetryable(): boolean {
    return true
  }
}

/** A command completed with NO or BAD. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  /** The command name, e.g. `UID FETCH` (never its arguments: they may hold user data). */
  readonly command: string
  readonly status: "NO" | "BAD"
  /** The response code atom if any, e.g. `TRYCREATE`, `NONEXISTENT`. */
  readonly code: string | undefined
  readonly text: string
}> {
  get isRetryable(): boolean {
    // RFC 5530: a server bug may be passing, and an implementation LIMIT ("Mailbox name too long",
    // "Too many IDLE sessions") may or may not be; neither is throttling. Refusals that mean "later"
    // (UNAVAILABLE, INUSE, throttling texts) never get here: Throttling.ts makes them `Throttled`.
    return this.code === "SERVERBUG" || this.code === "LIMIT"
  }
  override get message(): string {
    return `${this.command} failed: ${replyText(this.status, this.code, this.text)}`
  }
}

/** The server said BYE (shutdown, idle timeout, kicked by an admin, too many connections). */
export class ServerBye extends Data.TaggedError("ServerBye")<{
  readonly text: string
  readonly code: string | undefined
  /** The wait the server asked for before coming back (a throttling BYE: Throttling.ts), if any. */
  readonly retryAfter?: Duration.Duration | undefined
}> {
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `server closed the connection: ${this.text}${waitText(this.retryAfter)}`
  }
}

/**
 * The server refused for now, not for good: throttling (Microsoft 365 "Request is throttled", Gmail
 * "Too many simultaneous connections", `[OVERQUOTA]` on a read), or an RFC 5530 `[UNAVAILABLE]` or
 * `[INUSE]`. Decided by `Throttling.classify`; retrying later can succeed, after
 * `retryAfter` when the server named a wait.
 */
export class Throttled extends Data.TaggedError("Throttled")<Refusal & Transient> {
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    const what = this.command ?? "connection"
    return `${what} refused for now: ${replyText(this.status, this.code, this.text)}${waitText(this.retryAfter)}`
  }
}

/**
 * The access token provider (ImapConfig `OAuth2`) gave no token: its endpoint is down, a token
 * command failed, a token file is missing. Retryable unless the provider says otherwise: most such
 * failures are network faults that pass, like `ConnectionFailed`; the provider knows when one is
 * final (a revoked refresh token) and says `retryable: false`. The message never holds a token.
 */
export class TokenUnavailable extends Data.TaggedError("TokenUnavailable")<{
  readonly message: string
  readonly retryable?: boolean | undefined
  readonly cause?: unknown
}> {
  get isRetryable(): boolean {
    return this.retryable !== false
  }
}

/**
 * Credentials were refused. Retrying with the same credentials cannot help; a refusal that means
 * "later" (`[UNAVAILABLE]`, too many connections) is `Throttled` instead (Throttling.ts).
 */
export class AuthenticationFailed extends Data.TaggedError("AuthenticationFailed")<{
  readonly mechanism: string
  readonly code: string | undefined
  readonly text: string
}> {
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `authentication (${this.mechanism}) failed${this.code ? ` [${this.code}]` : ""}: ${this.text}`
  }
}

/** A command was asked for in a protocol state that does not allow it; nothing was sent. */
export class InvalidState extends Data.TaggedError("InvalidState")<{
  readonly command: string
  readonly state: string
  readonly expected: ReadonlyArray<string>
}> {
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.command} is not allowed in state ${this.state} (needs ${this.expected.join(" or ")})`
  }
}

/** The server lacks a capability the operation needs (and there is no fallback). */
export class MissingCapability extends Data.TaggedError("MissingCapability")<{
  readonly capability: string
  readonly operation: string
}> {
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.operation} needs the server capability ${this.capability}`
  }
}

/** A user-supplied value cannot be put on the wire safely (e.g. CR/LF in a flag). Nothing was sent. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The mailbox's UIDVALIDITY is not the one a checkpoint was taken under (the mailbox was recreated
 * or its UIDs renumbered): every remembered UID is void. Reconnecting cannot change that.
 */
export class UidValidityChanged extends Data.TaggedError("UidValidityChanged")<{
  readonly mailbox: string
  readonly previous: number
  readonly current: number
}> {
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `UIDVALIDITY of ${this.mailbox} changed from ${this.previous} to ${this.current}`
  }
}

/** Every reason an `ImapError` can have. */
export type ImapErrorReason =
  | ConnectionFailed
  | ConnectionClosed
  | TlsFailed
  | Timeout
  | ProtocolFailed
  | CommandFailed
  | ServerBye
  | Throttled
  | TokenUnavailable
  | AuthenticationFailed
  | InvalidState
  | MissingCapability
  | InvalidInput
  | UidValidityChanged

/**
 * The one error of the client. `reason` says what failed (a tagged class per case) and
 * `isRetryable` whether trying again may help.
 */
export class ImapError extends Data.TaggedError("ImapError")<{
  readonly reason: ImapErrorReason
}> {
  get isRetryable(): boolean {
    return this.reason.isRetryable
  }
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.message}`
  }
}

/** The wait the server asked for before trying again, when the reason carries one. */
export const retryAfter = (error: ImapError): Duration.Duration | undefined =>
  error.reason._tag === "Throttled" || error.reason._tag === "ServerBye" ? error.reason.retryAfter : undefined

/** Wraps a reason; `yield* fail(new Timeout(...))` reads well at call sites. */
export const fromReason = (reason: ImapErrorReason): ImapError => new ImapError({ reason })

/** True for an `ImapError`, whatever its reason. */
export const isImapError = (u: unknown): u is ImapError => u instanceof ImapError
