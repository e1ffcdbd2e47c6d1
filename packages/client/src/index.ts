/**
 * `@pkg/client`: the Effect IMAP client.
 *
 * @module
 */

/** The `ImapClient` service: one authenticated session, as a layer or a scoped value. */
export * as ImapClient from "./ImapClient.ts"

/** Connection and authentication options, and reading them from the environment. */
export * as ImapConfig from "./ImapConfig.ts"

/** The one error of the client, whose `reason` says what failed and whether a retry can help. */
export * as ImapError from "./ImapError.ts"

/** The protocol state (not authenticated, authenticated, selected, logout) as a pure reducer. */
export * as SessionState from "./SessionState.ts"

/** Which refusals mean "try later" (throttling), and how long the server asked to wait. */
export * as Throttling from "./Throttling.ts"

/** Protocol traces with secrets redacted, for `--trace` and logs. */
export * as Trace from "./Trace.ts"

export type {
  /** What APPEND reports: the UIDVALIDITY and UID the message got (UIDPLUS), when the server says. */
  AppendResult,
  /** What COPY reports: source and destination UIDs (UIDPLUS), when the server says. */
  CopyResult,
  /** Options of `ImapSession.fetch`. */
  FetchOptions,
  /** One connected session and its operations; what `ImapClient.make` and the `ImapClient` service give. */
  ImapSession,
  /** A mailbox as `list` reports it: name, delimiter, attributes, special use, STATUS counters. */
  MailboxInfo,
  /** What MOVE reports: source and destination UIDs (UIDPLUS), and whether the source copies were expunged. */
  MoveResult,
  /** The server's namespaces (RFC 2342). */
  Namespaces
} from "./ImapSession.ts"

export type {
  /** What a UID SEARCH returns: the UIDs, or the MIN/MAX/COUNT summary asked for. */
  SearchResult,
  /** The ESEARCH summaries a search can ask for. */
  SearchReturn
} from "./Search.ts"

/** Where a watcher has got to in a mailbox, stored in a file or in memory. */
export * as Checkpoint from "./Checkpoint.ts"

/** IMAP IDLE (RFC 2177): the typed events `session.idle()` streams, and the options that pace it. */
export * as Idle from "./Idle.ts"

/** Every new message in a mailbox exactly once, across reconnects and restarts. */
export * as Watcher from "./Watcher.ts"

/** One message as the watcher and the CLI show it: UID, subject and senders decoded, date, flags, size. */
export * as MessageSummary from "./MessageSummary.ts"

/** OAuth access tokens from a file a refresher rewrites, or from a command, asked for on every connection. */
export * as AccessToken from "./AccessToken.ts"
