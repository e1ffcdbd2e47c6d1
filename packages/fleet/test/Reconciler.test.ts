/**
 * The reconciler's pass as a table: a watched mailbox is sent `Watch` once per reconciler lifetime
 * (its generation remembered), a tombstone is always sent `Stop` (until forgotten).
 */
import { describe, expect, it } from "vitest"
import { plan } from "../src/Reconciler.ts"
import type * as Registry from "../src/Registry.ts"

const row = (generation: number, removed = false): Registry.Watched => ({
  generation,
  account: `a${generation}`,
  mailbox: "INBOX",
  removed,
  runner: undefined,
  state: "added",
  detail: undefined
})

describe("Reconciler.plan", () => {
  it.each([
    ["nothing registered", [], [], [], []],
    ["new mailboxes are watched", [row(1), row(2)], [], [1, 2], []],
    ["a generation already sent is not sent again", [row(1), row(2)], [1], [2], []],
    ["a tombstone is stopped, never watched", [row(1, true)], [], [], [1]],
    ["a tombstone is stopped even if its watch was sent", [row(1, true), row(2)], [1, 2], [], [1]]
  ] as const)("%s", (_, rows, sent, watch, stop) => {
    const p = plan(rows, new Set(sent))
    expect(p.watch.map((r) => r.generation)).toEqual(watch)
    expect(p.stop.map((r) => r.generation)).toEqual(stop)
  })
})
