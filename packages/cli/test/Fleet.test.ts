/**
 * What `imap fleet add` stores as an account's secret: where it comes from (the password file by
 * absolute path, IMAP_PASSWORD or IMAP_ACCESS_TOKEN by name, the token file or command), never the
 * secret; a password typed at a prompt cannot be stored, so it is refused.
 */
import { Result } from "effect"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import type * as Credentials from "../src/Credentials.ts"
import { secretOf } from "../src/Fleet.ts"

const choice = (source: Credentials.Source): Credentials.Choice => ({ source, mechanism: undefined })

describe("fleet add: the stored secret reference", () => {
  it.each([
    [
      { _tag: "PasswordFile", file: "pw.txt" },
      { login: "password", secret: { _tag: "File", path: path.resolve("pw.txt") } }
    ],
    [{ _tag: "PasswordEnv" }, { login: "password", secret: { _tag: "Env", name: "IMAP_PASSWORD" } }],
    [{ _tag: "TokenEnv" }, { login: "token", secret: { _tag: "Env", name: "IMAP_ACCESS_TOKEN" } }],
    [
      { _tag: "TokenFile", file: "/run/token" },
      { login: "token", secret: { _tag: "File", path: "/run/token" } }
    ],
    [
      { _tag: "TokenCommand", command: "oauth2l fetch" },
      { login: "token", secret: { _tag: "Command", command: "oauth2l fetch" } }
    ]
  ] as const)("%j", (source, expected) => {
    expect(secretOf(choice(source))).toEqual(Result.succeed(expected))
  })

  it("a password prompt is refused, saying what to use instead", () => {
    const result = secretOf(choice({ _tag: "PasswordPrompt" }))
    expect(Result.isFailure(result) && result.failure).toMatch(/never stores a password: give --password-file/)
  })
})
