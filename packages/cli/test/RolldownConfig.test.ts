/**
 * The bundle's lazy built-ins (packages/cli/rolldown.config.ts): the names a module takes from a
 * built-in are read from its source in both import forms, so a name the lazy module lacks fails the
 * build instead of being bundled as `undefined`.
 */
import { describe, expect, it } from "vitest"
import { importedNames } from "../rolldown.config.ts"

describe("importedNames", () => {
  it.each([
    [
      "a namespace import, each member used",
      `import * as Tls from "node:tls";\nTls.connect(o); new Tls.TLSSocket(s)`,
      ["connect", "TLSSocket"]
    ],
    [
      "named imports, renamed or not",
      `import { spawn, execFile as run } from "node:child_process"`,
      ["spawn", "execFile"]
    ],
    ["minified spacing, single quotes", `import*as e from'node:crypto';e.randomBytes(6)`, ["randomBytes"]],
    ["a `$` in the namespace name", `import * as C$1 from "node:crypto"; C$1.createHash("x")`, ["createHash"]],
    ["another built-in is not counted", `import * as Net from "node:net"; Net.connect(o)`, []],
    [
      "a member of another object with the same tail is not counted",
      `import * as T from "node:tls"; x.T.foo(); T.connect()`,
      ["connect"]
    ]
  ] as const)("%s", (_name, code, expected) => {
    const builtin = code.includes("child_process")
      ? "node:child_process"
      : code.includes("crypto")
        ? "node:crypto"
        : "node:tls"
    expect(importedNames(code, builtin)).toEqual(expected)
  })
})
