/**
 * A session's mailbox operations: LIST (with special use and status where offered), STATUS, SELECT
 * and EXAMINE (building the mailbox snapshot), CLOSE and UNSELECT, CREATE, DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE and NAMESPACE.
 */
import { Command, type ListData, MailboxName, type StatusItems, type Tagged, type UntaggedData } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Effect from "effect/Effect"
import { CommandFailed, fromReason, MissingCapability } from "./ImapError.ts"
import type { ImapSession, MailboxInfo } from "./ImapSession.ts"
import type { Operations, SessionContext } from "./internal/SessionContext.ts"
import * as SessionState from "./SessionState.ts"

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

const defaultStatusItems: NonEmptyReadonlyArray<Command.StatusItem> = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"]

const status = Effect.fn("ImapClient.status")(function* (
  ctx: SessionContext,
  mailbox: string,
  items: NonEmptyReadonlyArray<Command.StatusItem> = defaultStatusItems
) {
  let result: StatusItems = {}
  yield* ctx.run(Command.status(mailbox, items), {
    collect: (r) => {
      // Pipelined STATUS commands may be answered in any order: claim only our mailbox's data.
      if (r._tag !== "Status" || !MailboxName.equals(ctx.mailboxName(r), mailbox)) return false
      result = r.items
      return true
    }
  })
  return result
})

const list = Effect.fn("ImapClient.list")(function* (
  ctx: SessionContext,
  pattern: string = "*",
  opts?: { readonly reference?: string; readonly status?: ReadonlyArray<Command.StatusItem> }
) {
  const out: Array<ListData> = []
  const statuses = new Map<string, StatusItems>()
  const wantStatus = opts?.status !== undefined && opts.status.length > 0 && ctx.has("LIST-STATUS")
  // RETURN options are LIST-EXTENDED syntax (RFC 5258): SPECIAL-USE alone does not allow them.
  const wantSpecialUse = ctx.has("SPECIAL-USE") && ctx.has("LIST-EXTENDED")
  const returnOptions =
    wantStatus || wantSpecialUse
      ? {
          ...(wantSpecialUse ? { specialUse: true } : {}),
          ...(wantStatus ? { status: opts?.status } : {})
        }
      : undefined
  yield* ctx.run(Command.list(opts?.reference ?? "", pattern, returnOptions ? { returnOptions } : undefined), {
    collect: (r) => {
      if (r._tag === "List") out.push(r)
      else if (r._tag === "Status") statuses.set(ctx.mailboxName(r), r.items)
      else return false
      return true
    }
  })
  const result: Array<MailboxInfo> = []
  for (const l of out) {
    const name = ctx.mailboxName(l)
    let st = statuses.get(name)
    if (st === undefined && opts?.status !== undefined && opts.status.length > 0 && !wantStatus) {
      const noSelect = l.attributes.some((a) => a.toUpperCase() === "\\NOSELECT" || a.toUpperCase() === "\\NONEXISTENT")
      if (!noSelect) st = yield* status(ctx, name, opts.status as NonEmptyReadonlyArray<Command.StatusItem>)
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

/**
 * SELECT (or, `readOnly`, EXAMINE) of a mailbox: the untagged data of the reply builds its snapshot,
 * which the tagged OK completes and makes the session's Selected state.
 */
const enterMailbox = (readOnly: boolean) =>
  Effect.fn(readOnly ? "ImapClient.examine" : "ImapClient.select")(function* (
    ctx: SessionContext,
    mailbox: string,
    opts?: Command.SelectOptions
  ) {
    let snapshot = SessionState.emptyMailbox(mailbox)
    const condstore = opts?.condstore ?? (ctx.has("CONDSTORE") && !ctx.enabled.has("CONDSTORE") ? true : undefined)
    const command = readOnly
      ? Command.examine(mailbox, { ...opts, condstore })
      : Command.select(mailbox, { ...opts, condstore })
    yield* ctx.run(command, {
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

const select = enterMailbox(false)
const examine = enterMailbox(true)

const namespace = Effect.fn("ImapClient.namespace")(function* (ctx: SessionContext) {
  let result: Extract<UntaggedData, { _tag: "Namespace" }> | undefined
  if (!ctx.has("NAMESPACE")) {
    return yield* Effect.fail(fromReason(new MissingCapability({ capability: "NAMESPACE", operation: "namespace" })))
  }
  yield* ctx.run(Command.namespace, {
    collect: (r) => {
      if (r._tag !== "Namespace") return false
      result = r
      return true
    }
  })
  if (result === undefined) {
    return yield* Effect.fail(
      fromReason(new CommandFailed({ command: "NAMESPACE", status: "NO", code: undefined, text: "no NAMESPACE data" }))
    )
  }
  return { personal: result.personal, otherUsers: result.otherUsers, shared: result.shared }
})

const unselected = (t: Tagged, s: SessionState.SessionState): SessionState.SessionState =>
  t.status === "OK" ? SessionState.authenticated : s

export type MailboxOperations = Pick<
  ImapSession,
  | "list"
  | "status"
  | "select"
  | "examine"
  | "close"
  | "unselect"
  | "create"
  | "delete"
  | "rename"
  | "subscribe"
  | "unsubscribe"
  | "namespace"
>

// Both leave the Selected state (RFC 9051 6.4.1, RFC 3691): later mailbox commands are refused locally.
const close = Effect.fn("ImapClient.close")(function* (ctx: SessionContext) {
  yield* ctx.run(Command.close, { onTagged: unselected })
})
const unselect = Effect.fn("ImapClient.unselect")(function* (ctx: SessionContext) {
  yield* ctx.run(Command.unselect, { onTagged: unselected })
})
const create = Effect.fn("ImapClient.create")(function* (ctx: SessionContext, mailbox: string) {
  yield* ctx.run(Command.create(mailbox))
})
const delete_ = Effect.fn("ImapClient.delete")(function* (ctx: SessionContext, mailbox: string) {
  yield* ctx.run(Command.delete_(mailbox))
})
const rename = Effect.fn("ImapClient.rename")(function* (ctx: SessionContext, from: string, to: string) {
  yield* ctx.run(Command.rename(from, to))
})
const subscribe = Effect.fn("ImapClient.subscribe")(function* (ctx: SessionContext, mailbox: string) {
  yield* ctx.run(Command.subscribe(mailbox))
})
const unsubscribe = Effect.fn("ImapClient.unsubscribe")(function* (ctx: SessionContext, mailbox: string) {
  yield* ctx.run(Command.unsubscribe(mailbox))
})

/** Defined once for every session, called with this one's context (see Messages.operations). */
export const operations: Operations<MailboxOperations> = {
  list: (ctx) => (pattern, options) => list(ctx, pattern, options),
  status: (ctx) => (mailbox, items) => status(ctx, mailbox, items),
  select: (ctx) => (mailbox, options) => select(ctx, mailbox, options),
  examine: (ctx) => (mailbox, options) => examine(ctx, mailbox, options),
  close: (ctx) => () => close(ctx),
  unselect: (ctx) => () => unselect(ctx),
  create: (ctx) => (mailbox) => create(ctx, mailbox),
  delete: (ctx) => (mailbox) => delete_(ctx, mailbox),
  rename: (ctx) => (from, to) => rename(ctx, from, to),
  subscribe: (ctx) => (mailbox) => subscribe(ctx, mailbox),
  unsubscribe: (ctx) => (mailbox) => unsubscribe(ctx, mailbox),
  namespace: (ctx) => () => namespace(ctx)
}
