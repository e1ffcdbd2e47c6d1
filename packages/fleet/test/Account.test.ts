/**
 * Where an account's secret comes from, read on the runner: an environment variable, a file (its
 * first line) or a token command; each failure names the variable, file or command and never the
 * secret; a password login gets the secret as its password, a token login a provider asked on
 * every connection, with the stored mechanism.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import * as Account from "../src/Account.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-account-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}

const secret = "s3cret-value"

describe("Account.readSecret", () => {
  it.effect("an environment variable: its first line, trimmed", () =>
    Effect.gen(function* () {
      process.env.FLEET_TEST_SECRET = `  ${secret}  \nignored`
      const value = yield* Account.readSecret({ _tag: "Env", name: "FLEET_TEST_SECRET" })
      assert.strictEqual(Redacted.value(value), secret)
    })
  )

  it.effect("a file: its first line, trimmed; read again each time", () =>
    Effect.gen(function* () {
      const p = file("secret", `${secret}\r\n`)
      assert.strictEqual(Redacted.value(yield* Account.readSecret({ _tag: "File", path: p })), secret)
      writeFileSync(p, "rotated\n")
      assert.strictEqual(Redacted.value(yield* Account.readSecret({ _tag: "File", path: p })), "rotated")
    })
  )

  it.effect("a command: the first line it prints", () =>
    Effect.gen(function* () {
      const value = yield* Account.readSecret({ _tag: "Command", command: `printf '${secret}\\nmore'` })
      assert.strictEqual(Redacted.value(value), secret)
    })
  )

  it.effect.each([
    ["an unset variable", { _tag: "Env", name: "FLEET_TEST_UNSET" }, /FLEET_TEST_UNSET is not set/, false],
    ["a missing file", { _tag: "File", path: path.join(dir, "nope") }, /cannot read the secret file .*nope/, false],
    ["an empty file", { _tag: "File", path: file("empty", "\n") }, /secret file .*empty is empty/, false],
    [
      "a failing command",
      { _tag: "Command", command: `echo ${secret}; echo boom >&2; exit 3` },
      /exit status 3.*boom/,
      true
    ]
  ] as const)("%s fails naming it, never the secret", ([, ref, message, retryable]) =>
    Effect.gen(function* () {
      delete process.env.FLEET_TEST_UNSET
      const error = yield* Effect.flip(Account.readSecret(ref))
      assert.match(error.message, message)
      assert.notInclude(error.message, secret)
      assert.strictEqual(error.isRetryable, retryable)
    })
  )
})

describe("Account.clientOptions", () => {
  const base = { host: "imap.example.com", port: 1143, tls: "none", user: "ann" } as const
  it.effect("a password login reads the secret once, with the stored mechanism", () =>
    Effect.gen(function* () {
      process.env.FLEET_TEST_SECRET = secret
      const o = yield* Account.clientOptions({
        ...base,
        login: "password",
        mechanism: "LOGIN",
        secret: { _tag: "Env", name: "FLEET_TEST_SECRET" }
      })
      assert.deepStrictEqual(o.auth, {
        _tag: "Password",
        user: "ann",
        password: o.auth?._tag === "Password" ? o.auth.password : Redacted.make(""),
        mechanism: "LOGIN"
      })
      assert.strictEqual(o.auth?._tag === "Password" ? Redacted.value(o.auth.password) : undefined, secret)
      assert.strictEqual(o.port, 1143)
    })
  )

  it.effect("a token login gets a provider that reads the secret on each connection", () =>
    Effect.gen(function* () {
      const p = file("token", "t1\n")
      const o = yield* Account.clientOptions({ ...base, login: "token", secret: { _tag: "File", path: p } })
      assert.strictEqual(o.auth?._tag, "OAuth2")
      const provider = o.auth?._tag === "OAuth2" ? o.auth.accessToken : undefined
      assert.isTrue(Effect.isEffect(provider))
      const ask = provider as Effect.Effect<Redacted.Redacted<string>, unknown>
      assert.strictEqual(Redacted.value(yield* ask), "t1")
      writeFileSync(p, "t2\n")
      assert.strictEqual(Redacted.value(yield* ask), "t2")
    })
  )
})
