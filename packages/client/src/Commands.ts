/**
 * Turns protocol `Command`s into connection requests: which states allow each command, which must
 * run alone (state changes, and LOGIN because Courier drops whatever is pipelined behind it), and
 * how the encoder's choices follow the server's capabilities (LITERAL+/-, UTF8=ACCEPT, BINARY).
 */
import { type Command, CommandEncoder } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { CommandRequest, ImapConnection } from "./ImapConnection.ts"
import { fromReason, InvalidInput } from "./ImapError.ts"
import type { StateName } from "./SessionState.ts"

const any: ReadonlyArray<StateName> = ["NotAuthenticated", "Authenticated", "Selected"]
const notAuthenticated: ReadonlyArray<StateName> = ["NotAuthenticated"]
const authenticated: ReadonlyArray<StateName> = ["Authenticated", "Selected"]
const selected: ReadonlyArray<StateName> = ["Selected"]

const allowedIn = (c: Command.Command): ReadonlyArray<StateName> => {
  switch (c._tag) {
    case "Capability":
    case "Noop":
    case "Logout":
    case "Id":
    case "Compress":
      return any
    case "StartTls":
    case "Authenticate":
    case "Login":
      return notAuthenticated
    case "Close":
    case "Unselect":
    case "Expunge":
    case "UidExpunge":
    case "Search":
    case "UidSearch":
    case "Fetch":
    case "UidFetch":
    case "Store":
    case "UidStore":
    case "Copy":
    case "UidCopy":
    case "Move":
    case "UidMove":
      return selected
    default:
      return authenticated
  }
}

const exclusiveTags = new Set<Command.CommandTag>([
  "Login",
  "Authenticate",
  "StartTls",
  "Select",
  "Examine",
  "Close",
  "Unselect",
  "Logout",
  "Enable",
  "Idle",
  "Compress"
])

/** The command's name on the wire, for errors and spans (never its arguments). */
export const nameOf = (c: Command.Command): string => {
  switch (c._tag) {
    case "StartTls":
      return "STARTTLS"
    case "UidExpunge":
      return "UID EXPUNGE"
    case "UidSearch":
      return "UID SEARCH"
    case "UidFetch":
      return "UID FETCH"
    case "UidStore":
      return "UID STORE"
    case "UidCopy":
      return "UID COPY"
    case "UidMove":
      return "UID MOVE"
    case "GetQuota":
      return "GETQUOTA"
    case "GetQuotaRoot":
      return "GETQUOTAROOT"
    default:
      return c._tag.toUpperCase()
  }
}

/** What a caller may set on a request beside the command itself (collectors, state transitions). */
export type RequestExtra = Partial<Omit<CommandRequest, "encode" | "name" | "allowedIn">>

/** A connection request for `command`; `extra` sets collectors and state transitions. */
export const request = (
  connection: ImapConnection,
  command: Command.Command,
  extra?: RequestExtra,
  utf8Enabled?: () => boolean
): CommandRequest => ({
  name: nameOf(command),
  allowedIn: allowedIn(command),
  exclusive: exclusiveTags.has(command._tag),
  encode: (tag) =>
    Effect.suspend(() => {
      const caps = connection.capabilities()
      const encoded = CommandEncoder.encode(tag, command, {
        literalPlus: caps.has("LITERAL+"),
        literalMinus: caps.has("LITERAL-"),
        utf8Accept: utf8Enabled?.() ?? false,
        binary: caps.has("BINARY")
      })
      // The encoder's message already starts with the field (`UidFetch.set: ...`).
      return Result.isFailure(encoded)
        ? Effect.fail(fromReason(new InvalidInput({ message: encoded.failure.message })))
        : Effect.succeed({ segments: encoded.success.segments, trace: encoded.success.trace })
    }),
  ...extra
})
