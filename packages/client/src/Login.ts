/**
 * Logging a session in and setting it up once authenticated: authentication itself (Auth.ts), then
 * the capabilities as they stand after it, ENABLE of the wanted extensions (RFC 5161) and ID
 * (RFC 2971). A session greeted with PREAUTH goes through the same setup without logging in.
 */
import { Command, type Response, type Tagged } from "@pkg/protocol"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Effect from "effect/Effect"
import * as Auth from "./Auth.ts"
import * as Capabilities from "./Capabilities.ts"
import type { Authentication } from "./ImapConfig.ts"
import type { ImapError } from "./ImapError.ts"
import type { SessionContext } from "./internal/SessionContext.ts"
import * as SessionState from "./SessionState.ts"

/** What authenticating told about the capabilities of the authenticated session. */
export interface Authenticated {
  /**
   * The server sent a capability list with its reply (as the tagged OK's code or an untagged
   * CAPABILITY before it; Dovecot does either, docs/servers.md): the set in force is the new one.
   */
  readonly capabilitiesCarried: boolean
}

/**
 * Authenticates (Auth.authenticate) and reports whether the reply carried capabilities. A refused
 * attempt changes no state, so it can be retried on the same connection.
 */
export const authenticate: (ctx: SessionContext, auth: Authentication) => Effect.Effect<Authenticated, ImapError> =
  Effect.fnUntraced(function* (ctx: SessionContext, auth: Authentication) {
    if (ctx.connection.capabilities().size === 0) yield* Capabilities.refresh(ctx.connection)
    let capabilitiesCarried = false
    const notice = (r: Response) => {
      if (Capabilities.carriedBy(r) !== undefined) capabilitiesCarried = true
    }
    yield* Auth.authenticate(
      ctx.connection,
      auth,
      (command, mechanism) =>
        ctx.request(command, {
          authentication: mechanism,
          // Not claimed: the connection has already taken the list into its set, and an untagged
          // CAPABILITY stays what it was before this collector existed (published, not consumed).
          collect: (r) => {
            notice(r)
            return false
          },
          onTagged: (t: Tagged, s: SessionState.SessionState) => {
            if (t.status !== "OK") return s
            notice(t)
            // The pre-login list no longer holds once authenticated; until it is asked for again
            // nothing is assumed (commands pipelined meanwhile send no LITERAL+ literals).
            if (!capabilitiesCarried) ctx.connection.setCapabilities([])
            return SessionState.authenticated
          }
        }),
      { host: ctx.options.host, port: ctx.options.port }
    )
    return { capabilitiesCarried }
  })

/**
 * After authentication: capabilities may change with it (Cyrus adds LOGINDISABLED, meaningless once
 * authenticated), so they are asked for unless the reply carried a whole list; then ENABLE of the
 * wanted extensions the server offers, and ID where offered and not turned off.
 */
export const setUp: (ctx: SessionContext, authenticated: Authenticated) => Effect.Effect<void, ImapError> =
  Effect.fnUntraced(function* (ctx: SessionContext, authenticated: Authenticated) {
    if (!authenticated.capabilitiesCarried || !Capabilities.isComplete(ctx.connection.capabilities())) {
      yield* Capabilities.refresh(ctx.connection)
    }
    const wanted = ctx.options.enable.filter((c) => ctx.has(c))
    if (ctx.has("ENABLE") && wanted.length > 0) {
      yield* ctx.run(Command.enable(...(wanted as unknown as NonEmptyReadonlyArray<string>)), {
        collect: (r) => {
          if (r._tag !== "Enabled") return false
          for (const c of Capabilities.normalise(r.capabilities)) ctx.enabled.add(c)
          return true
        }
      })
    }
    if (ctx.has("ID") && ctx.options.clientId !== false) {
      yield* ctx.run(Command.id(ctx.options.clientId), { collect: (r) => r._tag === "Id" }).pipe(Effect.ignore)
    }
  })

/** LOGIN or AUTHENTICATE, then the authenticated session's setup. */
export const login = Effect.fn("ImapClient.login")(function* (ctx: SessionContext, auth: Authentication) {
  yield* setUp(ctx, yield* authenticate(ctx, auth))
})

/** The setup of a session the server greeted with PREAUTH: the greeting's list, if any, is current. */
export const setUpPreauthenticated = (ctx: SessionContext): Effect.Effect<void, ImapError> =>
  setUp(ctx, { capabilitiesCarried: true })
