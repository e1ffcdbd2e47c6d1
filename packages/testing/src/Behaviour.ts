/**
 * What the test server does where real servers differ, as one plain data type: the capabilities it
 * advertises and when, its greeting, the order of FETCH items, its answer to an empty FETCH, how
 * long it holds a change before telling idling sessions, when it cuts IDLE, and the refusals it
 * answers with. A quirk profile (Courier, Cyrus, Dovecot, Gmail, Microsoft 365) is a value of this
 * type; a test extends one with object spread. Faults a test injects while running are `Fault`s.
 *
 * The facts behind the defaults and the fields are in `docs/servers.md` and its transcripts: the
 * defaults follow Dovecot 2.3, the project's primary server, but with no notification delay.
 *
 * @module
 */
import type { Command, FetchAttributes } from "@pkg/protocol"
import type * as Duration from "effect/Duration"

/** A FETCH item as the server writes it, named as in `FetchAttributes` (`uid`, `flags`, `envelope`, ...). */
export type FetchItem = keyof FetchAttributes

/**
 * Where a refusal or a fault fires: the greeting, or a command by its `Command` tag (`Login`,
 * `Authenticate`, `UidFetch`, `Idle`, ...). `"*"` is every command.
 */
export type Trigger = "Greeting" | Command.CommandTag | "*"

/**
 * A reply that refuses: a tagged NO or BAD for the triggering command, or an untagged BYE that ends
 * the connection (at the greeting, the greeting itself). The code is a response-code atom with its
 * argument text, as sent between the brackets (`UNAVAILABLE`, `ALERT`, `OVERQUOTA`).
 */
export interface Refusal {
  readonly on: Trigger
  readonly status: "NO" | "BAD" | "BYE"
  readonly code?: string | undefined
  readonly text: string
  /** Matching commands answered normally before the first refusal (counted server-wide). Default 0. */
  readonly skip?: number | undefined
  /** How many matching commands are refused. Default: every one after `skip`. */
  readonly times?: number | undefined
  /** Close the connection right after a NO or BAD (Microsoft 365 sometimes does). Default false. */
  readonly close?: boolean | undefined
}

/** How an OAuth 2.0 token the server refuses (expired, revoked, unknown) is answered. */
export type OAuthFailure =
  /**
   * Gmail: a `+` challenge holding base64 JSON (`{"status":"400",...}`), which the client answers
   * with an empty line, then `NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)`.
   */
  | "gmail"
  /** Microsoft 365: `NO AUTHENTICATE failed.` at once. */
  | "microsoft"

/** Every behaviour a profile may change; see `defaults`. */
export interface ServerBehaviour {
  /** Greeting text after `* OK`. */
  readonly greeting: string
  /** The greeting carries `[CAPABILITY ...]` (Cyrus, Courier, Dovecot do). */
  readonly greetingCapabilities: boolean
  /**
   * Capabilities before authentication. The server adds `STARTTLS` on a clear-text connection when
   * it has TLS, and drops it after the upgrade; the rest is as listed.
   */
  readonly capabilitiesBeforeLogin: ReadonlyArray<string>
  /**
   * Capabilities once authenticated. The commands and extensions the server accepts follow this
   * list: without MOVE, MOVE is BAD; without UIDPLUS no APPENDUID/COPYUID and UID EXPUNGE is BAD;
   * without CONDSTORE/QRESYNC they cannot be ENABLEd; without ESEARCH, SEARCH RETURN is BAD;
   * without LIST-EXTENDED, LIST RETURN is BAD; without IDLE, IDLE is BAD.
   */
  readonly capabilitiesAfterLogin: ReadonlyArray<string>
  /** LOGIN/AUTHENTICATE's tagged OK carries `[CAPABILITY ...]` (Cyrus, Dovecot); Courier's does not. */
  readonly loginCapabilityCode: boolean
  /**
   * Commands that arrived in the same read as LOGIN are lost after its OK (Courier: imaplogin
   * reads ahead, then execs imapd).
   */
  readonly dropPipelinedAfterLogin: boolean
  /**
   * FETCH item order: as the client asked (Courier, Dovecot), or this fixed order, items not named
   * following in the encoder's order (Cyrus: `["flags", "uid"]`).
   */
  readonly fetchItemOrder: "request" | ReadonlyArray<FetchItem>
  /**
   * The answer to FETCH (by sequence number) of a set naming no message, e.g. `1:*` in an empty
   * mailbox: `"ok"` (Courier), or a refusal: Cyrus `NO No matching messages`, Dovecot `BAD Error in
   * IMAP command FETCH: Invalid messageset`.
   */
  readonly emptyFetch: "ok" | { readonly status: "NO" | "BAD"; readonly text: string }
  /**
   * How long a change (new mail, flags, expunge) waits before it is pushed to idling sessions:
   * Dovecot 500 ms, Courier up to 1 s, Cyrus a few ms.
   */
  readonly notificationDelay: Duration.Input
  /** IDLE is ended by the server after this long, with a BYE text if given, else a bare close (Gmail). */
  readonly idleLimit: { readonly after: Duration.Input; readonly bye?: string | undefined } | undefined
  /** `* OK Still here` during IDLE every so often (Dovecot: 2 minutes). */
  readonly idleKeepalive: { readonly every: Duration.Input; readonly text: string } | undefined
  /** The continuation texts: `+ idling` (Cyrus, Dovecot), `+ entering ENHANCED idle mode` (Courier). */
  readonly idleContinuation: string
  /** APPEND's literal continuation: `+ OK` (Courier, Dovecot), `+ go ahead` (Cyrus). */
  readonly literalContinuation: string
  /** SELECT/EXAMINE send `[UIDNEXT n]`; Courier does not. */
  readonly selectUidNext: boolean
  /** APPEND to the selected mailbox answers EXISTS before its OK (Cyrus, Dovecot); Courier waits for the next command. */
  readonly announceOwnAppend: boolean
  /** How a refused OAuth token is answered. */
  readonly oauthFailure: OAuthFailure
  /** The personal namespace's hierarchy delimiter: `/` (Dovecot) or `.` (Courier, Debian's Cyrus). */
  readonly delimiter: string
  /** SEARCH CHARSETs accepted; any other is `NO [BADCHARSET (...)]`. */
  readonly searchCharsets: ReadonlyArray<string>
  /** Connections one user may hold at once; the next authentication is refused with `reply` (Gmail: about 15). */
  readonly maxConnectionsPerUser: { readonly limit: number; readonly reply: Omit<Refusal, "on"> } | undefined
  /** Throttling and other refusals (Microsoft 365 `Request is throttled`, Gmail `[OVERQUOTA]`). */
  readonly refusals: ReadonlyArray<Refusal>
  /** The BYE text of LOGOUT. */
  readonly logoutBye: string
}

/** Dovecot 2.3's post-login capabilities, less what the server does not implement (SORT, THREAD, NOTIFY, ...). */
const dovecotAfterLogin: ReadonlyArray<string> = [
  "IMAP4rev1",
  "SASL-IR",
  "ID",
  "ENABLE",
  "IDLE",
  "UNSELECT",
  "CHILDREN",
  "NAMESPACE",
  "UIDPLUS",
  "LIST-EXTENDED",
  "CONDSTORE",
  "QRESYNC",
  "ESEARCH",
  "SEARCHRES",
  "WITHIN",
  "LIST-STATUS",
  "SPECIAL-USE",
  "MOVE",
  "STATUS=SIZE",
  "LITERAL+",
  "AUTH=PLAIN",
  "AUTH=XOAUTH2",
  "AUTH=OAUTHBEARER"
]

/**
 * Dovecot-like, without its 500 ms notification delay (a test should not wait for what it does not
 * test): greeting with capabilities, post-login capabilities on LOGIN's OK, FETCH items in request
 * order, BAD on an empty FETCH, no refusals.
 */
export const defaults: ServerBehaviour = {
  greeting: "effect-imap test server ready.",
  greetingCapabilities: true,
  capabilitiesBeforeLogin: [
    "IMAP4rev1",
    "SASL-IR",
    "ID",
    "ENABLE",
    "IDLE",
    "LITERAL+",
    "AUTH=PLAIN",
    "AUTH=XOAUTH2",
    "AUTH=OAUTHBEARER"
  ],
  capabilitiesAfterLogin: dovecotAfterLogin,
  loginCapabilityCode: true,
  dropPipelinedAfterLogin: false,
  fetchItemOrder: "request",
  emptyFetch: { status: "BAD", text: "Error in IMAP command FETCH: Invalid messageset" },
  notificationDelay: 0,
  idleLimit: undefined,
  idleKeepalive: undefined,
  idleContinuation: "idling",
  literalContinuation: "OK",
  selectUidNext: true,
  announceOwnAppend: true,
  oauthFailure: "gmail",
  delimiter: "/",
  searchCharsets: ["US-ASCII", "UTF-8"],
  maxConnectionsPerUser: undefined,
  refusals: [],
  logoutBye: "Logging out"
}

/** `defaults` (or `base`) with the given fields replaced. */
export const make = (overrides: Partial<ServerBehaviour> = {}, base: ServerBehaviour = defaults): ServerBehaviour => ({
  ...base,
  ...overrides
})
