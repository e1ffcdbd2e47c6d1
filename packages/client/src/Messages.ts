/**
 * A session's operations on messages of the selected mailbox, by UID: STORE (with CONDSTORE's
 * UNCHANGEDSINCE), COPY, MOVE (RFC 6851, with its fallback where MOVE is missing) and EXPUNGE.
 */
import { Command, type FetchData, type ResponseCode, SearchKey, SequenceSet } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import { fromReason, MissingCapability } from "./ImapError.ts"
import type { CopyResult, ImapSession, UidSet } from "./ImapSession.ts"
import type { Operations, SessionContext } from "./internal/SessionContext.ts"
import * as Search from "./Search.ts"

/** COPYUID (UIDPLUS), on COPY's tagged OK or in MOVE's untagged OK; nothing known without it. */
const copyResult = (code: ResponseCode | undefined): CopyResult =>
  code?._tag === "CopyUid"
    ? { uidValidity: code.uidValidity, sourceUids: code.sourceUids, destUids: code.destUids }
    : { uidValidity: undefined, sourceUids: [], destUids: [] }

const store = Effect.fn("ImapClient.store")(function* (
  ctx: SessionContext,
  set: UidSet,
  mode: Command.StoreMode,
  flags: ReadonlyArray<string>,
  opts?: { readonly unchangedSince?: bigint }
) {
  const updated: Array<FetchData> = []
  const tagged = yield* ctx.run(
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

const expunge = Effect.fn("ImapClient.expunge")(function* (ctx: SessionContext, set?: UidSet) {
  if (set !== undefined) {
    if (!ctx.has("UIDPLUS")) {
      return yield* Effect.fail(fromReason(new MissingCapability({ capability: "UIDPLUS", operation: "UID EXPUNGE" })))
    }
    yield* ctx.run(Command.uidExpunge(set))
  } else yield* ctx.run(Command.expunge)
})

const move = Effect.fn("ImapClient.move")(function* (ctx: SessionContext, set: UidSet, mailbox: string) {
  if (ctx.has("MOVE")) {
    let copied = copyResult(undefined)
    yield* ctx.run(Command.uidMove(set, mailbox), {
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
  const result = copyResult((yield* ctx.run(Command.uidCopy(set, mailbox))).code)
  yield* ctx.run(Command.uidStore(set, "add", ["\\Deleted"], { silent: true }))
  if (ctx.has("UIDPLUS")) {
    yield* ctx.run(Command.uidExpunge(set))
    return { ...result, expunged: true }
  }
  // Without UIDPLUS, EXPUNGE removes every \Deleted message: only safe when ours are the only ones.
  const deleted = yield* Search.search(ctx, SearchKey.deleted)
  const others = deleted.filter((uid) => !SequenceSet.contains(set, uid))
  if (others.length > 0) return { ...result, expunged: false }
  yield* ctx.run(Command.expunge)
  return { ...result, expunged: true }
})

export type MessageOperations = Pick<ImapSession, "store" | "copy" | "move" | "expunge">

const copy = Effect.fn("ImapClient.copy")(function* (ctx: SessionContext, set: UidSet, mailbox: string) {
  return copyResult((yield* ctx.run(Command.uidCopy(set, mailbox))).code)
})

/**
 * The operations of one session: each defined once for every session, called with this one's
 * context by a small closure made when the operation is read (see SessionContext.Operations). An
 * `Effect.fn` made per session was about 1 KB; binding one (`.bind`) about 400 bytes, as the bound
 * function of a function whose `length` Effect.fn redefined gets a property dictionary of its own;
 * a closure over `ctx` kept per session a few dozen bytes, 56 a closure for 24 operations.
 */
export const operations: Operations<MessageOperations> = {
  store: (ctx) => (set, mode, flags, options) => store(ctx, set, mode, flags, options),
  copy: (ctx) => (set, mailbox) => copy(ctx, set, mailbox),
  move: (ctx) => (set, mailbox) => move(ctx, set, mailbox),
  expunge: (ctx) => (set) => expunge(ctx, set)
}
