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

/** A class: one context per session, its methods on the prototype rather than five closures each. */
class ContextImpl implements SessionContext {
  readonly connection: ImapConnection
  readonly options: ResolvedOptions
  readonly enabled = new Set<string>()

  constructor(connection: ImapConnection, options: ResolvedOptions) {
    this.connection = connection
    this.options = options
  }

  utf8(): boolean {
    return this.enabled.has("UTF8=ACCEPT")
  }

  // Under UTF8=ACCEPT names travel as UTF-8 both ways (RFC 6855 3): what the server sent is the
  // name, and `&` is just a character; the parser's modified UTF-7 reading would garble it.
  mailboxName(r: { readonly mailbox: string; readonly rawMailbox: string }): string {
    return this.utf8() ? r.rawMailbox : r.mailbox
  }

  has(capability: string): boolean {
    return Capabilities.has(this.connection.capabilities(), capability)
  }

  request(command: Command.Command, extra?: Commands.RequestExtra): CommandRequest {
    return Commands.request(this.connection, command, extra, () => this.utf8())
  }

  run(command: Command.Command, extra?: Commands.RequestExtra): Effect.Effect<Tagged, ImapError> {
    return this.connection.run(this.request(command, extra))
  }
}

/**
 * A family's operations (Mailboxes, Fetch, ...) as functions of a session's context. The session
 * puts them on the prototype every session shares (ImapSession), each giving the operation bound
 * to that session when read: nothing per operation is kept per session.
 */
export type Operations<T> = { readonly [K in keyof T]: (ctx: SessionContext) => T[K] }

/** A SessionContext; its methods need their receiver (`ctx.run(c)`, not detached). */
export const make = (connection: ImapConnection, options: ResolvedOptions): SessionContext =>
  new ContextImpl(connection, options)
