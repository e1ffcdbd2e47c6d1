/**
 * The `ImapClient` service: one authenticated IMAP session, as Effect apps use it. `layer(options)`
 * and `layerConfig` build it (closing the layer logs out); `make` gives a scoped session directly,
 * which is what a watcher that reconnects uses.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ImapConfig from "./ImapConfig.ts"
import type { ImapError } from "./ImapError.ts"
import * as ImapSession from "./ImapSession.ts"

export class ImapClient extends Context.Service<ImapClient, ImapSession.ImapSession>()("@pkg/client/ImapClient") {}

/** A scoped session: connected, authenticated (when `auth` is given), logged out on scope close. */
export const make = ImapSession.make

export const layer = (options: ImapConfig.ImapClientOptions): Layer.Layer<ImapClient, ImapError> =>
  Layer.effect(ImapClient, ImapSession.make(options))

/** Reads IMAP_HOST, IMAP_PORT, IMAP_TLS, IMAP_USER, IMAP_PASSWORD, ... (see `ImapConfig.fromConfig`). */
export const layerConfig = Layer.effect(
  ImapClient,
  Effect.flatMap(ImapConfig.fromConfig, (options) => ImapSession.make(options))
)
