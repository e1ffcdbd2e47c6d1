/**
 * The message commands (RFC 9051 6.4): FETCH, STORE, SEARCH (ESEARCH, SEARCHRES), COPY, MOVE,
 * EXPUNGE, their UID forms, and APPEND. Sets are resolved in the session's own numbering; what a
 * command changes goes through the store, which tells every session selected on the mailbox.
 */
import type { Command, FetchAttributes, SearchKey } from "@pkg/protocol"
import { SequenceSet } from "@pkg/protocol"
import * as FetchAnswer from "./FetchAnswer.ts"
import * as Flags from "./Flags.ts"
import * as SearchMatch from "./SearchMatch.ts"
import * as Selection from "./Selection.ts"
import { bad, no, ok, type Reply, type Selected, type Session } from "./Session.ts"
import { parsed, type StoredMessage } from "./Store.ts"

type AnySet = SequenceSet.SetOrSaved<"seq"> | SequenceSet.SetOrSaved<"uid">

/** The session's messages a set names, with their sequence numbers; `$` is the saved search result. */
const messagesOf = (s: Session, sel: Selected, set: AnySet): Array<{ seq: number; message: StoredMessage }> => {
  const indexes = SequenceSet.isSaved(set)
    ? sel.view.flatMap((uid, i) => (s.saved.has(uid) ? [i] : []))
    : Selection.resolve(set, sel.view)
  return indexes.flatMap((i) => {
    const message = sel.mailbox.byUid(sel.view[i]!)
    return message === undefined ? [] : [{ seq: i + 1, message }]
  })
}

const uidsOf = (found: ReadonlyArray<{ message: StoredMessage }>): Array<SequenceSet.Uid> =>
  found.map((f) => SequenceSet.Uid(f.message.uid))

/** The FETCH order the behaviour asks for. */
const fetchOrder = (s: Session, items: ReadonlyArray<Command.FetchAttribute>): ReadonlyArray<keyof FetchAttributes> =>
  s.behaviour.fetchItemOrder === "request" ? FetchAnswer.requestOrder(items) : s.behaviour.fetchItemOrder

export const fetch = (s: Session, cmd: Command.Fetch | Command.UidFetch): Reply => {
  const sel = s.selected!
  const items = FetchAnswer.expand(cmd.items)
  const missing = FetchAnswer.unsupported(items)
  if (missing !== undefined) return bad(`FETCH ${missing} is not supported`)
  if ((cmd.changedSince !== undefined || items.some((a) => a._tag === "ModSeq")) && !s.has("CONDSTORE"))
    return bad("CONDSTORE is not supported")
  if (cmd._tag === "UidFetch" && cmd.vanished === true && (!s.enabled.has("QRESYNC") || cmd.changedSince === undefined))
    return bad("VANISHED needs QRESYNC enabled and CHANGEDSINCE")
  if (cmd.changedSince !== undefined) s.enabled.add("CONDSTORE")
  const found = messagesOf(s, sel, cmd.set)
  if (cmd._tag === "Fetch" && !SequenceSet.isSaved(cmd.set)) {
    // A set naming no message is answered as the server answers it (Courier OK, Cyrus NO, Dovecot BAD).
    if (found.length === 0) return s.behaviour.emptyFetch === "ok" ? ok("Fetch completed.") : s.behaviour.emptyFetch
    if (Selection.outOfRange(cmd.set, sel.view.length)) return bad("Error in IMAP command FETCH: Invalid messageset")
  }
  if (cmd._tag === "UidFetch" && cmd.vanished === true && !SequenceSet.isSaved(cmd.set)) {
    const set = cmd.set
    const gone = sel.mailbox.expunged
      // UIDs this session still numbers are told as live VANISHED when the command ends, not twice.
      .filter(
        (e) =>
          e.modSeq > (cmd.changedSince ?? 0n) &&
          SequenceSet.contains(set, e.uid, sel.mailbox.uidNext) &&
          !sel.view.includes(e.uid)
      )
      .map((e) => SequenceSet.Uid(e.uid))
    if (gone.length > 0)
      s.send({ _tag: "Vanished", earlier: true, uids: SequenceSet.fromNumbers("uid", gone as [SequenceSet.Uid]) })
  }
  const order = fetchOrder(s, items)
  for (const { seq, message } of found) {
    if (cmd.changedSince !== undefined && message.modSeq <= cmd.changedSince) continue
    const a = FetchAnswer.answer(message, items, {
      withUid: cmd._tag === "UidFetch",
      withModSeq: cmd.changedSince !== undefined,
      flags: s.flagsOf(message)
    })
    s.sendFetch(seq, a.attributes, order)
    if (a.setsSeen && !sel.readOnly && !Flags.includes(message.flags, "\\Seen"))
      sel.mailbox.setFlags(message, Flags.update(message.flags, "add", ["\\Seen"]), s, false)
  }
  return ok("Fetch completed.")
}

export const store = (s: Session, cmd: Command.Store | Command.UidStore): Reply => {
  const sel = s.selected!
  if (sel.readOnly) return no("Mailbox is read-only.")
  if (cmd.unchangedSince !== undefined) {
    if (!s.has("CONDSTORE")) return bad("CONDSTORE is not supported")
    s.enabled.add("CONDSTORE")
  }
  const modified: Array<SequenceSet.Uid> = []
  for (const { message } of messagesOf(s, sel, cmd.set)) {
    if (cmd.unchangedSince !== undefined && message.modSeq > cmd.unchangedSince) {
      modified.push(SequenceSet.Uid(message.uid))
      continue
    }
    const next = Flags.update(message.flags, cmd.mode, cmd.flags)
    if (Flags.same(next, message.flags) && cmd.unchangedSince === undefined) {
      // Unchanged flags still answer a non-silent STORE (RFC 9051 6.4.6).
      if (cmd.silent !== true) s.notify({ _tag: "FlagsChanged", uid: message.uid, origin: s, silent: false })
      continue
    }
    sel.mailbox.setFlags(message, next, s, cmd.silent === true)
  }
  return modified.length > 0
    ? ok("Conditional store failed", {
        _tag: "Modified",
        set: SequenceSet.fromNumbers("uid", modified as [SequenceSet.Uid])
      })
    : ok("Store completed.")
}

/** The first key the server cannot evaluate (OBJECTID, X-GM-RAW), for a BAD. */
const unsupportedKey = (key: SearchKey.SearchKey): string | undefined => {
  switch (key._tag) {
    case "EmailId":
    case "ThreadId":
    case "GmailRaw":
      return key._tag
    case "Or":
      return unsupportedKey(key.left) ?? unsupportedKey(key.right)
    case "Not":
      return unsupportedKey(key.key)
    case "And":
      return key.keys.map(unsupportedKey).find((k) => k !== undefined)
    default:
      return undefined
  }
}

export const search = (s: Session, cmd: Command.Search | Command.UidSearch): Reply => {
  const sel = s.selected!
  const missing = unsupportedKey(cmd.criteria)
  if (missing !== undefined) return bad(`SEARCH ${missing} is not supported`)
  if (cmd.returnOptions !== undefined && !s.has("ESEARCH")) return bad("ESEARCH is not supported")
  const charset = cmd.charset
  if (charset !== undefined && !s.behaviour.searchCharsets.some((c) => c.toUpperCase() === charset.toUpperCase()))
    return no("Unsupported charset", { _tag: "BadCharset", charsets: s.behaviour.searchCharsets })
  const ctx: SearchMatch.SearchContext = {
    maxSeq: sel.view.length,
    maxUid: sel.view.at(-1) ?? 0,
    now: new Date(),
    saved: s.saved
  }
  const hits: Array<{ seq: number; uid: number }> = []
  sel.view.forEach((uid, i) => {
    const m = sel.mailbox.byUid(uid)
    if (m === undefined) return
    const candidate: SearchMatch.Candidate = {
      ...m,
      flags: new Set(s.flagsOf(m)),
      seq: i + 1,
      size: m.raw.length,
      message: () => parsed(m)
    }
    if (SearchMatch.matches(cmd.criteria, candidate, ctx)) hits.push({ seq: i + 1, uid })
  })
  const uid = cmd._tag === "UidSearch"
  const ids = hits.map((h) => (uid ? h.uid : h.seq))
  const returns = cmd.returnOptions
  if (returns === undefined) {
    s.send({ _tag: "Search", ids, modSeq: undefined })
    return ok("Search completed.")
  }
  if (returns.includes("SAVE")) s.saved = new Set(hits.map((h) => h.uid))
  const wants = (o: SearchKey.ReturnOption) => returns.includes(o) || (returns.length === 0 && o === "ALL")
  const onlySave = returns.length === 1 && returns[0] === "SAVE"
  if (!onlySave)
    s.send({
      _tag: "ESearch",
      tag: s.currentTag,
      uid,
      min: wants("MIN") && ids.length > 0 ? Math.min(...ids) : undefined,
      max: wants("MAX") && ids.length > 0 ? Math.max(...ids) : undefined,
      count: wants("COUNT") ? ids.length : undefined,
      all:
        wants("ALL") && ids.length > 0
          ? SequenceSet.fromNumbers(uid ? "uid" : "seq", ids as [SequenceSet.Uid])
          : undefined,
      modSeq: undefined,
      other: []
    })
  return ok("Search completed.")
}

export const copy = (s: Session, cmd: Command.Copy | Command.UidCopy | Command.Move | Command.UidMove): Reply => {
  const sel = s.selected!
  const move = cmd._tag === "Move" || cmd._tag === "UidMove"
  if (move && !s.has("MOVE")) return bad("MOVE is not supported")
  if (move && sel.readOnly) return no("Mailbox is read-only.")
  const target = s.account!.mailbox(cmd.mailbox)
  if (target === undefined) return no(`Mailbox doesn't exist: ${cmd.mailbox}`, { _tag: "TryCreate" })
  const found = messagesOf(s, sel, cmd.set)
  const dest = found.map(({ message }) =>
    SequenceSet.Uid(
      target.append(message.raw, Flags.update(message.flags, "remove", ["\\Recent"]), message.internalDate).uid
    )
  )
  const copyUid =
    found.length > 0 && s.has("UIDPLUS")
      ? ({ _tag: "CopyUid", uidValidity: target.uidValidity, sourceUids: uidsOf(found), destUids: dest } as const)
      : undefined
  if (!move) return ok("Copy completed.", copyUid)
  // RFC 6851 3.3: COPYUID in an untagged OK before the expunges.
  if (copyUid !== undefined) s.send({ _tag: "UntaggedStatus", status: "OK", code: copyUid, text: "Moved UIDs." })
  sel.mailbox.expunge(found.map((f) => f.message.uid))
  return ok("Move completed.")
}

export const expunge = (s: Session, cmd: Command.Expunge | Command.UidExpunge): Reply => {
  const sel = s.selected!
  if (sel.readOnly) return no("Mailbox is read-only.")
  if (cmd._tag === "UidExpunge" && !s.has("UIDPLUS")) return bad("UIDPLUS is not supported")
  const candidates =
    cmd._tag === "UidExpunge" ? messagesOf(s, sel, cmd.uids).map((f) => f.message) : sel.mailbox.messages
  sel.mailbox.expunge(candidates.filter((m) => Flags.includes(m.flags, "\\Deleted")).map((m) => m.uid))
  return ok("Expunge completed.")
}

export const append = (s: Session, cmd: Command.Append): Reply => {
  const target = s.account!.mailbox(cmd.mailbox)
  if (target === undefined) return no(`Mailbox doesn't exist: ${cmd.mailbox}`, { _tag: "TryCreate" })
  const m = target.append(cmd.message, cmd.flags ?? [], cmd.internalDate ?? new Date())
  return ok(
    "Append completed.",
    s.has("UIDPLUS")
      ? { _tag: "AppendUid", uidValidity: target.uidValidity, uids: [SequenceSet.Uid(m.uid)] }
      : undefined
  )
}
