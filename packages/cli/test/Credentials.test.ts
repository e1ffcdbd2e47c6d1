/**
 * How `imap` picks its credential, as tables: password and token sources are exclusive, one token
 * source at most, a mechanism fits its credential; what a token command's run becomes (the token,
 * or an error with its exit status and stderr that never quotes stdout); and how throttling and a
 * missing token are reported and which exit code they get.
 */
import { AccessToken, ImapError } from "@pkg/client"
import { Duration, Effect, Option, Redacted, Result } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

import * as Credentials from "../src/Credentials.ts"
import * as ExitCode from "../src/ExitCode.ts"
import * as Report from "../src/Report.ts"

const none: Credentials.Given = {
  passwordFile: Option.none(),
  passwordEnv: false,
  tokenEnv: false,
  tokenFile: Option.none(),
  tokenCommand: Option.none(),
  mechanism: Option.none(),
  terminal: false
}

describe("Credentials.choose", () => {
  const table: ReadonlyArray<readonly [string, Partial<Credentials.Given>, string | RegExp]> = [
    ["IMAP_PASSWORD", { passwordEnv: true }, "PasswordEnv"],
    ["--password-file wins over IMAP_PASSWORD", { passwordFile: Option.some("f"), passwordEnv: true }, "PasswordFile"],
    ["nothing on a terminal: ask", { terminal: true }, "PasswordPrompt"],
    ["nothing, no terminal", {}, /^no password: set IMAP_PASSWORD/],
    ["IMAP_ACCESS_TOKEN", { tokenEnv: true }, "TokenEnv"],
    ["--access-token-file", { tokenFile: Option.some("t") }, "TokenFile"],
    ["--access-token-command", { tokenCommand: Option.some("cmd") }, "TokenCommand"],
    ["a token with XOAUTH2", { tokenEnv: true, mechanism: Option.some("XOAUTH2") }, "TokenEnv"],
    ["a password with PLAIN", { passwordEnv: true, mechanism: Option.some("PLAIN") }, "PasswordEnv"],
    [
      "a token and IMAP_PASSWORD",
      { tokenEnv: true, passwordEnv: true },
      "both an access token (IMAP_ACCESS_TOKEN) and a password (IMAP_PASSWORD); use one"
    ],
    [
      "a token command and --password-file",
      { tokenCommand: Option.some("cmd"), passwordFile: Option.some("f") },
      /both an access token \(--access-token-command\) and a password \(--password-file\)/
    ],
    [
      "two token sources",
      { tokenEnv: true, tokenFile: Option.some("t") },
      "more than one access token source: IMAP_ACCESS_TOKEN and --access-token-file; use one"
    ],
    [
      "a token with LOGIN",
      { tokenFile: Option.some("t"), mechanism: Option.some("LOGIN") },
      /mechanism LOGIN needs a password/
    ],
    [
      "OAUTHBEARER without a token",
      { passwordEnv: true, mechanism: Option.some("OAUTHBEARER") },
      /needs an access token/
    ],
    ["XOAUTH2 and nothing", { terminal: true, mechanism: Option.some("XOAUTH2") }, /needs an access token/]
  ]
  for (const [what, given, expected] of table) {
    it(`${what}: ${expected instanceof RegExp || expected.includes(" ") ? "a usage error" : expected}`, () => {
      const chosen = Credentials.choose({ ...none, ...given })
      if (typeof expected === "string" && !expected.includes(" ")) {
        expect(Result.isSuccess(chosen) ? chosen.success.source._tag : chosen.failure).toBe(expected)
      } else {
        expect(Result.isFailure(chosen), JSON.stringify(chosen)).toBe(true)
        if (Result.isFailure(chosen)) expect(chosen.failure).toMatch(expected)
      }
    })
  }
})

describe("AccessToken", () => {
  const finished = (code: number | null, stdout: string, stderr = "", signal: NodeJS.Signals | null = null) =>
    AccessToken.outcome({ timedOut: false, code, signal, stdout, stderr })

  it("takes the first line of stdout as the token", () => {
    const got = finished(0, "ya29.token-1\nsecond line\n")
    expect(Redacted.isRedacted(got) ? Redacted.value(got as Redacted.Redacted<string>) : got).toBe("ya29.token-1")
    expect(AccessToken.firstLine("  tok \r\n")).toBe("tok")
    expect(AccessToken.firstLine("\n\n")).toBeUndefined()
  })

  it("a failing command is an error with its exit status and stderr, never its stdout", () => {
    const got = finished(7, "ya29.leaked\n", "curl: (7) Failed to connect to oauth2.example.com\n")
    expect(got).toBeInstanceOf(ImapError.TokenUnavailable)
    const message = (got as ImapError.TokenUnavailable).message
    expect(message).toBe(
      "access token command failed (exit status 7): curl: (7) Failed to connect to oauth2.example.com"
    )
    expect(message).not.toContain("ya29")
    expect((got as ImapError.TokenUnavailable).isRetryable).toBe(true)
  })

  it("a killed command, an empty stdout and control characters in stderr are reported plainly", () => {
    const killed = finished(null, "", "", "SIGTERM") as ImapError.TokenUnavailable
    expect(killed.message).toBe("access token command failed (killed by SIGTERM): nothing on stderr")
    const slow = AccessToken.outcome({ timedOut: true, code: null, signal: "SIGKILL", stdout: "", stderr: "" })
    expect((slow as ImapError.TokenUnavailable).message).toBe("access token command gave no token within 30 s")
    const empty = finished(0, "\n", "") as ImapError.TokenUnavailable
    expect(empty.message).toBe("access token command printed no token (exit status 0)")
    expect(AccessToken.stderrExcerpt("\u001b[31merror\u001b[0m:\r\nbad\u0007")).toBe("[31merror [0m: bad")
    expect(AccessToken.stderrExcerpt("")).toBe("nothing on stderr")
    expect(AccessToken.stderrExcerpt("x".repeat(1000))).toHaveLength(303)
  })
})

describe("AccessToken.fromFile", () => {
  it("reads the file again on every call, so a refresher can replace the token between connections", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "imap-token-file-"))
    try {
      const file = path.join(dir, "token")
      const provider = AccessToken.fromFile(file)
      const read = () =>
        Effect.runPromise(
          provider.pipe(
            Effect.map(Redacted.value),
            Effect.catch((e) => Effect.succeed(`error: ${e.message}`))
          )
        )
      writeFileSync(file, "ya29.first\n")
      expect(await read()).toBe("ya29.first")
      writeFileSync(file, "ya29.second\n")
      expect(await read()).toBe("ya29.second")
      writeFileSync(file, "\n")
      expect(await read()).toBe(`error: access token file ${file} is empty`)
      rmSync(file)
      expect(await read()).toMatch(/^error: cannot read access token file .*ENOENT/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("throttling and token failures for the user", () => {
  const throttled = (retryAfter: Duration.Duration | undefined) =>
    new ImapError.ImapError({
      reason: new ImapError.Throttled({
        command: "LOGIN",
        status: "NO",
        code: undefined,
        text: "Request is throttled. Suggested Backoff Time: 299609 milliseconds",
        retryAfter
      })
    })

  it("says the server is throttling and how long to wait; exits 75 (EX_TEMPFAIL)", () => {
    expect(Report.describe(throttled(Duration.millis(299609)))).toBe(
      "server is throttling: retry after 300 s (LOGIN: NO Request is throttled. Suggested Backoff Time: 299609 milliseconds)"
    )
    expect(Report.describe(throttled(undefined))).toMatch(/^server is throttling \(LOGIN: NO /)
    expect(ExitCode.of(throttled(undefined))).toBe(75)
  })

  it("a token that could not be had is an authentication failure (exit 3)", () => {
    const error = new ImapError.ImapError({
      reason: new ImapError.TokenUnavailable({ message: "access token file /run/token is empty" })
    })
    expect(Report.describe(error)).toBe("no access token: access token file /run/token is empty")
    expect(ExitCode.of(error)).toBe(3)
  })
})
