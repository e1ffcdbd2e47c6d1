/**
 * Authentication: LOGIN (never when LOGINDISABLED), AUTHENTICATE PLAIN (with SASL-IR when the server
 * offers it), XOAUTH2 and OAUTHBEARER, with a fixed access token or one from a token provider (asked
 * per connection, and once more after a refusal). Secrets stay `Redacted` until the moment the bytes
 * are built, and those bytes only reach the wire: traces show `<redacted>`.
 */
import { Command } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type Authentication, isTokenProvider, type TokenProvider } from "./ImapConfig.ts"
import type { CommandRequest, ImapConnection } from "./ImapConnection.ts"
import { fromReason, type ImapError, MissingCapability } from "./ImapError.ts"

const encoder = new TextEncoder()
const base64 = (s: string) => Buffer.from(s, "utf8").toString("base64")
const crlf = encoder.encode("\r\n")

/** RFC 5801 saslname: `,` and `=` in the authorization identity are escaped. */
const saslName = (user: string): string => user.replaceAll("=", "=3D").replaceAll(",", "=2C")

/** The SASL initial response for a mechanism (RFC 4616 PLAIN, Google's XOAUTH2, RFC 7628 OAUTHBEARER). */
const initialResponse = (
  auth: Authentication,
  token: Redacted.Redacted<string> | undefined,
  mechanism: string,
  host: string,
  port: number
): string => {
  if (auth._tag === "Password") return base64(`\u0000${auth.user}\u0000${Redacted.value(auth.password)}`)
  const bearer = token === undefined ? "" : Redacted.value(token)
  return mechanism === "OAUTHBEARER"
    ? base64(`n,a=${saslName(auth.user)},\u0001host=${host}\u0001port=${port}\u0001auth=Bearer ${bearer}\u0001\u0001`)
    : base64(`user=${auth.user}\u0001auth=Bearer ${bearer}\u0001\u0001`)
}

/** Asks a token provider, its failure as the client's error. */
const fetchToken = (provider: TokenProvider): Effect.Effect<Redacted.Redacted<string>, ImapError> =>
  provider.pipe(Effect.mapError(fromReason), Effect.withSpan("imap.accessToken"))

const isAuthenticationFailed = (e: ImapError): boolean => e.reason._tag === "AuthenticationFailed"

export const chooseMechanism = (auth: Authentication, caps: ReadonlySet<string>): Effect.Effect<string, ImapError> => {
  if (auth._tag === "OAuth2") {
    const m = auth.mechanism ?? (caps.has("AUTH=OAUTHBEARER") ? "OAUTHBEARER" : "XOAUTH2")
    return caps.has(`AUTH=${m}`)
      ? Effect.succeed(m)
      : Effect.fail(fromReason(new MissingCapability({ capability: `AUTH=${m}`, operation: "authenticate" })))
  }
  if (auth.mechanism === "PLAIN" || (auth.mechanism === undefined && caps.has("AUTH=PLAIN"))) {
    return caps.has("AUTH=PLAIN")
      ? Effect.succeed("PLAIN")
      : Effect.fail(fromReason(new MissingCapability({ capability: "AUTH=PLAIN", operation: "authenticate" })))
  }
  // Cyrus advertises LOGINDISABLED after login only (docs/servers.md); before login it is binding.
  return caps.has("LOGINDISABLED")
    ? Effect.fail(
        fromReason(new MissingCapability({ capability: "LOGIN (server sent LOGINDISABLED)", operation: "login" }))
      )
    : Effect.succeed("LOGIN")
}

type MakeRequest = (command: Command.Command, mechanism: string) => CommandRequest

/** One AUTHENTICATE exchange with `response` as the initial response (on the line with SASL-IR). */
const sasl = (
  connection: ImapConnection,
  mechanism: string,
  response: string,
  makeRequest: MakeRequest
): Effect.Effect<void, ImapError> =>
  Effect.suspend(() => {
    const saslIr = connection.capabilities().has("SASL-IR")
    const command = Command.authenticate(mechanism, saslIr ? Redacted.make(response) : undefined)
    let answered = saslIr
    const base = makeRequest(command, mechanism)
    return connection.run({
      ...base,
      onChallenge: () => {
        if (!answered) {
          answered = true
          return Effect.succeed(encoder.encode(`${response}\r\n`))
        }
        // XOAUTH2/OAUTHBEARER report failure as a challenge holding JSON. XOAUTH2 wants an empty
        // line; OAUTHBEARER the dummy response %x01 (RFC 7628 3.2.3). The tagged NO follows.
        return Effect.succeed(mechanism === "OAUTHBEARER" ? encoder.encode(`${base64("\u0001")}\r\n`) : crlf)
      }
    })
  })

export const authenticate: (
  connection: ImapConnection,
  auth: Authentication,
  makeRequest: MakeRequest,
  endpoint?: { readonly host: string; readonly port: number }
) => Effect.Effect<void, ImapError> = Effect.fnUntraced(function* (
  connection: ImapConnection,
  auth: Authentication,
  makeRequest: MakeRequest,
  endpoint?: { readonly host: string; readonly port: number }
) {
  const caps = connection.capabilities()
  const mechanism = yield* chooseMechanism(auth, caps)
  if (mechanism === "LOGIN") {
    if (auth._tag !== "Password") return
    yield* connection.run(makeRequest(Command.login(auth.user, auth.password), "LOGIN"))
    return
  }
  const host = endpoint?.host ?? ""
  const port = endpoint?.port ?? 0
  if (auth._tag === "OAuth2" && isTokenProvider(auth.accessToken)) {
    // A provider's token may be refused for having expired or been revoked since it was issued:
    // ask once more for a fresh one before giving up. The server stays NotAuthenticated after a
    // refused AUTHENTICATE, so the second one runs on the same connection.
    const provider = auth.accessToken
    const attempt = Effect.flatMap(fetchToken(provider), (token) =>
      sasl(connection, mechanism, initialResponse(auth, token, mechanism, host, port), makeRequest)
    )
    return yield* attempt.pipe(
      Effect.catchIf(isAuthenticationFailed, () =>
        Effect.andThen(Effect.logDebug("access token refused; asking the token provider again"), attempt)
      )
    )
  }
  const token = auth._tag === "OAuth2" && !isTokenProvider(auth.accessToken) ? auth.accessToken : undefined
  yield* sasl(connection, mechanism, initialResponse(auth, token, mechanism, host, port), makeRequest)
})
