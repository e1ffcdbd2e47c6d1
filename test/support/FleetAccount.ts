/**
 * A fleet account for a user of a private test server: plain TCP, password login, the password read
 * by the runner from an environment variable (the fleet never stores it). The fleet's tests and
 * bench:fleet register their mailboxes with it.
 */
import type * as Account from "../../packages/fleet/src/Account.ts"

export const passwordFromEnv = (
  server: { readonly host: string; readonly port: number },
  user: string,
  variable = "IMAP_PASSWORD"
): Account.Settings => ({
  host: server.host,
  port: server.port,
  tls: "none",
  user,
  login: "password",
  secret: { _tag: "Env", name: variable }
})
