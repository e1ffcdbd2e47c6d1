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
import type { SessionContext } from "./internal/SessionContext.ts"
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

const status = (ctx: SessionContext) =>
  Effect.fn("ImapClient.status")(function* (
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

const list = (ctx: SessionContext, statusOf: ImapSession["status"]) =>
  Effect.fn("ImapClient.list")(function* (
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
        const noSelect = l.attributes.some(
          (a) => a.toUpperCase() === "\\NOSELECT" || a.toUpperCase() === "\\NONEXISTENT"
        )
        if (!noSelect) st = yield* statusOf(name, opts.status as NonEmptyReadonlyArray<Command.StatusItem>)
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
const enterMailbox = (ctx: SessionContext, readOnly: boolean) =>
  Effect.fn(readOnly ? "ImapClient.examine" : "ImapClient.select")(function* (
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

const namespace = (ctx: SessionContext) =>
  Effect.fn("ImapClient.namespace")(function* () {
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
        fromReason(
          new CommandFailed({ command: "NAMESPACE", status: "NO", code: undefined, text: "no NAMESPACE data" })
        )
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

export const make = (ctx: SessionContext): MailboxOperations => {
  const statusOf = status(ctx)
  return {
    list: list(ctx, statusOf),
    status: statusOf,
    select: enterMailbox(ctx, false),
    examine: enterMailbox(ctx, true),
    // Both leave the Selected state (RFC 9051 6.4.1, RFC 3691): later mailbox commands are refused locally.
    close: Effect.fn("ImapClient.close")(function* () {
      yield* ctx.run(Command.close, { onTagged: unselected })
    }),
    unselect: Effect.fn("ImapClient.unselect")(function* () {
      yield* ctx.run(Command.unselect, { onTagged: unselected })
    }),
    create: Effect.fn("ImapClient.create")(function* (mailbox: string) {
      yield* ctx.run(Command.create(mailbox))
    }),
    delete: Effect.fn("ImapClient.delete")(function* (mailbox: string) {
      yield* ctx.run(Command.delete_(mailbox))
    }),
    rename: Effect.fn("ImapClient.rename")(function* (from: string, to: string) {
      yield* ctx.run(Command.rename(from, to))
    }),
    subscribe: Effect.fn("ImapClient.subscribe")(function* (mailbox: string) {
      yield* ctx.run(Command.subscribe(mailbox))
    }),
    unsubscribe: Effect.fn("ImapClient.unsubscribe")(function* (mailbox: string) {
      yield* ctx.run(Command.unsubscribe(mailbox))
    }),
    namespace: namespace(ctx)
  }
}
