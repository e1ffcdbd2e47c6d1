/**
 * `ImapSession`, the value of the `ImapClient` service: one authenticated IMAP session and its
 * operations. `make` connects, greets, upgrades (STARTTLS), authenticates, ENABLEs and sends ID;
 * closing its scope sends LOGOUT (bounded by a deadline) and closes the socket.
 *
 * This module holds the interface and assembles it; each command family is a module of its own
 * over one `SessionContext`: Mailboxes, Messages, Fetch, Search, Append, and Login for the session's
 * authentication and setup. The connection behind a session is internal (internal/SessionConnection).
 */
import {
  Command,
  type FetchData,
  type NamespaceEntry,
  type SearchKey,
  type SequenceSet,
  type StatusItems,
  type UntaggedData,
  type UntaggedStatus
} from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as Append from "./Append.ts"
import * as Capabilities from "./Capabilities.ts"
import * as Fetch from "./Fetch.ts"
import * as Handshake from "./Handshake.ts"
import type * as Idle from "./Idle.ts"
import * as ImapConfig from "./ImapConfig.ts"
import type { ImapError } from "./ImapError.ts"
import * as IdleLoop from "./internal/IdleLoop.ts"
import * as SessionConnection from "./internal/SessionConnection.ts"
import * as SessionContext from "./internal/SessionContext.ts"
import * as Login from "./Login.ts"
import * as Mailboxes from "./Mailboxes.ts"
import * as Messages from "./Messages.ts"
import * as Search from "./Search.ts"
import * as SessionState from "./SessionState.ts"

/** A mailbox as `list` reports it: name, delimiter, attributes, special use and, if asked for, its STATUS. */
export interface MailboxInfo {
  readonly name: string
  readonly delimiter: string | undefined
  readonly attributes: ReadonlyArray<string>
  /** RFC 6154 special use (`\Sent`, `\Trash`, ...) if the server marks one. */
  readonly specialUse: string | undefined
  readonly status: StatusItems | undefined
}

/** What APPEND reports: the UIDVALIDITY and UID the message got, where the server says (UIDPLUS). */
export interface AppendResult {
  /** Present where the server has UIDPLUS (APPENDUID). */
  readonly uidValidity: number | undefined
  readonly uid: SequenceSet.Uid | undefined
}

/** What COPY reports: source and destination UIDs, where the server says (COPYUID, UIDPLUS); empty otherwise. */
export interface CopyResult {
  readonly uidValidity: number | undefined
  readonly sourceUids: ReadonlyArray<SequenceSet.Uid>
  readonly destUids: ReadonlyArray<SequenceSet.Uid>
}

/** What MOVE reports: COPY's UIDs, and whether the source messages were expunged. */
export interface MoveResult extends CopyResult {
  /**
   * False only on a server with neither MOVE nor UIDPLUS where other messages of the mailbox were
   * also marked \Deleted: a plain EXPUNGE would have removed those too, so the moved messages were
   * copied and marked \Deleted but left in place.
   */
  readonly expunged: boolean
}

/** Options of `fetch`: CONDSTORE's CHANGEDSINCE, and how many responses are buffered before the socket is paused. */
export interface FetchOptions {
  readonly changedSince?: bigint | undefined
  readonly highWater?: number | undefined
}

/** A set of UIDs (`SequenceSet.from("uid", ...)`), as the UID commands take. */
export type UidSet = SequenceSet.SequenceSet<"uid">
/** A set of UIDs or of sequence numbers: `fetch` sends UID FETCH or FETCH accordingly. */
export type AnySet = SequenceSet.SequenceSet<"uid"> | SequenceSet.SequenceSet<"seq">

/** A namespace entry list of NAMESPACE (RFC 2342): personal, other users', shared. */
export interface Namespaces {
  readonly personal: ReadonlyArray<NamespaceEntry>
  readonly otherUsers: ReadonlyArray<NamespaceEntry>
  readonly shared: ReadonlyArray<NamespaceEntry>
}

/** One authenticated IMAP session: every operation fails with an `ImapError`, never throws. */
export interface ImapSession {
  /** The server's greeting (`* OK ...` or `* PREAUTH ...`). */
  readonly greeting: UntaggedStatus
  /** Capabilities in force now (refreshed after STARTTLS and authentication), upper-cased. */
  readonly capabilities: Effect.Effect<ReadonlySet<string>>
  /** Extensions the server confirmed with ENABLED (CONDSTORE, QRESYNC, UTF8=ACCEPT). */
  readonly enabled: Effect.Effect<ReadonlySet<string>>
  /** The protocol state and the selected mailbox's snapshot, as it changes. */
  readonly state: SubscriptionRef.SubscriptionRef<SessionState.SessionState>
  readonly currentState: Effect.Effect<SessionState.SessionState>
  /**
   * Unsolicited and mailbox data (EXISTS, EXPUNGE, VANISHED, flag updates, BYE, ALERT), coalesced and
   * bounded (`ImapConnection.subscribe`); fails with the connection's error when it dies.
   */
  readonly events: Stream.Stream<UntaggedData, ImapError>
  readonly refreshCapabilities: Effect.Effect<ReadonlySet<string>, ImapError>
  /**
   * Waits until the connection ends and fails with why: `ServerBye` (the server said BYE),
   * `ConnectionClosed` (the socket closed, or LOGOUT), `Timeout`, `ProtocolFailed`. Never succeeds.
   * After it, every operation fails at once with the same error.
   *
   * @example
   * ```ts
   * import { ImapClient } from "@pkg/client"
   * import { Effect } from "effect"
   *
   * // Log why the session ended, whenever it does.
   * const logEnd = Effect.gen(function* () {
   *   const client = yield* ImapClient.ImapClient
   *   yield* client.closed.pipe(Effect.catch((e) => Effect.log(`session ended: ${e.message}`)))
   * })
   * ```
   */
  readonly closed: Effect.Effect<never, ImapError>
  /** Bytes received from the server so far (progress of a large FETCH, or liveness). */
  readonly bytesReceived: Effect.Effect<number>
  /** Authenticates a session opened without `auth` (or after a refused attempt). */
  readonly login: (auth: ImapConfig.Authentication) => Effect.Effect<void, ImapError>
  /** LIST with special use (where offered) and, with `status`, LIST-STATUS or one STATUS per mailbox. */
  readonly list: (
    pattern?: string,
    options?: { readonly reference?: string; readonly status?: ReadonlyArray<Command.StatusItem> }
  ) => Effect.Effect<ReadonlyArray<MailboxInfo>, ImapError>
  readonly status: (
    mailbox: string,
    items?: NonEmptyReadonlyArray<Command.StatusItem>
  ) => Effect.Effect<StatusItems, ImapError>
  /** SELECT; returns the mailbox snapshot (exists, UIDVALIDITY, UIDNEXT, flags, HIGHESTMODSEQ, ...). */
  readonly select: (
    mailbox: string,
    options?: Command.SelectOptions
  ) => Effect.Effect<SessionState.MailboxSnapshot, ImapError>
  /** EXAMINE: SELECT read-only (nothing is marked \Seen). */
  readonly examine: (
    mailbox: string,
    options?: Command.SelectOptions
  ) => Effect.Effect<SessionState.MailboxSnapshot, ImapError>
  /** FETCH (sequence numbers) or UID FETCH (UIDs) as a constant-memory stream. */
  readonly fetch: (
    set: AnySet,
    items: Command.FetchItems,
    options?: FetchOptions
  ) => Stream.Stream<FetchData, ImapError>
  /** A message or one part as byte chunks, by partial fetches (never held whole). */
  readonly fetchBody: (
    uid: SequenceSet.Uid,
    section?: Command.Section,
    options?: { readonly chunkSize?: number | undefined }
  ) => Stream.Stream<Uint8Array, ImapError>
  /** CONDSTORE/QRESYNC: flags changed and UIDs expunged since a mod-sequence. */
  readonly changedSince: (
    set: UidSet,
    modSeq: bigint,
    options?: { readonly vanished?: boolean }
  ) => Effect.Effect<
    { readonly changed: ReadonlyArray<FetchData>; readonly vanished: ReadonlyArray<SequenceSet.SequenceSet<"uid">> },
    ImapError
  >
  /**
   * UID SEARCH: the matching UIDs, ascending. Uses ESEARCH where offered (a compact set instead of a
   * line per UID), and CHARSET UTF-8 for non-ASCII text when UTF8=ACCEPT is not enabled.
   */
  readonly search: (criteria: SearchKey.SearchKey) => Effect.Effect<ReadonlyArray<SequenceSet.Uid>, ImapError>
  /** UID SEARCH asking only for MIN, MAX, COUNT and/or ALL (as a set): ESEARCH, else computed locally. */
  readonly searchSummary: (
    criteria: SearchKey.SearchKey,
    returns: NonEmptyReadonlyArray<Search.SearchReturn>
  ) => Effect.Effect<Search.SearchResult, ImapError>
  /** UID STORE; `modified` is the MODIFIED set when UNCHANGEDSINCE refused some messages. */
  readonly store: (
    set: UidSet,
    mode: Command.StoreMode,
    flags: ReadonlyArray<string>,
    options?: { readonly unchangedSince?: bigint }
  ) => Effect.Effect<
    { readonly updated: ReadonlyArray<FetchData>; readonly modified: SequenceSet.SequenceSet<"uid"> | undefined },
    ImapError
  >
  readonly copy: (set: UidSet, mailbox: string) => Effect.Effect<CopyResult, ImapError>
  /**
   * UID MOVE; where MOVE is missing, COPY + \Deleted + UID EXPUNGE of exactly these UIDs (UIDPLUS),
   * or a plain EXPUNGE only if no other message is marked \Deleted (see `MoveResult.expunged`).
   */
  readonly move: (set: UidSet, mailbox: string) => Effect.Effect<MoveResult, ImapError>
  /** APPEND; the new UID where the server has UIDPLUS. */
  readonly append: (
    mailbox: string,
    message: Uint8Array | string,
    options?: { readonly flags?: ReadonlyArray<string>; readonly internalDate?: Date }
  ) => Effect.Effect<AppendResult, ImapError>
  /** UID EXPUNGE of `set` (UIDPLUS), or EXPUNGE of every \Deleted message. */
  readonly expunge: (set?: UidSet) => Effect.Effect<void, ImapError>
  readonly close: () => Effect.Effect<void, ImapError>
  readonly unselect: () => Effect.Effect<void, ImapError>
  readonly noop: () => Effect.Effect<void, ImapError>
  readonly create: (mailbox: string) => Effect.Effect<void, ImapError>
  readonly delete: (mailbox: string) => Effect.Effect<void, ImapError>
  readonly rename: (from: string, to: string) => Effect.Effect<void, ImapError>
  readonly subscribe: (mailbox: string) => Effect.Effect<void, ImapError>
  readonly unsubscribe: (mailbox: string) => Effect.Effect<void, ImapError>
  readonly namespace: () => Effect.Effect<Namespaces, ImapError>
  /** LOGOUT now (closing the session's scope also does it). */
  readonly logout: () => Effect.Effect<void, ImapError>
  /**
   * IDLE on the selected mailbox as a scoped Stream of typed events: ready once the server said
   * `+`, DONE whenever another command is issued (IDLE resumes after it) and when the stream ends.
   */
  readonly idle: (options?: Idle.IdleOptions) => Stream.Stream<Idle.MailboxEvent, ImapError>
}

/**
 * Opening runs in a child scope that is closed at once when opening fails: a refused login or a
 * greeting timeout must not keep its socket and reader fiber until the caller's scope ends (a retry
 * loop in one scope would pile them up).
 */
export const make: (options: ImapConfig.ImapClientOptions) => Effect.Effect<ImapSession, ImapError, Scope.Scope> =
  Effect.fnUntraced(function* (options: ImapConfig.ImapClientOptions) {
    const scope = yield* Scope.fork(yield* Effect.scope)
    return yield* makeIn(options).pipe(
      Scope.provide(scope),
      Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void))
    )
  })

/**
 * Connects (Handshake), logs in when `auth` is given (or sets up a PREAUTH session), arranges LOGOUT
 * for when the scope closes, and assembles the session's operations, in the caller's scope itself.
 * For a caller whose scope is closed as soon as opening fails (the watcher's session, which is
 * `Effect.scoped` as a whole): it spares the child scope `make` forks, about 0.6 KB a session.
 */
export const makeIn: (options: ImapConfig.ImapClientOptions) => Effect.Effect<ImapSession, ImapError, Scope.Scope> =
  Effect.fnUntraced(function* (options: ImapConfig.ImapClientOptions) {
    const resolved = ImapConfig.resolve(options)
    const { connection, greeting } = yield* Handshake.establish(resolved)
    const ctx = SessionContext.make(connection, resolved)
    const state = connection.currentState()._tag
    if (state === "NotAuthenticated" && resolved.auth !== undefined) yield* Login.login(ctx, resolved.auth)
    else if (state === "Authenticated") yield* Login.setUpPreauthenticated(ctx)
    yield* Effect.addFinalizer(() =>
      connection.isClosed()
        ? Effect.void
        : ctx
            .run(Command.logout, { onTagged: () => SessionState.logout })
            .pipe(Effect.timeout(resolved.logoutTimeout), Effect.ignore)
    )
    return assemble(ctx, greeting)
  })

const noop = Effect.fn("ImapClient.noop")(function* (ctx: SessionContext.SessionContext) {
  yield* ctx.run(Command.noop)
})

const logout = Effect.fn("ImapClient.logout")(function* (ctx: SessionContext.SessionContext) {
  yield* ctx.run(Command.logout, { onTagged: () => SessionState.logout })
})

type Members = {
  readonly [K in keyof Omit<ImapSession, "greeting">]: (
    ctx: SessionContext.SessionContext,
    greeting: UntaggedStatus
  ) => ImapSession[K]
}

/**
 * Every member of a session but its greeting, each family's from its own module, as functions of
 * the session's context: the prototype all sessions share reads them (see `Session`). Typed as the
 * whole interface, so a member added to `ImapSession` and not here does not compile.
 */
const members: Members = {
  capabilities: (ctx) => Effect.sync(() => ctx.connection.capabilities()),
  enabled: (ctx) => Effect.sync((): ReadonlySet<string> => ctx.enabled),
  state: (ctx) => ctx.connection.state as SubscriptionRef.SubscriptionRef<SessionState.SessionState>,
  currentState: (ctx) => Effect.sync(() => ctx.connection.currentState()),
  events: (ctx) =>
    Stream.unwrap(Effect.map(ctx.connection.subscribe(), (s) => Stream.fromPull(Effect.succeed(s.pull)))),
  refreshCapabilities: (ctx) => Capabilities.refresh(ctx.connection),
  closed: (ctx) => Deferred.await(ctx.connection.closed),
  bytesReceived: (ctx) => Effect.sync(() => ctx.connection.bytesReceived()),
  login: (ctx) => (auth) => Login.login(ctx, auth),
  ...Mailboxes.operations,
  ...Fetch.operations,
  ...Search.operations,
  ...Messages.operations,
  ...Append.operations,
  noop: (ctx) => () => noop(ctx),
  idle: (ctx, greeting) => (idleOptions) => IdleLoop.stream(ctx.connection, greeting.text, idleOptions),
  logout: (ctx) => () => logout(ctx)
}

/**
 * A session holds its greeting and its context, nothing else: each member is a getter on the
 * prototype every session shares, giving the operation (or effect, or stream) for this session
 * when read, so a detached `const { select } = session` still works. The 24 operations and 8
 * effects made per session, as own properties, were 3.8 KB of every session's heap
 * (bench/heap-owners.ts).
 */
class Session {
  readonly greeting: UntaggedStatus
  readonly #ctx: SessionContext.SessionContext

  constructor(ctx: SessionContext.SessionContext, greeting: UntaggedStatus) {
    this.#ctx = ctx
    this.greeting = greeting
  }

  static {
    for (const [name, member] of Object.entries(members)) {
      Object.defineProperty(Session.prototype, name, {
        get(this: Session) {
          return member(this.#ctx, this.greeting)
        },
        enumerable: true
      })
    }
  }
}

/** `members` covers every member of `ImapSession` but the greeting, which the session holds itself. */
const assemble = (ctx: SessionContext.SessionContext, greeting: UntaggedStatus): ImapSession =>
  SessionConnection.attach(new Session(ctx, greeting) as unknown as ImapSession, ctx.connection)
