/**
 * The capability set's one owner, as tables: which responses carry a capability list (an untagged
 * CAPABILITY, a CAPABILITY code on an untagged status or on a tagged OK, never on a NO or BAD), the
 * normal form (upper-cased, looked up in any case), when a list counts as whole, and the store a
 * connection keeps: replaced by a carried list, untouched by anything else.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Response } from "@pkg/protocol"
import * as Capabilities from "../src/Capabilities.ts"

const capability = (...capabilities: Array<string>): Response => ({ _tag: "Capability", capabilities })
const code = (...capabilities: Array<string>) => ({ _tag: "Capability" as const, capabilities })

describe("which responses carry capabilities", () => {
  const table: ReadonlyArray<readonly [string, Response, ReadonlyArray<string> | undefined]> = [
    ["untagged CAPABILITY", capability("IMAP4rev1", "IDLE"), ["IMAP4rev1", "IDLE"]],
    [
      "greeting with a code",
      { _tag: "UntaggedStatus", status: "OK", code: code("IMAP4rev2"), text: "ready" },
      ["IMAP4rev2"]
    ],
    [
      "PREAUTH greeting with a code",
      { _tag: "UntaggedStatus", status: "PREAUTH", code: code("IMAP4rev1"), text: "hi" },
      ["IMAP4rev1"]
    ],
    ["untagged OK without a code", { _tag: "UntaggedStatus", status: "OK", code: undefined, text: "x" }, undefined],
    [
      "tagged OK with a code (Dovecot's LOGIN reply)",
      { _tag: "Tagged", tag: "A1", status: "OK", code: code("IMAP4rev1", "MOVE"), text: "Logged in" },
      ["IMAP4rev1", "MOVE"]
    ],
    [
      "tagged NO with a code",
      { _tag: "Tagged", tag: "A1", status: "NO", code: code("IMAP4rev1"), text: "refused" },
      undefined
    ],
    ["tagged OK without a code", { _tag: "Tagged", tag: "A1", status: "OK", code: undefined, text: "done" }, undefined],
    ["EXISTS", { _tag: "Exists", count: 3 }, undefined],
    ["ENABLED", { _tag: "Enabled", capabilities: ["QRESYNC"] }, undefined]
  ]
  for (const [name, response, expected] of table) {
    it(`${name}: ${expected === undefined ? "none" : expected.join(" ")}`, () => {
      assert.deepStrictEqual(Capabilities.carriedBy(response), expected)
    })
  }
})

describe("the normal form", () => {
  it("upper-cases names and finds them in any case", () => {
    const set = Capabilities.normalise(["IMAP4rev1", "auth=plain", "Literal+"])
    assert.deepStrictEqual([...set], ["IMAP4REV1", "AUTH=PLAIN", "LITERAL+"])
    for (const name of ["imap4rev1", "AUTH=PLAIN", "literal+"]) assert.isTrue(Capabilities.has(set, name))
    assert.isFalse(Capabilities.has(set, "IDLE"))
  })

  const whole: ReadonlyArray<readonly [ReadonlyArray<string>, boolean]> = [
    [[], false],
    [["IDLE", "MOVE"], false],
    [["IMAP4rev1"], true],
    [["imap4rev2", "IDLE"], true]
  ]
  for (const [names, expected] of whole) {
    it(`[${names.join(" ")}] is ${expected ? "" : "not "}a whole list`, () => {
      assert.strictEqual(Capabilities.isComplete(Capabilities.normalise(names)), expected)
    })
  }
})

describe("a connection's store", () => {
  it("is replaced by a carried list, says so, and is left alone by anything else", () => {
    const store = Capabilities.makeStore(["IMAP4rev1", "STARTTLS", "LOGINDISABLED"])
    assert.deepStrictEqual([...store.current()], ["IMAP4REV1", "STARTTLS", "LOGINDISABLED"])
    const before = store.current()
    assert.isFalse(store.observe({ _tag: "Exists", count: 1 }))
    assert.isFalse(store.observe({ _tag: "Tagged", tag: "A1", status: "NO", code: code("X"), text: "no" }))
    assert.strictEqual(store.current(), before)
    assert.isTrue(store.observe(capability("IMAP4rev1", "AUTH=PLAIN")))
    assert.deepStrictEqual([...store.current()], ["IMAP4REV1", "AUTH=PLAIN"])
    store.replace(["imap4rev2", "idle"])
    assert.deepStrictEqual([...store.current()], ["IMAP4REV2", "IDLE"])
  })
})
