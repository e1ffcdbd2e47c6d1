/**
 * The connection behind a session, for the client's own modules (Watcher, Idle, tests, benches):
 * the raw connection (its `write`, `run`, `fail`) is no part of the public `ImapSession`.
 *
 * It travels as a non-enumerable property under a registered symbol, not in a module-level WeakMap:
 * the symbol is the same in every copy of this module, so a bench that runs the compiled package and
 * reaches this file from the sources (two module instances) still finds it. Non-enumerable keeps it
 * out of spreads, `Object.keys`, JSON and the type.
 */
import type { ImapConnection } from "../ImapConnection.ts"

const key: unique symbol = Symbol.for("@pkg/client/ImapSession/connection")

/** Attaches `connection` to `session` (once, when the session is made); returns `session`. */
export const attach = <S extends object>(session: S, connection: ImapConnection): S =>
  Object.defineProperty(session, key, { value: connection, enumerable: false, writable: false })

/** The connection behind a session made by `ImapSession.make`; a defect for any other object. */
export const of = (session: object): ImapConnection => {
  const connection = (session as { readonly [key]?: ImapConnection })[key]
  if (connection === undefined) throw new TypeError("not a session made by ImapSession.make: it has no connection")
  return connection
}
