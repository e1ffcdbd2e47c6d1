/**
 * The coalescing rule of a subscriber's inbox, as a table: what a run of unsolicited data becomes
 * when the subscriber has not taken it yet. Only the newest EXISTS/RECENT count and the newest flags
 * of a message are kept, identical EXPUNGE lines are counted (and handed out one by one), and nothing
 * moves across an EXPUNGE, VANISHED or any other barrier. Also: pulls are bounded, and the inbox asks
 * for backpressure at its high-water mark and fails (never drops silently) past its limit.
 */
import { assert, describe, it } from "@effect/vitest"
import type { FetchAttributes, UntaggedData } from "@pkg/protocol"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Exit } from "effect"
import * as EventInbox from "../src/internal/EventInbox.ts"

const X = (count: number): UntaggedData => ({ _tag: "Exists", count })
const R = (count: number): UntaggedData => ({ _tag: "Recent", count })
const E = (seq: number): UntaggedData => ({ _tag: "Expunge", seq })
const V = (uids: string): UntaggedData => ({ _tag: "Vanished", earlier: false, uids: SequenceSet.parse(uids, "uid") })
const F = (seq: number, attributes: FetchAttributes): UntaggedData => ({ _tag: "Fetch", seq, attributes })
const seen = (seq: number, uid?: number): UntaggedData =>
  F(seq, { ...(uid === undefined ? {} : { uid: SequenceSet.Uid(uid) }), flags: ["\\Seen"] })
const unseen = (seq: number): UntaggedData => F(seq, { flags: [] })
const bye: UntaggedData = { _tag: "UntaggedStatus", status: "BYE", code: undefined, text: "bye" }

const table: ReadonlyArray<readonly [string, ReadonlyArray<UntaggedData>, ReadonlyArray<UntaggedData>]> = [
  ["a run of EXISTS keeps the newest count", [X(1), X(2), X(3)], [X(3)]],
  ["a run of RECENT keeps the newest count", [R(1), R(0), R(4)], [R(4)]],
  ["EXISTS never coalesces across an EXPUNGE", [X(5), E(2), X(5)], [X(5), E(2), X(5)]],
  ["EXISTS never coalesces across a VANISHED", [X(5), V("3"), X(6)], [X(5), V("3"), X(6)]],
  [
    "an EXISTS takes the place of the run's first (a flag update stays after it)",
    [X(1), seen(1), X(2)],
    [X(2), seen(1)]
  ],
  ["repeated flag updates of a message keep the newest flags", [seen(3), unseen(3)], [unseen(3)]],
  [
    "a flag update keeps the UID an earlier one of the same message carried",
    [seen(3, 30), unseen(3)],
    [F(3, { uid: SequenceSet.Uid(30), flags: [] })]
  ],
  ["flag updates of different messages are all kept, in order", [seen(1), seen(2), unseen(1)], [unseen(1), seen(2)]],
  ["flag updates never coalesce across an EXPUNGE", [seen(3), E(1), unseen(3)], [seen(3), E(1), unseen(3)]],
  [
    "a FETCH carrying more than UID/FLAGS/MODSEQ is data: a barrier, never merged",
    [F(1, { flags: [], size: 10 }), F(1, { flags: [], size: 10 })],
    [F(1, { flags: [], size: 10 }), F(1, { flags: [], size: 10 })]
  ],
  ["identical EXPUNGE lines are all handed out (a mass expunge)", [E(1), E(1), E(1)], [E(1), E(1), E(1)]],
  ["alternating EXPUNGE and EXISTS cannot be coalesced", [E(9), X(9), E(9), X(9)], [E(9), X(9), E(9), X(9)]],
  ["BYE keeps its place after the coalesced run", [X(1), X(2), bye], [X(2), bye]],
  ["an EXISTS after a barrier starts a new run", [X(1), bye, X(2), X(3)], [X(1), bye, X(3)]]
]

describe("EventInbox.coalesce", () => {
  for (const [name, input, expected] of table) {
    it(name, () => {
      assert.deepStrictEqual(EventInbox.coalesce(input), expected)
    })
  }

  it("a million EXISTS or identical EXPUNGE lines are held as one entry", () => {
    const q = EventInbox.makeCoalescer()
    for (let i = 1; i <= 1_000_000; i++) q.push(X(i))
    assert.strictEqual(q.size(), 1)
    q.clear()
    for (let i = 1; i <= 1_000_000; i++) q.push(E(1))
    assert.strictEqual(q.size(), 1)
    assert.strictEqual(q.take(4096).length, 4096)
    // Taking part of a counted run leaves the rest of it in place.
    assert.strictEqual(q.size(), 1)
  })

  it("a take of part of the queue leaves the rest in order, and later events start a new run", () => {
    const q = EventInbox.makeCoalescer()
    for (const r of [X(1), E(1), X(2), E(1), X(3)]) q.push(r)
    assert.deepStrictEqual(q.take(2), [X(1), E(1)])
    q.push(X(4))
    assert.deepStrictEqual(q.take(100), [X(2), E(1), X(3), X(4)])
  })
})

describe("EventInbox.make", () => {
  const options = (pressure: Array<boolean>) => ({
    highWater: 4,
    limit: 10,
    maxBatch: 3,
    onPressure: (full: boolean) => {
      pressure.push(full)
    },
    overflow: (held: number) => `overflow at ${held}`
  })

  it.effect("asks for backpressure at its high-water mark and releases it once the consumer took the backlog", () =>
    Effect.gen(function* () {
      const pressure: Array<boolean> = []
      const inbox = EventInbox.make(options(pressure))
      for (let i = 0; i < 5; i++) inbox.push(E(i))
      assert.deepStrictEqual(pressure, [true])
      assert.deepStrictEqual(yield* inbox.pull, [E(0), E(1), E(2)])
      assert.deepStrictEqual(pressure, [true, false])
      assert.deepStrictEqual(yield* inbox.pull, [E(3), E(4)])
    })
  )

  it.effect("past its limit it fails with the overflow error instead of dropping events silently", () =>
    Effect.gen(function* () {
      const inbox = EventInbox.make(options([]))
      for (let i = 0; i < 11; i++) inbox.push(E(i))
      const exit = yield* Effect.exit(inbox.pull)
      assert.deepStrictEqual(exit, Exit.fail("overflow at 11"))
    })
  )

  it.effect("ends after the events it holds, and keeps only what `accept` lets in", () =>
    Effect.gen(function* () {
      const inbox = EventInbox.make({ ...options([]), accept: (r) => r._tag !== "Expunge" })
      for (const r of [X(1), E(1), X(2), bye]) inbox.push(r)
      inbox.end(Exit.fail("closed"))
      assert.deepStrictEqual(yield* inbox.pull, [X(2), bye])
      assert.deepStrictEqual(yield* Effect.exit(inbox.pull), Exit.fail("closed"))
    })
  )
})
