/**
 * A session's FETCH operations: FETCH and UID FETCH as a constant-memory stream (FetchStream), a
 * message or one part as byte chunks by partial fetches, and CONDSTORE/QRESYNC's changes since a
 * mod-sequence.
 */
import { Command, type FetchData, SequenceSet } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as FetchStream from "./FetchStream.ts"
import { CommandFailed, fromReason, type ImapError, ProtocolFailed } from "./ImapError.ts"
import type { AnySet, FetchOptions, ImapSession, UidSet } from "./ImapSession.ts"
import * as FetchFilter from "./internal/FetchFilter.ts"
import type { Operations, SessionContext } from "./internal/SessionContext.ts"

const fetchRequest = (ctx: SessionContext, set: AnySet, items: Command.FetchItems, opts?: FetchOptions) => {
  const modifiers = opts?.changedSince !== undefined ? { changedSince: opts.changedSince } : undefined
  return ctx.request(
    set.kind === "uid"
      ? Command.uidFetch(set as UidSet, items, modifiers)
      : Command.fetch(set as SequenceSet.SequenceSet<"seq">, items, modifiers)
  )
}

/** Which FETCH responses answer this command (see FetchFilter); `*` of a sequence set is EXISTS. */
const isOurs = (ctx: SessionContext, set: AnySet, items: Command.FetchItems) => {
  const filter = FetchFilter.make(set, items)
  return (r: FetchData): boolean | ImapError => {
    const current = ctx.connection.currentState()
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
const fetch =
  (ctx: SessionContext): ImapSession["fetch"] =>
  (set, items, opts) =>
    FetchStream.stream(ctx.connection, fetchRequest(ctx, set, items, opts), isOurs(ctx, set, items), {
      highWater: opts?.highWater,
      span: "ImapClient.fetch"
    })

/** The section of one partial FETCH's reply, or why there is none (no such message, or a bad reply). */
const sectionData = (uid: SequenceSet.Uid, found: ReadonlyArray<FetchData>): Effect.Effect<Uint8Array, ImapError> => {
  // A server may answer one message in several FETCH responses (RFC 9051 7.5.2): the section is
  // in whichever carries it, not necessarily the first.
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
}

/**
 * One message (or one part) as a stream of byte chunks, fetched with partial FETCHes
 * (`BODY.PEEK[section]<offset.length>`) so a 50 MB attachment is never held whole in memory.
 */
const fetchBody = (ctx: SessionContext): ImapSession["fetchBody"] => {
  const fetchSet = fetch(ctx)
  return (uid, section = { part: [] }, opts) => {
    const chunkSize = opts?.chunkSize ?? 1024 * 1024
    const set = SequenceSet.single("uid", uid)
    const chunkAt = (offset: number) =>
      fetchSet(set, [
        Command.Attr.uid,
        Command.Attr.bodySection(section, { peek: true, partial: { offset, length: chunkSize } })
      ]).pipe(
        Stream.runCollect,
        Effect.flatMap((found) => sectionData(uid, found))
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
}

/**
 * CONDSTORE/QRESYNC resync: the flags of messages in `set` changed since `modSeq` and, when
 * QRESYNC is enabled and `vanished` asked for, the UIDs expunged since then (VANISHED (EARLIER)).
 */
const changedSince = Effect.fn("ImapClient.changedSince")(function* (
  ctx: SessionContext,
  set: UidSet,
  modSeq: bigint,
  opts?: { readonly vanished?: boolean }
) {
  // One entry per UID: with the mailbox selected, the server may send an unsolicited update of
  // another session's change before the reply itself (Dovecot does), for the same message.
  const changed = new Map<number, FetchData>()
  const vanished: Array<SequenceSet.SequenceSet<"uid">> = []
  const gone: Array<SequenceSet.SequenceSet<"uid">> = []
  const useVanished = opts?.vanished === true && ctx.enabled.has("QRESYNC")
  yield* ctx.run(
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

export type FetchOperations = Pick<ImapSession, "fetch" | "fetchBody" | "changedSince">

/** Defined once, called with the session's context (see Messages.operations). */
export const operations: Operations<FetchOperations> = {
  fetch,
  fetchBody,
  changedSince: (ctx) => (set, modSeq, options) => changedSince(ctx, set, modSeq, options)
}
