/**
 * UID SEARCH for a session. Where the server offers ESEARCH (RFC 4731) the result comes back as a
 * sequence set (`ALL 1:150000`) rather than one number per UID: a plain `* SEARCH` reply for Gmail's
 * All Mail is longer than any sane line limit. MIN, MAX and COUNT ask for a summary without the
 * UIDs. Non-ASCII text goes with `CHARSET UTF-8` unless UTF8=ACCEPT is enabled (RFC 6855 3 forbids
 * it then): without it a server reads the bytes as US-ASCII and Cyrus then matches nothing.
 */
import { Command, type ESearchData, SearchKey, SequenceSet } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Effect from "effect/Effect"
import { CommandFailed, fromReason, type ImapError, ProtocolFailed } from "./ImapError.ts"
import type { ImapSession } from "./ImapSession.ts"
import type { Operations, SessionContext } from "./internal/SessionContext.ts"

/** What a summary may ask for (RFC 4731 2): the lowest and highest UID, how many, and all of them. */
export type SearchReturn = "MIN" | "MAX" | "COUNT" | "ALL"

/** A search's result as asked for; what was not asked for is undefined. */
export interface SearchResult {
  readonly min: SequenceSet.Uid | undefined
  readonly max: SequenceSet.Uid | undefined
  readonly count: number | undefined
  /** The matching UIDs as a set (compact: ranges, not one number per UID). */
  readonly all: SequenceSet.SequenceSet<"uid"> | undefined
}

/** What a search needs from its session (internal/SessionContext): the connection, a request builder, and whether UTF8=ACCEPT is on. */
export type SearchContext = Pick<SessionContext, "connection" | "request" | "utf8">

const protocolFailure = (message: string, excerpt: string): ImapError =>
  fromReason(new ProtocolFailed({ message, excerpt }))

/** A refused CHARSET, said in the user's terms (the code stays BADCHARSET for programs). */
const explainBadCharset = (e: ImapError): ImapError =>
  e.reason._tag === "CommandFailed" && e.reason.code === "BADCHARSET"
    ? fromReason(
        new CommandFailed({
          ...e.reason,
          text: `${e.reason.text} (the server cannot search for non-ASCII text sent as UTF-8)`
        })
      )
    : e

const options = (ctx: SearchContext, criteria: SearchKey.SearchKey, returns?: ReadonlyArray<SearchReturn>) => ({
  ...(returns === undefined ? {} : { returnOptions: returns }),
  ...(!ctx.utf8() && SearchKey.hasNonAscii(criteria) ? { charset: "UTF-8" } : {})
})

/** Messages in the selected mailbox: no honest result names more UIDs than that. */
const messageCount = (ctx: SearchContext): number => {
  const s = ctx.connection.currentState()
  return s._tag === "Selected" ? s.mailbox.exists : 0
}

/**
 * ESEARCH's ALL as a set of UIDs; a set with `*`, or larger than the mailbox, is a protocol error
 * (the parser has refused what the grammar refuses). A reply to our UID SEARCH that leaves out the
 * UID indicator is read as UIDs all the same: they are what was asked for.
 */
const allOf = (
  ctx: SearchContext,
  all: SequenceSet.SequenceSet<"uid"> | SequenceSet.SequenceSet<"seq">
): Effect.Effect<SequenceSet.SequenceSet<"uid">, ImapError> =>
  Effect.suspend(() => {
    const set =
      all.kind === "uid"
        ? all
        : SequenceSet.make("uid", all.ranges as unknown as SequenceSet.SequenceSet<"uid">["ranges"])
    const text = () => SequenceSet.encode(set).slice(0, 200)
    if (set.ranges.some((r) => r.start === "*" || r.end === "*")) {
      return Effect.fail(protocolFailure("ESEARCH ALL holds *", text()))
    }
    const size = SequenceSet.size(set)
    const exists = messageCount(ctx)
    if (size > exists) {
      return Effect.fail(protocolFailure(`ESEARCH ALL names ${size} UIDs in a mailbox of ${exists} messages`, text()))
    }
    return Effect.succeed(set)
  })

/** `UID SEARCH RETURN (...)`: one ESEARCH reply, matched to our command by its TAG correlator. */
const esearch = (
  ctx: SearchContext,
  criteria: SearchKey.SearchKey,
  returns: NonEmptyReadonlyArray<SearchReturn>
): Effect.Effect<SearchResult, ImapError> => Effect.mapError(esearchSteps(ctx, criteria, returns), explainBadCharset)

/*
 * The steps below are generator functions defined once (`Effect.fnUntraced`), not an
 * `Effect.gen(function* () {...})` per search: one made per call gets its own prototype and V8
 * object shape, alive for the command's round trip (see ImapConnection's writer).
 */
const esearchSteps = Effect.fnUntraced(function* (
  ctx: SearchContext,
  criteria: SearchKey.SearchKey,
  returns: NonEmptyReadonlyArray<SearchReturn>
) {
  let reply: ESearchData | undefined
  let ours: string | undefined
  const base = ctx.request(Command.uidSearch(criteria, options(ctx, criteria, returns)), {
    collect: (r) => {
      if (r._tag !== "ESearch" || (r.tag !== undefined && r.tag !== ours)) return false
      reply = r
      return true
    }
  })
  yield* ctx.connection.run({
    ...base,
    encode: (tag) => {
      ours = tag
      return base.encode(tag)
    }
  })
  const wants = (o: SearchReturn) => returns.includes(o)
  // RFC 4731 3.1: no match means no ALL/MIN/MAX, and COUNT 0 (servers may leave COUNT out then).
  const count = wants("COUNT") ? (reply?.count ?? 0) : undefined
  const all = wants("ALL") && reply?.all !== undefined ? yield* allOf(ctx, reply.all) : undefined
  return {
    min: wants("MIN") && reply?.min !== undefined ? SequenceSet.Uid(reply.min) : undefined,
    max: wants("MAX") && reply?.max !== undefined ? SequenceSet.Uid(reply.max) : undefined,
    count,
    all
  }
})

/** Plain `UID SEARCH`: every matching UID in one `* SEARCH` line. */
const plain = (ctx: SearchContext, criteria: SearchKey.SearchKey): Effect.Effect<Array<SequenceSet.Uid>, ImapError> =>
  Effect.mapError(plainSteps(ctx, criteria), explainBadCharset)

const plainSteps = Effect.fnUntraced(function* (ctx: SearchContext, criteria: SearchKey.SearchKey) {
  const uids: Array<SequenceSet.Uid> = []
  yield* ctx.connection.run(
    ctx.request(Command.uidSearch(criteria, options(ctx, criteria)), {
      collect: (r) => {
        if (r._tag !== "Search") return false
        for (const n of r.ids) uids.push(SequenceSet.Uid(n))
        return true
      }
    })
  )
  return uids
})

const hasEsearch = (ctx: SearchContext) => ctx.connection.capabilities().has("ESEARCH")

/** The matching UIDs, ascending. */
export const uids = (
  ctx: SearchContext,
  criteria: SearchKey.SearchKey
): Effect.Effect<ReadonlyArray<SequenceSet.Uid>, ImapError> =>
  hasEsearch(ctx)
    ? Effect.map(esearch(ctx, criteria, ["ALL"]), (r) =>
        r.all === undefined ? [] : SequenceSet.expand(r.all, SequenceSet.MAX)
      )
    : Effect.map(plain(ctx, criteria), (found) => found.sort((a, b) => a - b))

/** What `returns` asks for: from ESEARCH where offered, else computed from a plain SEARCH. */
export const summary = (
  ctx: SearchContext,
  criteria: SearchKey.SearchKey,
  returns: NonEmptyReadonlyArray<SearchReturn>
): Effect.Effect<SearchResult, ImapError> => {
  if (hasEsearch(ctx)) return esearch(ctx, criteria, returns)
  return Effect.map(plain(ctx, criteria), (found) => {
    const wants = (o: SearchReturn) => returns.includes(o)
    const sorted = found.sort((a, b) => a - b)
    return {
      min: wants("MIN") ? sorted[0] : undefined,
      max: wants("MAX") ? sorted[sorted.length - 1] : undefined,
      count: wants("COUNT") ? new Set(sorted).size : undefined,
      all:
        wants("ALL") && sorted.length > 0
          ? SequenceSet.fromNumbers("uid", sorted as unknown as NonEmptyReadonlyArray<SequenceSet.Uid>)
          : undefined
    }
  })
}

/** The session's SEARCH operations (`search`, `searchSummary`). */
export type SearchOperations = Pick<ImapSession, "search" | "searchSummary">

/** UID SEARCH in its own span (the session's `search`). */
export const search = Effect.fn("ImapClient.search")(function* (ctx: SearchContext, criteria: SearchKey.SearchKey) {
  return yield* uids(ctx, criteria)
})

const searchSummary = Effect.fn("ImapClient.searchSummary")(function* (
  ctx: SearchContext,
  criteria: SearchKey.SearchKey,
  returns: NonEmptyReadonlyArray<SearchReturn>
) {
  return yield* summary(ctx, criteria, returns)
})

/** The session's SEARCH operations, each in its own span; defined once, called with the session's context (see Messages.operations). */
export const operations: Operations<SearchOperations> = {
  search: (ctx) => (criteria) => search(ctx, criteria),
  searchSummary: (ctx) => (criteria, returns) => searchSummary(ctx, criteria, returns)
}
