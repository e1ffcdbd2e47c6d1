/**
 * The bundle's lazy built-ins (packages/cli/rolldown.config.ts): a namespace import becomes an
 * object that reads the built-in on use and answers as the built-in does (values, feature tests with
 * `typeof` and `in`), and the names a module imports one by one are read from its source in every
 * spelling, so a name that is not a function of the built-in fails the build.
 */
import * as crypto from "node:crypto"
import { describe, expect, it } from "vitest"
import { lazyNamespaces, namedImports } from "../rolldown.config.ts"

describe("namedImports", () => {
  it.each([
    ["renamed or not", `import { spawn, execFile as run } from "node:child_process"`, ["spawn", "execFile"]],
    [
      "minified spacing, single quotes",
      `import{createHash as e,pbkdf2Sync}from'node:child_process';`,
      ["createHash", "pbkdf2Sync"]
    ],
    ["over several lines", `import {\n  spawn,\n  fork\n} from "node:child_process"`, ["spawn", "fork"]],
    ["another built-in's names are not counted", `import { connect } from "node:net"`, []],
    ["a namespace import is not a named one", `import * as C from "node:child_process"`, []]
  ] as const)("%s", (_name, code, expected) => {
    expect(namedImports(code, "node:child_process")).toEqual(expected)
  })
})

describe("lazyNamespaces", () => {
  it("replaces the import with an object that reads node:crypto when a member is read", () => {
    const code = lazyNamespaces(`import * as C$1 from "node:crypto";\nconst x = 1`, "node:crypto")
    expect(code).not.toContain("import")
    const C = new Function(`${code}\nreturn C$1`)() as typeof crypto
    expect(C.constants).toBe(crypto.constants)
    expect(C.createHash("sha256").update("x").digest("hex")).toBe(crypto.createHash("sha256").update("x").digest("hex"))
    expect(typeof (C as Record<string, unknown>).argon2).toBe(typeof (crypto as Record<string, unknown>).argon2)
    expect(typeof (C as Record<string, unknown>).noSuchExport).toBe("undefined")
    expect("randomBytes" in C).toBe(true)
  })

  it("leaves other built-ins' imports alone", () => {
    const code = `import * as Net from "node:net"`
    expect(lazyNamespaces(code, "node:crypto")).toBe(code)
  })
})
