/**
 * One authenticated IMAP session and its operations: the implementation behind the `ImapClient`
 * service. Opening it connects, greets, upgrades (STARTTLS), authenticates, ENABLEs and sends ID;
 * closing its scope sends LOGOUT (bounded by a deadline) and closes the socket.
 */
import {
  Command,
  type FetchData,
  type ListData,
  type NamespaceEntry,
  type ResponseCode,
  SearchKey,
  SequenceSet,
  type StatusItems,
  type Tagged,
  type UntaggedData,
  type UntaggedStatus
} from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Auth from "./Auth.ts"
import * as Commands from "./Commands.ts"
import * as FetchStream from "./FetchStream.ts"
import * as Handshake from "./Handshake.ts"
import * as Idle from "./Idle.ts"
import * as ImapConfig from "./ImapConfig.ts"
import type { CommandRequest, ImapConnection } from "./ImapConnection.ts"
import { CommandFailed, fromReason, type ImapError, MissingCapability, ProtocolFailed } from "./ImapError.ts"
import * as Search from "./Search.ts"
import * as SessionState from "./SessionState.ts"
import * as FetchFilter from "./internal/FetchFilter.ts"

export interface MailboxInfo {
  readonly name: string
  readonly delimiter: string | undefined
  readonly attributes: ReadonlyArray<string>
  /** RFC 6154 special use (`\Sent`, `\Trash`, ...) if the server marks one. */
  readonly specialUse: string | undefined
  readonly status: StatusItems | undefined
}

export interface AppendResult {
  /** Present where the server has UIDPLUS (APPENDUID). */
  readonly uidValidity: number | undefined
  readonly uid: SequenceSet.Uid | undefined
}

export interface CopyResult {
  readonly uidValidity: number | undefined
  readonly sourceUids: ReadonlyArray<SequenceSet.Uid>
  readonly destUids: ReadonlyArray<SequenceSet.Uid>
}

export interface MoveResult extends CopyResult {
  /**
   * False only on a server with neither MOVE nor UIDPLUS where other messages of the mailbox were
   * also marked \Deleted: a plain EXPUNGE would have removed those too, so the moved messages were
   * copied and marked \Deleted but left in place.
   */
  readonly expunged: boolean
}

export interface FetchOptions {
  readonly changedSince?: bigint | undefined
  readonly highWater?: number | undefined
}

export type UidSet = SequenceSet.SequenceSet<"uid">
export type AnySet = SequenceSet.SequenceSet<"uid"> | SequenceSet.SequenceSet<"seq">

/** A namespace entry list of NAMESPACE (RFC 2342): personal, other users', shared. */
export interface Namespaces {
  readonly personal: ReadonlyArray<NamespaceEntry>
  readonly otherUsers: ReadonlyArray<NamespaceEntry>
  readonly shared: ReadonlyArray<NamespaceEntry>
}

/** One authenticated IMAP session: every operation fails with an `ImapError`, never throws. */
export interface ImapSession {
  /** The connection core (command queue, events); for IDLE and advanced use. */
  readonly connection: ImapConnection
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

const specialUses = new Set([
  "\\ALL",
  "\\ARCHIVE",
  "\\DRAFTS",
  "\\FLAGGED",
  "\\JUNK",
  "\\SENT",
  "\\TRASH",
  "\\IMPORTANT"
])

const codeOf = (t: Tagged): ResponseCode | undefined => t.code

/** INBOX is case-insensitive (RFC 9051 5.1); every other name is compared exactly. */
const sameMailbox = (a: string, b: string): boolean =>
  a === b || (a.toUpperCase() === "INBOX" && b.toUpperCase() === "INBOX")

/**
 * Opening runs in a child scope that is closed at once when opening fails: a refused login or a
 * greeting timeout must not keep its socket and reader fiber until the caller's scope ends (a retry
 * loop in one scope would pile them up).
 */
export const make = (options: ImapConfig.ImapClientOptions): Effect.Effect<ImapSession, ImapError, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope)
    return yield* open(options).pipe(
      Scope.provide(scope),
      Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void))
    )
  })

const open = (options: ImapConfig.ImapClientOptions): Effect.Effect<ImapSession, ImapError, Scope.Scope> =>
  Effect.gen(function* () {
    const resolved = ImapConfig.resolve(options)
    const { connection, greeting } = yield* Handshake.establish(resolved)
    const enabled = new Set<string>()
    const utf8 = () => enabled.has("UTF8=ACCEPT")
    // Under UTF8=ACCEPT names travel as UTF-8 both ways (RFC 6855 3): what the server sent is the
    // name, and `&` is just a character; the parser's modified UTF-7 reading would garble it.
    const nameOf = (r: { readonly mailbox: string; readonly rawMailbox: string }): string =>
      utf8() ? r.rawMailbox : r.mailbox
    const req = (command: Command.Command, extra?: Partial<Omit<CommandRequest, "encode" | "name" | "allowedIn">>) =>
      Commands.request(connection, command, extra, utf8)
    const run = (command: Command.Command, extra?: Partial<Omit<CommandRequest, "encode" | "name" | "allowedIn">>) =>
      connection.run(req(command, extra))
    const has = (cap: string) => connection.capabilities().has(cap)

    const refreshCapabilities = Effect.gen(function* () {
      const caps: Array<string> = []
      yield* run(Command.capability, {
        collect: (r) => {
          if (r._tag !== "Capability") return false
          caps.push(...r.capabilities)
          return true
        }
      })
      connection.setCapabilities(caps)
      return connection.capabilities()
    })

    const afterAuthentication = Effect.gen(function* () {
      // Capabilities may change after login (Dovecot sends them in either of two shapes; Cyrus adds
      // LOGINDISABLED, which is meaningless once authenticated). Ask unless the reply carried them.
      if (!has("IMAP4REV1") && !has("IMAP4REV2")) yield* refreshCapabilities
      const wanted = resolved.enable.filter((c) => has(c.toUpperCase()) || (c === "QRESYNC" && has("QRESYNC")))
      if (has("ENABLE") && wanted.length > 0) {
        yield* run(Command.enable(...(wanted as unknown as NonEmptyReadonlyArray<string>)), {
          collect: (r) => {
            if (r._tag !== "Enabled") return false
            for (const c of r.capabilities) enabled.add(c.toUpperCase())
            return true
          }
        })
      }
      if (has("ID") && resolved.clientId !== false) {
        yield* run(Command.id(resolved.clientId), { collect: (r) => r._tag === "Id" }).pipe(Effect.ignore)
      }
    })

    /** The capability set in force when authentication was sent: still it afterwards means "not refreshed". */
    let preLoginCapabilities: ReadonlySet<string> | undefined
    const markAuthenticated = (t: Tagged, s: SessionState.SessionState): SessionState.SessionState => {
      // onTagged also sees NO/BAD: a refused login changes nothing, so it can be retried.
      if (t.status !== "OK") return s
      // Dovecot sends post-login capabilities either as the OK's code or as an untagged CAPABILITY
      // before it (servers.md); both replace the set. If neither came, force a refresh afterwards.
      if (codeOf(t)?._tag !== "Capability" && connection.capabilities() === preLoginCapabilities) {
        connection.setCapabilities([])
      }
      return SessionState.authenticated
    }

    const login = Effect.fn("ImapClient.login")(function* (auth: ImapConfig.Authentication) {
      if (connection.capabilities().size === 0) yield* refreshCapabilities
      preLoginCapabilities = connection.capabilities()
      yield* Auth.authenticate(
        connection,
        auth,
        (command, mechanism) => req(command, { authentication: mechanism, onTagged: markAuthenticated }),
        { host: resolved.host, port: resolved.port }
      )
      yield* afterAuthentication
    })

    if (connection.currentState()._tag === "NotAuthenticated" && resolved.auth !== undefined) {
      yield* login(resolved.auth)
    } else if (connection.currentState()._tag === "Authenticated") {
      yield* afterAuthentication
    }

    yield* Effect.addFinalizer(() =>
      connection.isClosed()
        ? Effect.void
        : run(Command.logout, { onTagged: () => SessionState.logout }).pipe(
            Effect.timeout(resolved.logoutTimeout),
            Effect.ignore
          )
    )

    const list = Effect.fn("ImapClient.list")(function* (
      pattern: string = "*",
      opts?: { readonly reference?: string; readonly status?: ReadonlyArray<Command.StatusItem> }
    ) {
      const out: Array<ListData> = []
      const statuses = new Map<string, StatusItems>()
      const wantStatus = opts?.status !== undefined && opts.status.length > 0 && has("LIST-STATUS")
      // RETURN options are LIST-EXTENDED syntax (RFC 5258): SPECIAL-USE alone does not allow them.
      const wantSpecialUse = has("SPECIAL-USE") && has("LIST-EXTENDED")
      const returnOptions =
        wantStatus || wantSpecialUse
          ? {
              ...(wantSpecialUse ? { specialUse: true } : {}),
              ...(wantStatus ? { status: opts?.status } : {})
            }
          : undefined
      yield* run(Command.list(opts?.reference ?? "", pattern, returnOptions ? { returnOptions } : undefined), {
        collect: (r) => {
          if (r._tag === "List") out.push(r)
          else if (r._tag === "Status") statuses.set(nameOf(r), r.items)
          else return false
          return true
        }
      })
      const result: Array<MailboxInfo> = []
      for (const l of out) {
        const name = nameOf(l)
        let st = statuses.get(name)
        if (st === undefined && opts?.status !== undefined && opts.status.length > 0 && !wantStatus) {
          const noSelect = l.attributes.some(
            (a) => a.toUpperCase() === "\\NOSELECT" || a.toUpperCase() === "\\NONEXISTENT"
          )
          if (!noSelect) st = yield* status(name, opts.status as NonEmptyReadonlyArray<Command.StatusItem>)
        }
        result.push({
          name,
          delimiter: l.delimiter,
          attributes: l.attributes,
          specialUse: l.attributes.find((a) => specialUses.has(a.toUpperCase())),
          status: st
        })
      }
      return result
    })

    const status = Effect.fn("ImapClient.status")(function* (
      mailbox: string,
      items: NonEmptyReadonlyArray<Command.StatusItem> = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"]
    ) {
      let result: StatusItems = {}
      yield* run(Command.status(mailbox, items), {
        collect: (r) => {
          // Pipelined STATUS commands may be answered in any order: claim only our mailbox's data.
          if (r._tag !== "Status" || !sameMailbox(nameOf(r), mailbox)) return false
          result = r.items
          return true
        }
      })
      return result
    })

    const open = (readOnly: boolean) =>
      Effect.fn(readOnly ? "ImapClient.examine" : "ImapClient.select")(function* (
        mailbox: string,
        opts?: Command.SelectOptions
      ) {
        let snapshot = SessionState.emptyMailbox(mailbox)
        const condstore = opts?.condstore ?? (has("CONDSTORE") && !enabled.has("CONDSTORE") ? true : undefined)
        const command = readOnly
          ? Command.examine(mailbox, { ...opts, condstore })
          : Command.select(mailbox, { ...opts, condstore })
        yield* run(command, {
          onSend: (s) => (s._tag === "Selected" ? SessionState.authenticated : s),
          collect: (r) => {
            if (
              r._tag === "Exists" ||
              r._tag === "Recent" ||
              r._tag === "Flags" ||
              // An ALERT is for the user, not the snapshot: left unclaimed, it is published.
              (r._tag === "UntaggedStatus" && r.status === "OK" && r.code !== undefined && r.code._tag !== "Alert")
            ) {
              snapshot = SessionState.applyToMailbox(snapshot, r)
              return true
            }
            return false
          },
          onTagged: (t, s) => {
            if (t.status !== "OK") return s
            snapshot = SessionState.completeSelect({ ...snapshot, readOnly }, t)
            return SessionState.selected(snapshot)
          }
        })
        return snapshot
      })

    const select = open(false)
    const examine = open(true)

    const fetchRequest = (set: AnySet, items: Command.FetchItems, opts?: FetchOptions) => {
      const modifiers = opts?.changedSince !== undefined ? { changedSince: opts.changedSince } : undefined
      return req(
        set.kind === "uid"
          ? Command.uidFetch(set as UidSet, items, modifiers)
          : Command.fetch(set as SequenceSet.SequenceSet<"seq">, items, modifiers)
      )
    }

    /** Which FETCH responses answer this command (see FetchFilter); `*` of a sequence set is EXISTS. */
    const isOurs = (set: AnySet, items: Command.FetchItems) => {
      const filter = FetchFilter.make(set, items)
      return (r: FetchData): boolean | ImapError => {
        const current = connection.currentState()
        const exists = current._tag === "Selected" ? current.mailbox.exists : SequenceSet.MAX
        const verdict = FetchFilter.classify(filter, r, exists)
        if (verdict !== "missingUid") return verdict === "ours"
        return fromReason(
          new ProtocolFailed({
            message: `the server answered FETCH for message ${r.seq} without its UID`,
            excerpt: `* ${r.seq} FETCH (${Object.keys(r.attributes).join(" ")})`
          })
        )
      }
    }

    /**
     * FETCH as a stream in constant memory: `UID FETCH` for a UID set, `FETCH` for a set of sequence
     * numbers (`SequenceSet.range("seq", n - 9, "*")`: the last ten messages).
     */
    const fetch = (set: AnySet, items: Command.FetchItems, opts?: FetchOptions): Stream.Stream<FetchData, ImapError> =>
      FetchStream.stream(connection, fetchRequest(set, items, opts), isOurs(set, items), {
        highWater: opts?.highWater,
        span: "ImapClient.fetch"
      })

    /**
     * One message (or one part) as a stream of byte chunks, fetched with partial FETCHes
     * (`BODY.PEEK[section]<offset.length>`) so a 50 MB attachment is never held whole in memory.
     */
    const fetchBody = (
      uid: SequenceSet.Uid,
      section: Command.Section = { part: [] },
      opts?: { readonly chunkSize?: number | undefined }
    ): Stream.Stream<Uint8Array, ImapError> => {
      const chunkSize = opts?.chunkSize ?? 1024 * 1024
      const set = SequenceSet.single("uid", uid)
      const chunkAt = (offset: number) =>
        fetch(set, [
          Command.Attr.uid,
          Command.Attr.bodySection(section, { peek: true, partial: { offset, length: chunkSize } })
        ]).pipe(
          Stream.runCollect,
          Effect.flatMap((found) => {
            // A server may answer one message in several FETCH responses (RFC 9051 7.5.2): the
            // section is in whichever carries it, not necessarily the first.
            const mine = found.filter((f) => f.attributes.uid === uid)
            const data = mine.flatMap((f) => f.attributes.body ?? []).find((b) => b.data !== undefined)?.data
            if (data !== undefined) return Effect.succeed(data)
            return Effect.fail(
              fromReason(
                mine.length === 0
                  ? new CommandFailed({
                      command: "UID FETCH",
                      status: "NO",
                      code: "NONEXISTENT",
                      text: `no message with UID ${uid}`
                    })
                  : new ProtocolFailed({
                      message: `the server answered UID FETCH ${uid} without the section asked for`,
                      excerpt: mine.map((f) => Object.keys(f.attributes).join(" ")).join("; ")
                    })
              )
            )
          })
        )
      return Stream.paginate(0, (offset: number) =>
        Effect.map(
          chunkAt(offset),
          (data) => [[data], data.length < chunkSize ? Option.none() : Option.some(offset + data.length)] as const
        )
      ).pipe(
        Stream.filter((chunk) => chunk.length > 0),
        Stream.withSpan("ImapClient.fetchBody")
      )
    }

    /**
     * CONDSTORE/QRESYNC resync: the flags of messages in `set` changed since `modSeq` and, when
     * QRESYNC is enabled and `vanished` asked for, the UIDs expunged since then (VANISHED (EARLIER)).
     */
    const changedSince = Effect.fn("ImapClient.changedSince")(function* (
      set: UidSet,
      modSeq: bigint,
      opts?: { readonly vanished?: boolean }
    ) {
      // One entry per UID: with the mailbox selected, the server may send an unsolicited update of
      // another session's change before the reply itself (Dovecot does), for the same message.
      const changed = new Map<number, FetchData>()
      const vanished: Array<SequenceSet.SequenceSet<"uid">> = []
      const gone: Array<SequenceSet.SequenceSet<"uid">> = []
      const useVanished = opts?.vanished === true && enabled.has("QRESYNC")
      yield* run(
        Command.uidFetch(set, [Command.Attr.uid, Command.Attr.flags, Command.Attr.modSeq], {
          changedSince: modSeq,
          vanished: useVanished
        }),
        {
          collect: (r) => {
            if (r._tag === "Fetch" && r.attributes.uid !== undefined && SequenceSet.mayContain(set, r.attributes.uid)) {
              changed.set(r.attributes.uid, r)
              return true
            }
            if (r._tag === "Vanished" && r.earlier) {
              vanished.push(r.uids)
              return true
            }
            // Expunged while the command ran (another session): gone, not changed. Not claimed, so
            // it is still published as news and counted by the mailbox state.
            if (r._tag === "Vanished") gone.push(r.uids)
            return false
          }
        }
      )
      for (const set of [...vanished, ...gone]) {
        for (const uid of changed.keys()) if (SequenceSet.contains(set, uid)) changed.delete(uid)
      }
      return { changed: [...changed.values()], vanished: useVanished ? [...vanished, ...gone] : vanished }
    })

    const searching: Search.SearchContext = { connection, request: req, utf8 }
    const search = Effect.fn("ImapClient.search")(function* (criteria: SearchKey.SearchKey) {
      return yield* Search.uids(searching, criteria)
    })
    const searchSummary = Effect.fn("ImapClient.searchSummary")(function* (
      criteria: SearchKey.SearchKey,
      returns: NonEmptyReadonlyArray<Search.SearchReturn>
    ) {
      return yield* Search.summary(searching, criteria, returns)
    })

    const store = Effect.fn("ImapClient.store")(function* (
      set: UidSet,
      mode: Command.StoreMode,
      flags: ReadonlyArray<string>,
      opts?: { readonly unchangedSince?: bigint }
    ) {
      const updated: Array<FetchData> = []
      const tagged = yield* run(
        Command.uidStore(
          set,
          mode,
          flags,
          opts?.unchangedSince !== undefined ? { unchangedSince: opts.unchangedSince } : {}
        ),
        {
          collect: (r) => {
            if (r._tag === "Fetch" && r.attributes.uid !== undefined && SequenceSet.mayContain(set, r.attributes.uid)) {
              updated.push(r)
              return true
            }
            return false
          }
        }
      )
      const modified = tagged.code?._tag === "Modified" ? tagged.code.set : undefined
      return { updated, modified }
    })

    /** COPYUID (UIDPLUS), on COPY's tagged OK or in MOVE's untagged OK; nothing known without it. */
    const copyResult = (code: ResponseCode | undefined): CopyResult =>
      code?._tag === "CopyUid"
        ? { uidValidity: code.uidValidity, sourceUids: code.sourceUids, destUids: code.destUids }
        : { uidValidity: undefined, sourceUids: [], destUids: [] }

    const copy = Effect.fn("ImapClient.copy")(function* (set: UidSet, mailbox: string) {
      return copyResult((yield* run(Command.uidCopy(set, mailbox))).code)
    })

    const expunge = Effect.fn("ImapClient.expunge")(function* (set?: UidSet) {
      if (set !== undefined) {
        if (!has("UIDPLUS")) {
          return yield* Effect.fail(
            fromReason(new MissingCapability({ capability: "UIDPLUS", operation: "UID EXPUNGE" }))
          )
        }
        yield* run(Command.uidExpunge(set))
      } else yield* run(Command.expunge)
    })

    const move = Effect.fn("ImapClient.move")(function* (set: UidSet, mailbox: string) {
      if (has("MOVE")) {
        let copied = copyResult(undefined)
        yield* run(Command.uidMove(set, mailbox), {
          collect: (r) => {
            // RFC 6851 3.3: COPYUID comes in an untagged OK before the expunges.
            if (r._tag === "UntaggedStatus" && r.code?._tag === "CopyUid") {
              copied = copyResult(r.code)
              return true
            }
            return false
          }
        })
        return { ...copied, expunged: true }
      }
      // RFC 6851 fallback: COPY, flag \Deleted, and expunge only these UIDs (UIDPLUS) so that other
      // messages the user marked \Deleted are not expunged behind their back.
      const result = copyResult((yield* run(Command.uidCopy(set, mailbox))).code)
      yield* run(Command.uidStore(set, "add", ["\\Deleted"], { silent: true }))
      if (has("UIDPLUS")) {
        yield* run(Command.uidExpunge(set))
        return { ...result, expunged: true }
      }
      // Without UIDPLUS, EXPUNGE removes every \Deleted message: only safe when ours are the only ones.
      const deleted = yield* search(SearchKey.deleted)
      const others = deleted.filter((uid) => !SequenceSet.contains(set, uid))
      if (others.length > 0) return { ...result, expunged: false }
      yield* run(Command.expunge)
      return { ...result, expunged: true }
    })

    const append = Effect.fn("ImapClient.append")(function* (
      mailbox: string,
      message: Uint8Array | string,
      opts?: { readonly flags?: ReadonlyArray<string>; readonly internalDate?: Date }
    ) {
      const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message
      // NUL can only travel in a literal8 (RFC 3516): without BINARY the server cannot take this
      // message, which is the server's lack, not bad input; refused before anything is sent.
      if (bytes.includes(0) && !has("BINARY")) {
        return yield* Effect.fail(
          fromReason(new MissingCapability({ capability: "BINARY", operation: "APPEND of a message with NUL bytes" }))
        )
      }
      const t = yield* run(Command.append(mailbox, bytes, opts))
      const code = t.code
      return code?._tag === "AppendUid"
        ? ({ uidValidity: code.uidValidity, uid: code.uids[0] } satisfies AppendResult)
        : ({ uidValidity: undefined, uid: undefined } satisfies AppendResult)
    })

    const unselected = (t: Tagged, s: SessionState.SessionState): SessionState.SessionState =>
      t.status === "OK" ? SessionState.authenticated : s

    const simple = (name: string, command: () => Command.Command) =>
      Effect.fn(`ImapClient.${name}`)(function* () {
        yield* run(command())
      })

    const namespace = Effect.fn("ImapClient.namespace")(function* () {
      let result: Extract<UntaggedData, { _tag: "Namespace" }> | undefined
      if (!has("NAMESPACE")) {
        return yield* Effect.fail(
          fromReason(new MissingCapability({ capability: "NAMESPACE", operation: "namespace" }))
        )
      }
      yield* run(Command.namespace, {
        collect: (r) => {
          if (r._tag !== "Namespace") return false
          result = r
          return true
        }
      })
      if (result === undefined) {
        return yield* Effect.fail(
          fromReason(
            new CommandFailed({ command: "NAMESPACE", status: "NO", code: undefined, text: "no NAMESPACE data" })
          )
        )
      }
      return { personal: result.personal, otherUsers: result.otherUsers, shared: result.shared }
    })

    return {
      connection,
      greeting,
      capabilities: Effect.sync(() => connection.capabilities()),
      enabled: Effect.sync((): ReadonlySet<string> => enabled),
      state: connection.state as SubscriptionRef.SubscriptionRef<SessionState.SessionState>,
      currentState: Effect.sync(() => connection.currentState()),
      events: Stream.unwrap(Effect.map(connection.subscribe(), (s) => Stream.fromPull(Effect.succeed(s.pull)))),
      refreshCapabilities,
      login,
      list,
      status,
      select,
      examine,
      fetch,
      fetchBody,
      changedSince,
      search,
      searchSummary,
      store,
      copy,
      move,
      append,
      expunge,
      // Both leave the Selected state (RFC 9051 6.4.1, RFC 3691): later mailbox commands are refused locally.
      close: Effect.fn("ImapClient.close")(function* () {
        yield* run(Command.close, { onTagged: unselected })
      }),
      unselect: Effect.fn("ImapClient.unselect")(function* () {
        yield* run(Command.unselect, { onTagged: unselected })
      }),
      noop: simple("noop", () => Command.noop),
      create: Effect.fn("ImapClient.create")(function* (mailbox: string) {
        yield* run(Command.create(mailbox))
      }),
      delete: Effect.fn("ImapClient.delete")(function* (mailbox: string) {
        yield* run(Command.delete_(mailbox))
      }),
      rename: Effect.fn("ImapClient.rename")(function* (from: string, to: string) {
        yield* run(Command.rename(from, to))
      }),
      subscribe: Effect.fn("ImapClient.subscribe")(function* (mailbox: string) {
        yield* run(Command.subscribe(mailbox))
      }),
      unsubscribe: Effect.fn("ImapClient.unsubscribe")(function* (mailbox: string) {
        yield* run(Command.unsubscribe(mailbox))
      }),
      namespace,
      idle: (idleOptions) => Idle.stream(connection, greeting.text, idleOptions),
      logout: Effect.fn("ImapClient.logout")(function* () {
        yield* run(Command.logout, { onTagged: () => SessionState.logout })
      })
    }
  })

export type { Scope }
