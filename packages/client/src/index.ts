/** `@pkg/client`: the Effect IMAP client. */
export * as ImapClient from "./ImapClient.ts"
export * as ImapConfig from "./ImapConfig.ts"
export * as ImapConnection from "./ImapConnection.ts"
export * as ImapError from "./ImapError.ts"
export * as SessionState from "./SessionState.ts"
export * as Throttling from "./Throttling.ts"
export * as Trace from "./Trace.ts"
export type {
  AppendResult,
  CopyResult,
  FetchOptions,
  ImapSession,
  MailboxInfo,
  MoveResult,
  Namespaces
} from "./ImapSession.ts"
export type { SearchResult, SearchReturn } from "./Search.ts"
export * as Checkpoint from "./Checkpoint.ts"
export * as Idle from "./Idle.ts"
export * as Watcher from "./Watcher.ts"
export * as MessageSummary from "./MessageSummary.ts"
