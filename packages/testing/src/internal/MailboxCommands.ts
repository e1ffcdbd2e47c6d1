/**
 * The mailbox commands (RFC 9051 6.3): LIST (LIST-EXTENDED RETURN, SPECIAL-USE, LIST-STATUS),
 * STATUS, SELECT/EXAMINE (CONDSTORE, QRESYNC), CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
 * NAMESPACE, CLOSE, UNSELECT. Each writes its untagged data through the session and returns the
 * tagged reply.
 */
import type { Command, StatusItems } from "@pkg/protocol"
import { MailboxName, SequenceSet } from "@pkg/protocol"
import * as Flags from "./Flags.ts"
import * as ListPattern from "./ListPattern.ts"
import { bad, no, ok, type Reply, type Session } from "./Session.ts"
import type { Mailbox } from "./Store.ts"

const rawName = (s: Session, name: string): string => (s.enabled.has("UTF8=ACCEPT") ? name : MailboxName.encode(name))

const nonexistent = (name: string): Reply =>
  no(`Mailbox doesn't exist: ${name}`, { _tag: "Status", code: "NONEXISTENT" })

/** The counters STATUS names (RFC 9051 6.3.11). */
export const statusItems = (m: Mailbox, items: ReadonlyArray<Command.StatusItem>): StatusItems => {
  const out: { -readonly [K in keyof StatusItems]: StatusItems[K] } = {}
  for (const item of items) {
    switch (item) {
      case "MESSAGES":
        out.messages = m.messages.length
        break
      case "RECENT":
        out.recent = m.recent.size
        break
      case "UIDNEXT":
        out.uidNext = m.uidNext
        break
      case "UIDVALIDITY":
        out.uidValidity = m.uidValidity
        break
      case "UNSEEN":
        out.unseen = m.messages.filter((x) => !Flags.includes(x.flags, "\\Seen")).length
        break
      case "DELETED":
        out.deleted = m.messages.filter((x) => Flags.includes(x.flags, "\\Deleted")).length
        break
      case "SIZE":
        out.size = m.messages.reduce((n, x) => n + x.raw.length, 0)
        break
      case "HIGHESTMODSEQ":
        out.highestModSeq = m.highestModSeq
        break
      default:
        break
    }
  }
  return out
}

export const list = (s: Session, cmd: Command.List): Reply => {
  const account = s.account!
  const delimiter = s.behaviour.delimiter
  if ((cmd.returnOptions !== undefined || cmd.selection !== undefined) && !s.has("LIST-EXTENDED"))
    return bad("LIST-EXTENDED is not supported")
  if (cmd.returnOptions?.status !== undefined && !s.has("LIST-STATUS")) return bad("LIST-STATUS is not supported")
  if (cmd.patterns.length === 1 && cmd.patterns[0] === "") {
    s.send(listData(s, "", ["\\Noselect"], delimiter))
    return ok("List completed.")
  }
  const names = [...account.mailboxes.keys()]
  const subscribedOnly = cmd.selection?.includes("SUBSCRIBED") === true
  for (const mailbox of account.mailboxes.values()) {
    if (!cmd.patterns.some((p) => ListPattern.matches(mailbox.name, cmd.reference, p, delimiter))) continue
    if (subscribedOnly && !mailbox.subscribed) continue
    const attributes = [ListPattern.hasChildren(mailbox.name, names, delimiter) ? "\\HasChildren" : "\\HasNoChildren"]
    if (mailbox.subscribed && cmd.returnOptions?.subscribed === true) attributes.push("\\Subscribed")
    if (mailbox.specialUse !== undefined && s.has("SPECIAL-USE")) attributes.push(mailbox.specialUse)
    s.send(listData(s, mailbox.name, attributes, delimiter))
    const status = cmd.returnOptions?.status
    if (status !== undefined)
      s.send({
        _tag: "Status",
        mailbox: mailbox.name,
        rawMailbox: rawName(s, mailbox.name),
        items: statusItems(mailbox, status)
      })
  }
  return ok("List completed.")
}

const listData = (s: Session, name: string, attributes: ReadonlyArray<string>, delimiter: string) =>
  ({
    _tag: "List",
    attributes,
    delimiter,
    mailbox: name,
    rawMailbox: rawName(s, name),
    childInfo: undefined,
    oldName: undefined,
    extended: []
  }) as const

export const status = (s: Session, cmd: Command.Status): Reply => {
  const mailbox = s.account!.mailbox(cmd.mailbox)
  if (mailbox === undefined) return nonexistent(cmd.mailbox)
  if (cmd.items.includes("HIGHESTMODSEQ") && !s.has("CONDSTORE")) return bad("CONDSTORE is not supported")
  s.send({
    _tag: "Status",
    mailbox: mailbox.name,
    rawMailbox: rawName(s, mailbox.name),
    items: statusItems(mailbox, cmd.items)
  })
  return ok("Status completed.")
}

/** QRESYNC on SELECT (RFC 7162 3.2.5.1): what vanished and what changed since the client's MODSEQ. */
const resync = (s: Session, mailbox: Mailbox, q: Command.QResync): void => {
  if (q.uidValidity !== mailbox.uidValidity) return
  const known = q.knownUids
  const inKnown = (uid: number) =>
    known === undefined || SequenceSet.isSaved(known) || SequenceSet.contains(known, uid, mailbox.uidNext)
  const vanished = mailbox.expunged
    .filter((e) => e.modSeq > q.modSeq && inKnown(e.uid))
    .map((e) => SequenceSet.Uid(e.uid))
  if (vanished.length > 0)
    s.send({
      _tag: "Vanished",
      earlier: true,
      uids: SequenceSet.fromNumbers("uid", vanished as [SequenceSet.Uid, ...Array<SequenceSet.Uid>])
    })
  mailbox.messages.forEach((m, i) => {
    if (m.modSeq > q.modSeq && inKnown(m.uid))
      s.send({
        _tag: "Fetch",
        seq: i + 1,
        attributes: { uid: SequenceSet.Uid(m.uid), flags: s.flagsOf(m), modSeq: m.modSeq }
      })
  })
}

export const select = (s: Session, cmd: Command.Select | Command.Examine): Reply => {
  const readOnly = cmd._tag === "Examine"
  const mailbox = s.account!.mailbox(cmd.mailbox)
  const wasSelected = s.selected !== undefined
  s.unselect()
  if (wasSelected && s.enabled.has("QRESYNC"))
    s.send({ _tag: "UntaggedStatus", status: "OK", code: { _tag: "Closed" }, text: "Previous mailbox closed." })
  if (mailbox === undefined) return nonexistent(cmd.mailbox)
  if (cmd.qresync !== undefined && !s.enabled.has("QRESYNC")) return bad("QRESYNC is not enabled")
  if (cmd.condstore === true) {
    if (!s.has("CONDSTORE")) return bad("CONDSTORE is not supported")
    s.enabled.add("CONDSTORE")
  }
  const sel = s.select(mailbox, readOnly)
  const flags = Flags.announced(mailbox.messages)
  const say = (code: Parameters<typeof ok>[1], text: string) =>
    s.send({ _tag: "UntaggedStatus", status: "OK", code, text })
  s.send({ _tag: "Flags", flags })
  say(
    { _tag: "PermanentFlags", flags: readOnly ? [] : [...flags, "\\*"] },
    readOnly ? "Read-only mailbox." : "Flags permitted."
  )
  s.send({ _tag: "Exists", count: sel.view.length })
  s.send({ _tag: "Recent", count: s.recent.size })
  const firstUnseen = mailbox.messages.findIndex((m) => !Flags.includes(m.flags, "\\Seen"))
  if (firstUnseen >= 0) say({ _tag: "Unseen", seq: firstUnseen + 1 }, "First unseen.")
  say({ _tag: "UidValidity", uidValidity: mailbox.uidValidity }, "UIDs valid")
  if (s.behaviour.selectUidNext) say({ _tag: "UidNext", uid: mailbox.uidNext }, "Predicted next UID")
  if (s.has("CONDSTORE")) say({ _tag: "HighestModSeq", modSeq: mailbox.highestModSeq }, "Highest")
  if (cmd.qresync !== undefined) resync(s, mailbox, cmd.qresync)
  return ok(readOnly ? "Examine completed." : "Select completed.", { _tag: readOnly ? "ReadOnly" : "ReadWrite" })
}

export const create = (s: Session, cmd: Command.Create): Reply => {
  const account = s.account!
  if (account.mailbox(cmd.mailbox) !== undefined)
    return no("Mailbox already exists", { _tag: "Status", code: "ALREADYEXISTS" })
  account.create(cmd.mailbox, cmd.specialUse?.[0])
  return ok("Create completed.")
}

export const delete_ = (s: Session, cmd: Command.Delete): Reply => {
  const account = s.account!
  const mailbox = account.mailbox(cmd.mailbox)
  if (mailbox === undefined) return nonexistent(cmd.mailbox)
  if (mailbox.name === "INBOX") return no("INBOX can't be deleted.")
  account.mailboxes.delete(mailbox.name)
  if (s.selected?.mailbox === mailbox) s.unselect()
  return ok("Delete completed.")
}

export const rename = (s: Session, cmd: Command.Rename): Reply => {
  const account = s.account!
  const mailbox = account.mailbox(cmd.from)
  if (mailbox === undefined) return nonexistent(cmd.from)
  if (account.mailbox(cmd.to) !== undefined)
    return no("Target mailbox already exists", { _tag: "Status", code: "ALREADYEXISTS" })
  account.mailboxes.delete(mailbox.name)
  mailbox.name = cmd.to
  account.mailboxes.set(cmd.to, mailbox)
  return ok("Rename completed.")
}

export const subscribe = (s: Session, cmd: Command.Subscribe | Command.Unsubscribe): Reply => {
  const mailbox = s.account!.mailbox(cmd.mailbox)
  if (mailbox === undefined) return nonexistent(cmd.mailbox)
  mailbox.subscribed = cmd._tag === "Subscribe"
  return ok(`${cmd._tag} completed.`)
}

export const namespace = (s: Session): Reply => {
  s.send({
    _tag: "Namespace",
    personal: [{ prefix: "", delimiter: s.behaviour.delimiter }],
    otherUsers: [],
    shared: []
  })
  return ok("Namespace completed.")
}

/** CLOSE expunges `\Deleted` messages silently (RFC 9051 6.4.1); UNSELECT does not. */
export const close = (s: Session, cmd: Command.Close | Command.Unselect): Reply => {
  const sel = s.selected!
  if (cmd._tag === "Unselect" && !s.has("UNSELECT")) return bad("UNSELECT is not supported")
  if (cmd._tag === "Close" && !sel.readOnly) {
    const deleted = sel.mailbox.messages.filter((m) => Flags.includes(m.flags, "\\Deleted")).map((m) => m.uid)
    s.unselect()
    sel.mailbox.expunge(deleted)
  } else s.unselect()
  return ok(`${cmd._tag === "Close" ? "Close" : "Unselect"} completed.`)
}
