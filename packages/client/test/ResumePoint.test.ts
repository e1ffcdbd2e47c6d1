/**
 * Where a watcher session starts, as tables (internal/ResumePoint.ts): from no checkpoint (sinceUid,
 * else only new mail), from a checkpoint of the same UIDVALIDITY (where it stopped, its mod-sequence
 * kept), and from one of another UIDVALIDITY under each policy (replay from UID 1, skip what exists,
 * or stop with the change reported); then whether a CONDSTORE resync is due. Every row is a path the
 * watcher takes; the scripted-peer and Dovecot tests show the same paths end to end.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Checkpoint } from "../src/Checkpoint.ts"
import * as ResumePoint from "../src/internal/ResumePoint.ts"
import type { UidValidityPolicy } from "../src/Watcher.ts"

describe("ResumePoint.highestUid", () => {
  it.each([
    ["UIDNEXT 41: the highest UID is 40", { uidNext: 41, exists: 12 }, 40],
    ["UIDNEXT 1 (nothing ever delivered)", { uidNext: 1, exists: 0 }, 0],
    ["no UIDNEXT, empty mailbox: none", { uidNext: undefined, exists: 0 }, 0],
    ["no UIDNEXT (Courier), 3 messages: ask the server", { uidNext: undefined, exists: 3 }, undefined]
  ] as const)("%s", (_name, box, expected) => {
    expect(ResumePoint.highestUid(box)).toBe(expected)
  })
})

const changed = (previous: number, policy: UidValidityPolicy) => ({
  _tag: "UidValidityChanged" as const,
  mailbox: "INBOX",
  previous,
  current: 7,
  policy
})

describe("ResumePoint.resume (UIDVALIDITY 7, highest UID 40)", () => {
  const rows: ReadonlyArray<
    readonly [
      name: string,
      known: Checkpoint | undefined,
      sinceUid: number | undefined,
      policy: UidValidityPolicy,
      expected: ResumePoint.Resume
    ]
  > = [
    [
      "no checkpoint, no sinceUid: only mail from now on, stored now",
      undefined,
      undefined,
      "replay",
      { _tag: "Start", from: { uidValidity: 7, lastUid: 40, highestModSeq: undefined }, changed: undefined, save: true }
    ],
    [
      "no checkpoint, sinceUid 3: from UID 4, stored now",
      undefined,
      3,
      "replay",
      { _tag: "Start", from: { uidValidity: 7, lastUid: 3, highestModSeq: undefined }, changed: undefined, save: true }
    ],
    [
      "no checkpoint, sinceUid 0: the whole mailbox",
      undefined,
      0,
      "fail",
      { _tag: "Start", from: { uidValidity: 7, lastUid: 0, highestModSeq: undefined }, changed: undefined, save: true }
    ],
    [
      "same UIDVALIDITY: where it stopped, sinceUid ignored, nothing to store",
      { uidValidity: 7, lastUid: 25 },
      3,
      "replay",
      {
        _tag: "Start",
        from: { uidValidity: 7, lastUid: 25, highestModSeq: undefined },
        changed: undefined,
        save: false
      }
    ],
    [
      "same UIDVALIDITY with a mod-sequence: kept for the resync",
      { uidValidity: 7, lastUid: 25, highestModSeq: "900" },
      undefined,
      "skipExisting",
      { _tag: "Start", from: { uidValidity: 7, lastUid: 25, highestModSeq: "900" }, changed: undefined, save: false }
    ],
    [
      "UIDVALIDITY changed, replay: from UID 1, the change reported, the mod-sequence void",
      { uidValidity: 3, lastUid: 25, highestModSeq: "900" },
      undefined,
      "replay",
      {
        _tag: "Start",
        from: { uidValidity: 7, lastUid: 0, highestModSeq: undefined },
        changed: changed(3, "replay"),
        save: true
      }
    ],
    [
      "UIDVALIDITY changed, skipExisting: after the messages there now (sinceUid ignored)",
      { uidValidity: 3, lastUid: 25 },
      2,
      "skipExisting",
      {
        _tag: "Start",
        from: { uidValidity: 7, lastUid: 40, highestModSeq: undefined },
        changed: changed(3, "skipExisting"),
        save: true
      }
    ],
    [
      "UIDVALIDITY changed, fail: stop with the change reported",
      { uidValidity: 3, lastUid: 25 },
      undefined,
      "fail",
      { _tag: "Stop", changed: changed(3, "fail") }
    ]
  ]
  it.each(rows)("%s", (_name, known, sinceUid, policy, expected) => {
    expect(ResumePoint.resume({ mailbox: "INBOX", known, uidValidity: 7, highestUid: 40, sinceUid, policy })).toEqual(
      expected
    )
  })
})

describe("ResumePoint.resync", () => {
  const at = (lastUid: number, highestModSeq?: string): Checkpoint => ({ uidValidity: 7, lastUid, highestModSeq })
  it.each([
    ["no CONDSTORE (no HIGHESTMODSEQ): nothing", at(25, "900"), undefined, { _tag: "UpToDate" }],
    ["no CONDSTORE, no mod-sequence: nothing", at(25), undefined, { _tag: "UpToDate" }],
    ["no mod-sequence in the checkpoint: adopt the server's", at(25), 950n, { _tag: "Adopt", highestModSeq: "950" }],
    ["no mod-sequence, nothing delivered yet: adopt too", at(0), 950n, { _tag: "Adopt", highestModSeq: "950" }],
    ["nothing delivered: nothing to catch up on", at(0, "900"), 950n, { _tag: "UpToDate" }],
    ["HIGHESTMODSEQ unchanged: nothing", at(25, "900"), 900n, { _tag: "UpToDate" }],
    ["HIGHESTMODSEQ lower than the checkpoint's: nothing", at(25, "900"), 850n, { _tag: "UpToDate" }],
    [
      "HIGHESTMODSEQ moved: catch up since the checkpoint's, then stand at the server's",
      at(25, "900"),
      950n,
      { _tag: "CatchUp", since: 900n, until: "950" }
    ],
    [
      "63-bit mod-sequences stay exact",
      at(1, "9223372036854775000"),
      9223372036854775806n,
      { _tag: "CatchUp", since: 9223372036854775000n, until: "9223372036854775806" }
    ]
  ] as const)("%s", (_name, from, serverModSeq, expected) => {
    expect(ResumePoint.resync(from, serverModSeq)).toEqual(expected)
  })
})
