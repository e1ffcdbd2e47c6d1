/**
 * What every part of a session (Mailboxes, Messages, Fetch, Search, Append, Login) works with: the
 * connection, the resolved options, the extensions ENABLE turned on, and commands made into requests
 * the way this session's server and extensions want them. One value, passed to each part, in place
 * of closures over one long function's locals.
 */
import type { Command, Tagged } from "@pkg/protocol"
import type * as Effect from "effect/Effect"
import * as Capabilities from "../Capabilities.ts"
import * as Commands from "../Commands.ts"
import type { ResolvedOptions } from "../ImapConfig.ts"
import type { CommandRequest, ImapConnection } from "../ImapConnection.ts"
import type { ImapError } from "../ImapError.ts"

export interface SessionContext {
  readonly connection: ImapConnection
  readonly options: ResolvedOptions
  /** Extensions the server confirmed with ENABLED, upper-cased; written by Login's ENABLE only. */
  readonly enabled: Set<string>
  /** UTF8=ACCEPT is enabled: strings are UTF-8 already (RFC 6855 3). */
  readonly utf8: () => boolean
  /** A mailbox name as the server sent it, read the way this session's extensions say. */
  readonly mailboxName: (r: { readonly mailbox: string; readonly rawMailbox: string }) => string
  /** Whether the capability set in force now holds `capability` (any case). */
  readonly has: (capability: string) => boolean
  readonly request: (command: Command.Command, extra?: Commands.RequestExtra) => CommandRequest
  readonly run: (command: Command.Command, extra?: Commands.RequestExtra) => Effect.Effect<Tagged, ImapError>
}

export const make = (connection: ImapConnection, options: ResolvedOptions): SessionContext => {
  const enabled = new Set<string>()
  const utf8 = () => enabled.has("UTF8=ACCEPT")
  const request = (command: Command.Command, extra?: Commands.RequestExtra) =>
    Commands.request(connection, command, extra, utf8)
  return {
    connection,
    options,
    enabled,
    utf8,
    // Under UTF8=ACCEPT names travel as UTF-8 both ways (RFC 6855 3): what the server sent is the
    // name, and `&` is just a character; the parser's modified UTF-7 reading would garble it.
    mailboxName: (r) => (utf8() ? r.rawMailbox : r.mailbox),
    has: (capability) => Capabilities.has(connection.capabilities(), capability),
    request,
    run: (command, extra) => connection.run(request(command, extra))
  }
}
