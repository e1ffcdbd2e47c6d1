/**
 * The `ImapClient` service: one authenticated IMAP session, as Effect apps use it. Its value is an
 * `ImapSession` (the interface of every operation); `make` gives that value in a scope, `layer` and
 * `layerConfig` provide it as the service (closing the layer logs out). A program that reconnects,
 * such as the watcher, calls `make` once per connection.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as ImapConfig from "./ImapConfig.ts"
import type { ImapError } from "./ImapError.ts"
import * as ImapSession from "./ImapSession.ts"

/**
 * The `ImapClient` service. Its value is an `ImapSession`, built by `make` (scoped) or provided by
 * `layer` / `layerConfig`.
 *
 * @example
 * import { ImapClient } from "@pkg/client"
 * import { Effect } from "effect"
 *
 * const mailboxes = Effect.gen(function* () {
 *   const client = yield* ImapClient.ImapClient
 *   return yield* client.list()
 * }).pipe(Effect.provide(ImapClient.layerConfig))
 */
export class ImapClient extends Context.Service<ImapClient, ImapSession.ImapSession>()("@pkg/client/ImapClient") {}

/**
 * The `ImapClient` service's value, scoped: connected, authenticated (when `auth` is given), with
 * the extensions ENABLEd; closing the scope logs out. Fails with an `ImapError` (connection, TLS,
 * timeout, throttling, authentication) and, on failure, leaves nothing open.
 */
export const make: (
  options: ImapConfig.ImapClientOptions
) => Effect.Effect<ImapSession.ImapSession, ImapError, Scope.Scope> = ImapSession.make

/** The service, built by `make`, for as long as the layer lives. */
export const layer = (options: ImapConfig.ImapClientOptions): Layer.Layer<ImapClient, ImapError> =>
  Layer.effect(ImapClient, make(options))

/** Reads IMAP_HOST, IMAP_PORT, IMAP_TLS, IMAP_USER, IMAP_PASSWORD, ... (see `ImapConfig.fromConfig`). */
export const layerConfig = Layer.effect(ImapClient, Effect.flatMap(ImapConfig.fromConfig, make))
