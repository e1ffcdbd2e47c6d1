/**
 * The capability set's one owner, as tables: which responses carry a capability list (an untagged
 * CAPABILITY, a CAPABILITY code on an untagged status or on a tagged OK, never on a NO or BAD), the
 * normal form (upper-cased, looked up in any case, one set shared by the sessions that got the same
 * list, a bounded number of lists kept), when a list counts as whole, and the store a
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

  it("one list (in any case) gives one shared set; another list another set", () => {
    const a = Capabilities.normalise(["IMAP4rev1", "IDLE", "x-shared-test"])
    assert.strictEqual(Capabilities.normalise(["imap4rev1", "idle", "X-SHARED-TEST"]), a)
    assert.notStrictEqual(Capabilities.normalise(["IMAP4rev1", "X-SHARED-TEST"]), a)
  })

  it("keeps a bounded number of lists: after many others, a list gets a new set, equal to the old", () => {
    const first = Capabilities.normalise(["IMAP4rev1", "X-BOUND-TEST"])
    for (let i = 0; i < 200; i++) Capabilities.normalise(["IMAP4rev1", `X-OTHER-${i}`])
    const again = Capabilities.normalise(["IMAP4rev1", "X-BOUND-TEST"])
    assert.notStrictEqual(again, first)
    assert.deepStrictEqual([...again], [...first])
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
