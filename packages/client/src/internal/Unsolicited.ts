/**
 * What the reader does with untagged data besides handing it to the command that claims it: which
 * responses are published to subscribers (IDLE, the watcher, `session.events`), and which BYE ends
 * the session. Pure rules over one response, tested as tables (test/CommandQueueRules.test.ts).
 */
import type { UntaggedData, UntaggedStatus } from "@pkg/protocol"
import type { StateName } from "../SessionState.ts"

/** News about the selected mailbox, or about the connection (BYE, ALERT): what a subscriber is for. */
export const isMailboxEvent = (r: UntaggedData): boolean =>
  r._tag === "Exists" ||
  r._tag === "Expunge" ||
  r._tag === "Vanished" ||
  r._tag === "Fetch" ||
  r._tag === "Recent" ||
  r._tag === "Flags" ||
  (r._tag === "UntaggedStatus" && (r.status === "BYE" || r.code?._tag === "Alert"))

export const isBye = (r: UntaggedData): r is UntaggedStatus => r._tag === "UntaggedStatus" && r.status === "BYE"

/**
 * Whether the reader hands `r` to the subscribers, given whether a command's collector consumed it
 * and the session state once `r` is applied. A BYE always, and whatever no command consumed. Mailbox
 * events are published even when a command consumed them (an EXISTS during a FETCH is still news),
 * but not while a SELECT is building the snapshot of a mailbox not yet entered; and a FETCH a command
 * consumed is that command's data, not news (a 50,000-message FETCH must not cost 50,000
 * publications).
 */
export const isPublished = (r: UntaggedData, consumed: boolean, state: StateName): boolean =>
  isBye(r) || !consumed || (isMailboxEvent(r) && r._tag !== "Fetch" && state === "Selected")

/** LOGOUT's own BYE is expected while LOGOUT awaits its reply (RFC 9051 6.1.3). */
export const isByeExpected = (pendingCommands: ReadonlyArray<string>): boolean => pendingCommands.includes("LOGOUT")

/**
 * Whether `r` ends the session: a BYE that no command consumed and no pending LOGOUT explains
 * (docs/servers.md: doveadm kick). `pendingCommands` is asked only for such a BYE.
 */
export const endsSession = (
  r: UntaggedData,
  consumed: boolean,
  pendingCommands: () => ReadonlyArray<string>
): boolean => isBye(r) && !consumed && !isByeExpected(pendingCommands())
