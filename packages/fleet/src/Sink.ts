/**
 * Where a runner hands each new message: the user's handler, or `imap serve`'s stdout. It runs
 * inside the transaction that marks the outbox entry handled, so a handler that writes to the
 * fleet's own database commits with the mark or not at all (exactly once); any other handler sees
 * an entry again only if its runner dies between the handler's end and the commit.
 *
 * @module
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Outbox from "./Outbox.ts"

/** The downstream of every mailbox this runner watches. */
export class Sink extends Context.Service<
  Sink,
  { readonly deliver: (entry: Outbox.Entry) => Effect.Effect<void, unknown> }
>()("@pkg/fleet/Sink") {}
