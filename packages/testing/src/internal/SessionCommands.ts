/**
 * Which command runs in which state (RFC 9051 3), and the commands about the session itself:
 * CAPABILITY, NOOP, ENABLE, ID, LOGIN, and authentication's decision (`authenticate`). Then
 * `execute`, the one dispatcher from a parsed command to its family's handler.
 */
import type { Command } from "@pkg/protocol"
import { value as redactedValue } from "effect/Redacted"
import * as MailboxCommands from "./MailboxCommands.ts"
import * as MessageCommands from "./MessageCommands.ts"
import type { Credentials } from "./Sasl.ts"
import { bad, no, ok, type Reply, type Session } from "./Session.ts"

/** The state a command needs (RFC 9051 6): any, not yet authenticated, authenticated (or selected), selected. */
export type Needs = "Any" | "NotAuthenticated" | "Authenticated" | "Selected"

/** The state each command needs. */
export const needs = (tag: Command.CommandTag): Needs => {
  switch (tag) {
    case "Capability":
    case "Noop":
    case "Logout":
    case "Id":
      return "Any"
    case "StartTls":
    case "Login":
    case "Authenticate":
      return "NotAuthenticated"
    case "Fetch":
    case "UidFetch":
    case "Store":
    case "UidStore":
    case "Search":
    case "UidSearch":
    case "Copy":
    case "UidCopy":
    case "Move":
    case "UidMove":
    case "Expunge":
    case "UidExpunge":
    case "Close":
    case "Unselect":
    case "Idle":
      return tag === "Idle" ? "Authenticated" : "Selected"
    default:
      return "Authenticated"
  }
}

/** True when a session in `state` may run a command that needs `need`. */
export const allowed = (need: Needs, state: Session["state"]): boolean => {
  switch (need) {
    case "Any":
      return state !== "Logout"
    case "NotAuthenticated":
      return state === "NotAuthenticated"
    case "Authenticated":
      return state === "Authenticated" || state === "Selected"
    case "Selected":
      return state === "Selected"
  }
}

const authenticationFailed = (text = "Authentication failed."): Reply =>
  no(text, { _tag: "Status", code: "AUTHENTICATIONFAILED" })

/**
 * Logs the session in when the credentials hold: a password matching the account's, or a token the
 * store knows for that user and has not expired.
 */
export const authenticate = (s: Session, credentials: Credentials): Reply => {
  const account = s.store.account(credentials.user)
  const valid =
    account !== undefined &&
    (credentials._tag === "Password"
      ? account.password === credentials.password
      : s.store.tokenUser(credentials.token) === credentials.user)
  if (!valid || account === undefined) return authenticationFailed()
  s.account = account
  s.state = "Authenticated"
  return s.behaviour.loginCapabilityCode
    ? ok("Logged in", { _tag: "Capability", capabilities: s.capabilities() })
    : ok("Logged in")
}

const enable = (s: Session, cmd: Command.Enable): Reply => {
  const enabled: Array<string> = []
  for (const c of cmd.capabilities) {
    const upper = c.toUpperCase()
    if (!s.has(upper) || s.enabled.has(upper)) continue
    s.enabled.add(upper)
    // RFC 7162 3.2.3: enabling QRESYNC implies CONDSTORE.
    if (upper === "QRESYNC") s.enabled.add("CONDSTORE")
    enabled.push(upper)
  }
  s.send({ _tag: "Enabled", capabilities: enabled })
  return ok("Enabled.")
}

/** Runs one command that needs no more input from the client (IDLE, AUTHENTICATE, STARTTLS, LOGOUT are the connection's). */
export const execute = (s: Session, cmd: Command.Command): Reply => {
  if (!allowed(needs(cmd._tag), s.state))
    return bad(s.state === "NotAuthenticated" ? "Not logged in." : `${cmd._tag} not allowed now.`)
  switch (cmd._tag) {
    case "Capability":
      s.send({ _tag: "Capability", capabilities: s.capabilities() })
      return ok("Capability completed.")
    case "Noop":
      return ok("NOOP completed.")
    case "Id":
      if (!s.has("ID")) return bad("ID is not supported")
      s.send({ _tag: "Id", params: new Map([["name", "effect-imap test server"]]) })
      return ok("ID completed.")
    case "Enable":
      return s.has("ENABLE") ? enable(s, cmd) : bad("ENABLE is not supported")
    case "Login":
      // RFC 9051 6.2.3: a server that advertises LOGINDISABLED refuses LOGIN.
      if (s.has("LOGINDISABLED")) return no("Plaintext LOGIN is disabled.", { _tag: "Status", code: "PRIVACYREQUIRED" })
      return authenticate(s, { _tag: "Password", user: cmd.user, password: redactedValue(cmd.password) })
    case "Namespace":
      return s.has("NAMESPACE") ? MailboxCommands.namespace(s) : bad("NAMESPACE is not supported")
    case "List":
      return MailboxCommands.list(s, cmd)
    case "Status":
      return MailboxCommands.status(s, cmd)
    case "Select":
    case "Examine":
      return MailboxCommands.select(s, cmd)
    case "Create":
      return MailboxCommands.create(s, cmd)
    case "Delete":
      return MailboxCommands.delete_(s, cmd)
    case "Rename":
      return MailboxCommands.rename(s, cmd)
    case "Subscribe":
    case "Unsubscribe":
      return MailboxCommands.subscribe(s, cmd)
    case "Close":
    case "Unselect":
      return MailboxCommands.close(s, cmd)
    case "Fetch":
    case "UidFetch":
      return MessageCommands.fetch(s, cmd)
    case "Store":
    case "UidStore":
      return MessageCommands.store(s, cmd)
    case "Search":
    case "UidSearch":
      return MessageCommands.search(s, cmd)
    case "Copy":
    case "UidCopy":
    case "Move":
    case "UidMove":
      return MessageCommands.copy(s, cmd)
    case "Expunge":
    case "UidExpunge":
      return MessageCommands.expunge(s, cmd)
    case "Append":
      return MessageCommands.append(s, cmd)
    default:
      return bad(`${cmd._tag} is not supported by this server`)
  }
}
