import { SequenceSet, type UntaggedData } from "@pkg/protocol"
import { describe, expect, it } from "vitest"
import * as SessionState from "../src/SessionState.ts"

const selectedInbox = SessionState.selected({ ...SessionState.emptyMailbox("INBOX"), exists: 3, uidNext: 4 })

describe("SessionState.reduce", () => {
  it("tracks EXISTS and EXPUNGE in the selected mailbox", () => {
    let s = SessionState.reduce(selectedInbox, { _tag: "Exists", count: 5 })
    s = SessionState.reduce(s, { _tag: "Expunge", seq: 2 })
    expect(s._tag === "Selected" && s.mailbox.exists).toBe(4)
  })

  it("subtracts VANISHED uids but not VANISHED (EARLIER)", () => {
    let s = SessionState.reduce(selectedInbox, {
      _tag: "Vanished",
      earlier: false,
      uids: SequenceSet.parse("1:2", "uid")
    })
    expect(s._tag === "Selected" && s.mailbox.exists).toBe(1)
    s = SessionState.reduce(s, { _tag: "Vanished", earlier: true, uids: SequenceSet.parse("7", "uid") })
    expect(s._tag === "Selected" && s.mailbox.exists).toBe(1)
  })

  it("keeps FLAGS and PERMANENTFLAGS as sent; equal lists from two SELECTs are one shared array", () => {
    const flags = (names: ReadonlyArray<string>): UntaggedData => ({ _tag: "Flags", flags: [...names] })
    const permanent = (names: ReadonlyArray<string>): UntaggedData => ({
      _tag: "UntaggedStatus",
      status: "OK",
      code: { _tag: "PermanentFlags", flags: [...names] },
      text: ""
    })
    const select = (f: ReadonlyArray<string>, p: ReadonlyArray<string>) =>
      [flags(f), permanent(p)].reduce(SessionState.applyToMailbox, SessionState.emptyMailbox("INBOX"))
    const a = select(["\\Seen", "\\Deleted"], ["\\Seen", "\\*"])
    const b = select(["\\Seen", "\\Deleted"], ["\\Seen", "\\*"])
    const c = select(["\\Seen", "$Junk"], ["\\Seen"])
    expect([a.flags, a.permanentFlags, c.flags, c.permanentFlags]).toEqual([
      ["\\Seen", "\\Deleted"],
      ["\\Seen", "\\*"],
      ["\\Seen", "$Junk"],
      ["\\Seen"]
    ])
    expect(b.flags).toBe(a.flags)
    expect(b.permanentFlags).toBe(a.permanentFlags)
    expect(c.flags).not.toBe(a.flags)
  })

  it("takes UIDNEXT, UIDVALIDITY and HIGHESTMODSEQ from untagged OK codes", () => {
    const ok = (code: NonNullable<Extract<UntaggedData, { _tag: "UntaggedStatus" }>["code"]>): UntaggedData => ({
      _tag: "UntaggedStatus",
      status: "OK",
      code,
      text: ""
    })
    let s = SessionState.reduce(selectedInbox, ok({ _tag: "UidNext", uid: 10 }))
    s = SessionState.reduce(s, ok({ _tag: "UidValidity", uidValidity: 77 }))
    s = SessionState.reduce(s, ok({ _tag: "HighestModSeq", modSeq: 12n }))
    expect(s._tag === "Selected" && [s.mailbox.uidNext, s.mailbox.uidValidity, s.mailbox.highestModSeq]).toEqual([
      10,
      77,
      12n
    ])
  })

  it("ignores mailbox data while not selected", () => {
    expect(SessionState.reduce(SessionState.authenticated, { _tag: "Exists", count: 9 })).toBe(
      SessionState.authenticated
    )
  })

  it("moves to Logout on BYE from any state", () => {
    const bye: UntaggedData = { _tag: "UntaggedStatus", status: "BYE", code: undefined, text: "bye" }
    expect(SessionState.reduce(selectedInbox, bye)._tag).toBe("Logout")
    expect(SessionState.reduce(SessionState.notAuthenticated, bye)._tag).toBe("Logout")
  })

  it("raises HIGHESTMODSEQ from a FETCH MODSEQ but never lowers it", () => {
    const withModSeq = SessionState.selected({ ...SessionState.emptyMailbox("INBOX"), highestModSeq: 50n })
    const up = SessionState.reduce(withModSeq, { _tag: "Fetch", seq: 1, attributes: { modSeq: 60n } })
    const down = SessionState.reduce(up, { _tag: "Fetch", seq: 1, attributes: { modSeq: 55n } })
    expect(down._tag === "Selected" && down.mailbox.highestModSeq).toBe(60n)
  })
})
