/**
 * Real bytes from Dovecot 2.3.19, Cyrus 3.6.1 and Courier 5.0.13 (fixtures/*.txt, described in
 * docs/servers.md): every server connection's stream is rebuilt, parsed whole, checked for
 * specific values, then re-framed split at every byte boundary and compared with the whole parse.
 *
 * Fixture format (see each file's header): `<ms> S: <line>` per server line (`S2:`, `SP:`, `SS:`,
 * `ST:` for the other connections); CRLF ends every line; a line ending in `{N}\r\n` (shown as the
 * four characters `\r\n`) announces a literal whose bytes are the start of the next line.
 */
import { readFileSync } from "node:fs"
import { isDeepStrictEqual } from "node:util"
import { describe, expect, it } from "vitest"
import * as Framer from "../src/Framer.ts"
import type { FetchData, Response, Tagged, UntaggedStatus } from "../src/Response.ts"
import * as ResponseDecoder from "../src/ResponseDecoder.ts"
import { parse } from "../src/ResponseParser.ts"

const enc = new TextEncoder()

/** The server byte streams of one transcript, by connection (`S`, `S2`, `SP`, `SS`, `ST`). */
const streams = (file: string): Map<string, Uint8Array> => {
  const text = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")
  const out = new Map<string, string>()
  for (const line of text.split("\n")) {
    const m = /^\s*\d+\.\d+ (S|S2|SP|SS|ST): (.*)$/.exec(line)
    if (m === null) continue
    const content = m[2]!
    const wire = content.endsWith("\\r\\n") ? `${content.slice(0, -4)}\r\n` : `${content}\r\n`
    out.set(m[1]!, (out.get(m[1]!) ?? "") + wire)
  }
  return new Map([...out].map(([k, v]) => [k, enc.encode(v)]))
}

const frameAll = (bytes: Uint8Array): Array<Uint8Array> => [...Framer.make().push(bytes)]

const TRANSCRIPTS = ["dovecot.txt", "cyrus.txt", "courier.txt"] as const
const parsed = new Map(
  TRANSCRIPTS.map((file) => {
    const byConnection = new Map([...streams(file)].map(([conn, bytes]) => [conn, frameAll(bytes).map(parse)]))
    return [file, byConnection] as const
  })
)
const main = (file: (typeof TRANSCRIPTS)[number]): Array<Response> => parsed.get(file)!.get("S")!
const fetches = (rs: ReadonlyArray<Response>) => rs.filter((r): r is FetchData => r._tag === "Fetch")
const statuses = (rs: ReadonlyArray<Response>) => rs.filter((r): r is UntaggedStatus => r._tag === "UntaggedStatus")
const tagged = (rs: ReadonlyArray<Response>, tag: string) =>
  rs.find((r): r is Tagged => r._tag === "Tagged" && r.tag === tag)

describe("transcripts parse completely", () => {
  it.each(TRANSCRIPTS)("%s: every connection frames without leftovers and has no Unknown", (file) => {
    for (const [conn, bytes] of streams(file)) {
      const framer = Framer.make()
      const frames = framer.push(bytes)
      expect(framer.buffered, `${file} ${conn}`).toBe(0)
      expect(frames.length).toBeGreaterThan(1)
      for (const r of frames.map(parse)) expect(r._tag, `${file} ${conn}`).not.toBe("Unknown")
    }
  })
})

describe("Dovecot 2.3.19", () => {
  const rs = main("dovecot.txt")

  it("EXAMINE: 69 EXISTS, 1 RECENT, UNSEEN 1, UIDNEXT 485, HIGHESTMODSEQ 495, empty PERMANENTFLAGS, READ-ONLY", () => {
    expect(rs).toContainEqual({ _tag: "Exists", count: 69 })
    expect(rs).toContainEqual({ _tag: "Recent", count: 1 })
    const codes = statuses(rs).map((s) => s.code)
    expect(codes).toContainEqual({ _tag: "Unseen", seq: 1 })
    expect(codes).toContainEqual({ _tag: "UidNext", uid: 485 })
    expect(codes).toContainEqual({ _tag: "UidValidity", uidValidity: 1795650694 })
    expect(codes).toContainEqual({ _tag: "HighestModSeq", modSeq: 495n })
    expect(codes).toContainEqual({ _tag: "PermanentFlags", flags: [] })
    expect(tagged(rs, "a006")).toEqual({
      _tag: "Tagged",
      tag: "a006",
      status: "OK",
      code: { _tag: "ReadOnly" },
      text: "Examine completed (0.001 + 0.000 secs)."
    })
  })

  it("FETCH: 69 messages, UIDs 416..484, subjects sent as literals decoded (the 90-byte one)", () => {
    const fs = fetches(rs)
    expect(fs).toHaveLength(69)
    expect(fs.map((f) => f.attributes.uid)).toEqual(Array.from({ length: 69 }, (_, i) => 416 + i))
    const second = fs[1]!.attributes.envelope!
    expect(enc.encode(second.subject).length).toBe(90)
    expect(second.subject).toBe(
      "Sync contract postmortem project incident report project schedule feedback outage [#43203]"
    )
    expect(second.date).toBe("Sun, 23 Apr 2056 17:21:25 +0100")
    expect(second.cc[1]).toEqual({
      name: "=?UTF-8?B?RnJhbsOnb2lzIExlZsOodnJl?=",
      adl: undefined,
      mailbox: "user149",
      host: "lists.example.org"
    })
    expect(fs[0]!.attributes).toMatchObject({ flags: [], envelope: { messageId: "<lfls.a16zc9@lists.example.org>" } })
  })

  it("LIST, NAMESPACE, IDLE continuation and post-login capabilities", () => {
    expect(rs).toContainEqual(
      expect.objectContaining({ _tag: "List", mailbox: "INBOX", delimiter: "/", attributes: ["\\HasNoChildren"] })
    )
    expect(rs).toContainEqual({
      _tag: "Namespace",
      personal: [{ prefix: "", delimiter: "/" }],
      otherUsers: [],
      shared: []
    })
    expect(rs).toContainEqual({ _tag: "Continuation", text: "idling" })
    const caps = rs.filter((r) => r._tag === "Capability")
    expect(caps[1]).toMatchObject({ capabilities: expect.arrayContaining(["CONDSTORE", "QRESYNC", "NOTIFY"]) })
  })
})

describe("Cyrus 3.6.1", () => {
  const rs = main("cyrus.txt")

  it("SELECT: EXISTS and RECENT before FLAGS, PERMANENTFLAGS with \\*, MAILBOXID, unknown codes kept", () => {
    const kinds = rs.map((r) => r._tag)
    const select = kinds.indexOf("Exists")
    expect(kinds.slice(select, select + 3)).toEqual(["Exists", "Recent", "Flags"])
    const codes = statuses(rs).map((s) => s.code)
    expect(codes).toContainEqual({
      _tag: "PermanentFlags",
      flags: ["\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "\\Seen", "\\*"]
    })
    expect(codes).toContainEqual({ _tag: "MailboxId", id: "jc0ek3pvrlan3dyw69nl4fkq" })
    expect(codes).toContainEqual({ _tag: "Other", name: "URLMECH", text: "INTERNAL" })
    expect(codes).toContainEqual({ _tag: "Closed" })
  })

  it("LOGIN OK carries the capabilities (LOGINDISABLED included) and a session id in the text", () => {
    const login = tagged(rs, "a002")!
    expect(login.code).toMatchObject({
      _tag: "Capability",
      capabilities: expect.arrayContaining(["LOGINDISABLED", "XMOVE"])
    })
    expect(login.text).toMatch(/^User logged in SESSIONID=<interop-cyrus-/)
  })

  it("APPENDUID, FETCH with FLAGS first, NO for FETCH on an empty mailbox, timings in texts", () => {
    expect(tagged(rs, "a007")!.code).toEqual({ _tag: "AppendUid", uidValidity: 1795650923, uids: [1] })
    const f = fetches(rs)[0]!
    expect(Object.keys(f.attributes)).toEqual(["flags", "uid", "envelope"])
    expect(f.attributes.flags).toEqual(["\\Recent", "\\Seen"])
    expect(tagged(rs, "a022")).toMatchObject({ status: "NO", text: "No matching messages (0.000 sec)" })
    expect(tagged(rs, "a004")).toMatchObject({ text: "Completed (0.000 secs 2 calls)" })
    expect(rs).toContainEqual({ _tag: "Continuation", text: "go ahead" })
    expect(parsed.get("cyrus.txt")!.get("S2")).toContainEqual({
      _tag: "UntaggedStatus",
      status: "BYE",
      code: undefined,
      text: "LOGOUT received"
    })
  })
})

describe("Courier 5.0.13", () => {
  const rs = main("courier.txt")

  it("greeting text keeps its two spaces; LIST names quoted; NAMESPACE without separators", () => {
    expect(statuses(rs)[0]!.text).toContain("Inc.  See COPYING")
    expect(rs).toContainEqual(
      expect.objectContaining({ _tag: "List", mailbox: "INBOX.Archive", rawMailbox: "INBOX.Archive" })
    )
    expect(rs).toContainEqual(
      expect.objectContaining({ _tag: "List", attributes: ["\\Unmarked", "\\HasChildren"], mailbox: "INBOX" })
    )
    expect(rs).toContainEqual({
      _tag: "Namespace",
      personal: [{ prefix: "INBOX.", delimiter: "." }],
      otherUsers: [],
      shared: [
        { prefix: "#shared.", delimiter: "." },
        { prefix: "shared.", delimiter: "." }
      ]
    })
  })

  it("SELECT without UIDNEXT, MYRIGHTS kept raw, `+ OK` and the enhanced IDLE continuation", () => {
    const codes = statuses(rs).map((s) => s.code)
    expect(codes.some((c) => c?._tag === "UidNext")).toBe(false)
    expect(codes).toContainEqual({ _tag: "Other", name: "MYRIGHTS", text: '"acdilrsw"' })
    expect(codes).toContainEqual({
      _tag: "PermanentFlags",
      flags: ["\\*", "\\Draft", "\\Answered", "\\Flagged", "\\Deleted", "\\Seen"]
    })
    expect(rs).toContainEqual({ _tag: "Continuation", text: "OK" })
    expect(rs).toContainEqual({ _tag: "Continuation", text: "entering ENHANCED idle mode" })
    expect(tagged(rs, "a007")!.code).toEqual({ _tag: "AppendUid", uidValidity: 795650928, uids: [1] })
  })
})

describe("chunking never changes the result", () => {
  const all = TRANSCRIPTS.flatMap((file) =>
    [...streams(file)].map(([conn, bytes]) => [`${file} ${conn}`, bytes] as const)
  )

  /**
   * Every 2-chunk split, kept linear: the framer holds no state at a frame boundary, so splitting
   * the stream at k is the same as framing from the start of the frame that holds k. Each split
   * therefore re-frames only that frame and the next (which shows the framer resynchronised), and
   * the straddling frame, assembled from two chunks, is parsed and compared with the whole parse.
   */
  it.each(all)("%s: split at every byte boundary", (_name, bytes) => {
    const baseline = frameAll(bytes)
    const responses = baseline.map(parse)
    let start = 0
    baseline.forEach((frame, i) => {
      const end = start + frame.length
      const next = baseline[i + 1]
      const stop = end + (next?.length ?? 0)
      const expected = next === undefined ? [frame.length] : [frame.length, next.length]
      for (let k = start + 1; k <= end; k++) {
        const framer = Framer.make()
        const frames = [...framer.push(bytes.subarray(start, k)), ...framer.push(bytes.subarray(k, stop))]
        if (frames.length !== expected.length || frames.some((f, j) => f.length !== expected[j])) {
          expect(
            frames.map((f) => f.length),
            `split at ${k}`
          ).toEqual(expected)
        }
        const again = parse(frames[0]!)
        if (!isDeepStrictEqual(again, responses[i])) expect(again, `split at ${k}`).toEqual(responses[i])
      }
      start = end
    })
    expect(start).toBe(bytes.length)
  })

  it.each(all)("%s: full decode compared for all splits in the first 3 responses and 200 others", (_name, bytes) => {
    const expected = ResponseDecoder.make().push(bytes)
    const firstThree = Framer.make()
      .push(bytes)
      .slice(0, 3)
      .reduce((n, f) => n + f.length, 0)
    const points = new Set<number>()
    for (let k = 0; k <= firstThree; k++) points.add(k)
    for (let i = 0; i < 200; i++) points.add(Math.floor(((i + 0.5) / 200) * bytes.length))
    for (const k of points) {
      const decoder = ResponseDecoder.make()
      const got = [...decoder.push(bytes.subarray(0, k)), ...decoder.push(bytes.subarray(k))]
      if (!isDeepStrictEqual(got, expected)) expect(got, `split at ${k}`).toEqual(expected)
    }
  })

  it("the whole Dovecot stream fed one byte at a time decodes identically", () => {
    const bytes = streams("dovecot.txt").get("S")!
    const decoder = ResponseDecoder.make()
    const got: Array<Response> = []
    for (let i = 0; i < bytes.length; i++) got.push(...decoder.push(bytes.subarray(i, i + 1)))
    expect(got).toEqual(ResponseDecoder.make().push(bytes))
  })
})
