/**
 * Schema models agree with what the parser produces: every `Response` variant parsed from a real
 * wire line (server transcripts, RFC examples) validates against its own schema, against no other
 * variant's schema, and against `Response`; mangled values (wrong `_tag`, wrong field type,
 * `undefined` where the key must be absent) are rejected. Property tests cover the round-trip
 * arbitraries. The static types are checked both ways in Schemas.ts itself.
 */
import { readFileSync } from "node:fs"
import { Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Framer from "../src/Framer.ts"
import type { ListData, Response } from "../src/Response.ts"
import { encode } from "../src/ResponseEncoder.ts"
import { parse } from "../src/ResponseParser.ts"
import * as Schemas from "../src/Schemas.ts"
import {
  bodyStructure,
  envelope,
  fetchAttributes,
  response,
  responseCode,
  responses
} from "../src/testing/ResponseArbitraries.ts"

const enc = new TextEncoder()
const p = (wire: string): Response => parse(enc.encode(wire))

type Tag = Response["_tag"]

/** The schema of each variant; `satisfies` makes a variant added to Response.ts fail to compile here. */
const variantSchemas = {
  Tagged: Schemas.Tagged,
  Continuation: Schemas.Continuation,
  UntaggedStatus: Schemas.UntaggedStatus,
  Capability: Schemas.CapabilityData,
  Enabled: Schemas.EnabledData,
  Flags: Schemas.FlagsData,
  List: Schemas.ListData,
  Lsub: Schemas.ListData,
  Status: Schemas.StatusData,
  Search: Schemas.SearchData,
  ESearch: Schemas.ESearchData,
  Exists: Schemas.ExistsData,
  Recent: Schemas.RecentData,
  Expunge: Schemas.ExpungeData,
  Vanished: Schemas.VanishedData,
  Namespace: Schemas.NamespaceData,
  Id: Schemas.IdData,
  Quota: Schemas.QuotaData,
  QuotaRoot: Schemas.QuotaRootData,
  Fetch: Schemas.FetchData,
  Unknown: Schemas.UnknownData
} satisfies Record<Tag, Schema.Top>
const distinctSchemas = [...new Set(Object.values(variantSchemas))] as ReadonlyArray<Schema.Top>

/**
 * One real wire line per variant: server lines from the Dovecot / Cyrus / Courier transcripts in
 * fixtures/ where those servers sent that response, RFC examples otherwise.
 */
const wire: Record<Tag, ReadonlyArray<string>> = {
  Tagged: ["a006 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n", "a1 NO [NONEXISTENT] Unknown\r\n"],
  Continuation: ["+ idling\r\n", "+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2\r\n"],
  UntaggedStatus: [
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n",
    "* OK [HIGHESTMODSEQ 495] Highest\r\n",
    "* BYE Logging out\r\n"
  ],
  Capability: ["* CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE ACL ENABLE UTF8=ACCEPT\r\n"],
  Enabled: ["* ENABLED CONDSTORE QRESYNC\r\n", "* ENABLED\r\n"],
  Flags: ["* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"],
  List: [
    '* LIST (\\HasNoChildren) "." "INBOX.Archive"\r\n',
    "* LIST (\\Noselect \\Sent) NIL {4}\r\nSent\r\n",
    '* LIST (\\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED") OLDNAME ("Old&AOk-") X-OTHER (1 2))\r\n'
  ],
  Lsub: ['* LSUB () "." #news.comp.mail.misc\r\n'],
  Status: [
    "* STATUS blurdybloop (MESSAGES 231 RECENT 1 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 3 DELETED 2 SIZE 12345678901 HIGHESTMODSEQ 7011231777 APPENDLIMIT 1048576 MAILBOXID (Mxyz) DELETED-STORAGE 12)\r\n",
    '* STATUS "&ZeVnLIqe-" (APPENDLIMIT NIL)\r\n'
  ],
  Search: ["* SEARCH 2 3 6\r\n", "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"],
  ESearch: [
    '* ESEARCH (TAG "A282") UID MIN 2 MAX 47 COUNT 9 ALL 2,10:11,47 MODSEQ 917162500\r\n',
    "* ESEARCH COUNT 0 PARTIAL (1:10 NIL)\r\n"
  ],
  Exists: ["* 69 EXISTS\r\n"],
  Recent: ["* 1 RECENT\r\n"],
  Expunge: ["* 44 EXPUNGE\r\n"],
  Vanished: ["* VANISHED (EARLIER) 41,43:116\r\n", "* VANISHED 405,407,410:425\r\n"],
  Namespace: ['* NAMESPACE (("INBOX." ".")) (("user." ".")) (("" "."))\r\n', '* NAMESPACE (("" "/")) NIL NIL\r\n'],
  Id: ['* ID ("name" "Dovecot" "version" NIL)\r\n', "* ID NIL\r\n"],
  Quota: ['* QUOTA "" (STORAGE 10 512 MESSAGE 1 100)\r\n'],
  QuotaRoot: ['* QUOTAROOT INBOX "" user.joe\r\n'],
  Fetch: [
    '* 1 FETCH (UID 416 FLAGS () ENVELOPE ("Sun, 23 Apr 2056 09:06:57 -0700" "Ticket budget review review customer" ((NIL NIL "victor.garcia" "example.com")) ((NIL NIL "victor.garcia" "example.com")) ((NIL NIL "victor.garcia" "example.com")) ((NIL NIL "erin.moore" "example.com")("Sybil Moore" NIL "sybil.moore" "lists.example.org")("Mallory Davis" NIL "mallory.davis" "corp.example")) NIL NIL NIL "<lfls.a16zc9@lists.example.org>"))\r\n',
    '* 1 FETCH (BODYSTRUCTURE ((("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 20 2) "ALTERNATIVE")("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 300 ("d" "s" NIL NIL NIL NIL NIL NIL NIL NIL) ("IMAGE" "PNG" NIL NIL NIL "BASE64" 100) 7) "MIXED") MODSEQ (12121231000) BODY[TEXT]<0> {5}\r\nhello THREADID NIL)\r\n',
    "* 12 FETCH (UID 7 X-FOO (a (b)) BINARY[1] ~{3}\r\n\u0000\u0001\u0002 BINARY.SIZE[1] 3)\r\n"
  ],
  Unknown: ["* XAPPLEPUSHSERVICE aps-version 2\r\n", "* 3 XFOO (a b)\r\n"]
}

describe("Schemas of parsed responses", () => {
  it.each(Object.entries(wire).flatMap(([tag, lines]) => lines.map((line) => [tag as Tag, line] as const)))(
    "%s: %j validates against its own schema only, and against Response",
    (tag, line) => {
      const value = p(line)
      expect(value._tag).toBe(tag)
      const own = variantSchemas[tag]
      expect(Schema.is(own)(value)).toBe(true)
      for (const other of distinctSchemas) if (other !== own) expect(Schema.is(other)(value)).toBe(false)
      expect(Schema.decodeUnknownSync(Schemas.Response)(value)).toStrictEqual(value)
      expect(Schema.is(Schemas.UntaggedData)(value)).toBe(tag !== "Tagged" && tag !== "Continuation")
    }
  )

  it("the parsed values keep their types through decoding (Map, Uint8Array, bigint)", () => {
    const id = Schema.decodeUnknownSync(Schemas.Response)(p('* ID ("name" "Dovecot" "version" NIL)\r\n'))
    expect(id).toStrictEqual({
      _tag: "Id",
      params: new Map([
        ["name", "Dovecot"],
        ["version", undefined]
      ])
    })
    const unknown = Schema.decodeUnknownSync(Schemas.UnknownData)(p("* 3 XFOO (a b)\r\n"))
    expect(unknown.raw).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(unknown.raw)).toBe("* 3 XFOO (a b)\r\n")
    // an unknown FETCH item whose literal is not UTF-8: `bytes` is what survives exactly
    const blob = parse(Uint8Array.of(...enc.encode("* 1 FETCH (X-BLOB {2}\r\n"), 0xff, 0x80, ...enc.encode(")\r\n")))
    const fetch = Schema.decodeUnknownSync(Schemas.FetchData)(blob)
    expect(fetch.attributes.unknown?.[0]?.bytes).toStrictEqual(Uint8Array.of(...enc.encode("{2}\r\n"), 0xff, 0x80))
    const search = Schema.decodeUnknownSync(Schemas.SearchData)(p("* SEARCH 2 (MODSEQ 917162500)\r\n"))
    expect(search.modSeq).toBe(917162500n)
  })

  it("every response of the three server transcripts validates against Response", () => {
    let count = 0
    for (const file of ["dovecot.txt", "cyrus.txt", "courier.txt"]) {
      const text = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")
      const byConnection = new Map<string, string>()
      for (const line of text.split("\n")) {
        const m = /^\s*\d+\.\d+ (S|S2|SP|SS|ST): (.*)$/.exec(line)
        if (m === null) continue
        const content = m[2]!
        const bytes = content.endsWith("\\r\\n") ? `${content.slice(0, -4)}\r\n` : `${content}\r\n`
        byConnection.set(m[1]!, (byConnection.get(m[1]!) ?? "") + bytes)
      }
      for (const [conn, stream] of byConnection) {
        for (const frame of Framer.make().push(enc.encode(stream))) {
          const r = parse(frame)
          count++
          expect(Schema.is(Schemas.Response)(r), `${file} ${conn} ${r._tag}`).toBe(true)
        }
      }
    }
    expect(count).toBeGreaterThan(200)
  })
})

describe("Schemas reject mangled values", () => {
  /** A value the parser produced, then one field broken; each must fail its schema and Response. */
  const mangled: Record<Tag, ReadonlyArray<(r: never) => unknown>> = {
    Tagged: [(r: Response) => ({ ...r, status: "PREAUTH" }), (r: Response) => ({ ...r, code: { _tag: "Nope" } })],
    Continuation: [(r: Response) => ({ ...r, text: 1 }), (r: Response) => ({ ...r, text: undefined })],
    UntaggedStatus: [(r: Response) => ({ ...r, status: "ok" }), (r: Response) => ({ ...r, text: undefined })],
    Capability: [(r: Response) => ({ ...r, capabilities: "IMAP4rev1" })],
    Enabled: [(r: Response) => ({ ...r, capabilities: [1] })],
    Flags: [(r: Response) => ({ ...r, flags: [undefined] })],
    List: [
      (r: Response) => ({ ...r, delimiter: null }),
      (r: Response) => ({ ...r, _tag: "Xlist" }),
      (r: ListData) => {
        const { childInfo: _, ...rest } = r
        return rest // `childInfo: undefined` must be present, not absent
      }
    ],
    Lsub: [(r: Response) => ({ ...r, extended: [{ name: "X", raw: 1 }] })],
    Status: [
      (r: Extract<Response, { _tag: "Status" }>) => ({ ...r, items: { ...r.items, messages: "231" } }),
      // exactOptionalPropertyTypes: an absent item is an absent key, never `undefined`
      (r: Extract<Response, { _tag: "Status" }>) => ({ ...r, items: { ...r.items, recent: undefined } }),
      (r: Extract<Response, { _tag: "Status" }>) => ({ ...r, items: { ...r.items, highestModSeq: 7011231777 } })
    ],
    Search: [(r: Response) => ({ ...r, modSeq: 917162500 }), (r: Response) => ({ ...r, ids: ["2"] })],
    ESearch: [(r: Response) => ({ ...r, uid: "true" }), (r: Response) => ({ ...r, count: 9n })],
    Exists: [(r: Response) => ({ ...r, count: "69" })],
    Recent: [(r: Response) => ({ ...r, count: 1n })],
    Expunge: [(r: Response) => ({ ...r, seq: undefined }), (r: Response) => ({ ...r, _tag: "Exists" })],
    Vanished: [(r: Response) => ({ ...r, earlier: 1 }), (r: Response) => ({ ...r, uids: [41] })],
    Namespace: [(r: Response) => ({ ...r, personal: [{ prefix: 1, delimiter: "." }] })],
    Id: [
      (r: Response) => ({ ...r, params: { name: "Dovecot" } }),
      (r: Response) => ({ ...r, params: new Map([["name", 1]]) })
    ],
    Quota: [(r: Response) => ({ ...r, resources: [{ name: "STORAGE", usage: "10", limit: 512 }] })],
    QuotaRoot: [(r: Response) => ({ ...r, roots: "user.joe" })],
    Fetch: [
      (r: Extract<Response, { _tag: "Fetch" }>) => ({ ...r, attributes: { ...r.attributes, uid: "416" } }),
      (r: Extract<Response, { _tag: "Fetch" }>) => ({ ...r, attributes: { ...r.attributes, flags: undefined } }),
      // an unknown item must carry its bytes beside the raw text
      (r: Extract<Response, { _tag: "Fetch" }>) => ({
        ...r,
        attributes: { ...r.attributes, unknown: [{ name: "X-FOO", raw: "(a (b))" }] }
      })
    ],
    Unknown: [
      (r: Extract<Response, { _tag: "Unknown" }>) => ({ ...r, raw: new TextDecoder().decode(r.raw) }),
      (r: Extract<Response, { _tag: "Unknown" }>) => ({ ...r, raw: [...r.raw] })
    ]
  }

  it.each(Object.entries(mangled).flatMap(([tag, fs]) => fs.map((f, i) => [tag as Tag, i, f] as const)))(
    "%s mangling #%i is rejected",
    (tag, _i, mangle) => {
      const value = p(wire[tag][0]!)
      expect(Schema.is(variantSchemas[tag])(value)).toBe(true)
      const bad = (mangle as (r: unknown) => unknown)(value)
      expect(Schema.is(variantSchemas[tag])(bad)).toBe(false)
      expect(Schema.is(Schemas.Response)(bad)).toBe(false)
      expect(() => Schema.decodeUnknownSync(Schemas.Response)(bad)).toThrow()
    }
  )

  it("every variant is rejected under a wrong _tag", () => {
    for (const [tag, lines] of Object.entries(wire)) {
      const value = p(lines[0]!) as object
      expect(Schema.is(variantSchemas[tag as Tag])({ ...value, _tag: "Nope" }), tag).toBe(false)
      expect(Schema.is(Schemas.Response)({ ...value, _tag: "Nope" }), tag).toBe(false)
    }
  })

  it("decode a plain value and reject a malformed one", () => {
    const decode = Schema.decodeUnknownSync(Schemas.Address)
    expect(decode({ name: undefined, adl: undefined, mailbox: "a", host: "b" })).toEqual({
      name: undefined,
      adl: undefined,
      mailbox: "a",
      host: "b"
    })
    expect(() => decode({ name: 1 })).toThrow()
    expect(Schema.is(Schemas.BodyStructure)({ _tag: "TextPart", type: "image", subtype: "x" })).toBe(false)
  })
})

describe("Schemas over the round-trip arbitraries", () => {
  it("accept every envelope, body structure, response code and FETCH attribute set", () => {
    fc.assert(
      fc.property(envelope, (e) => Schema.is(Schemas.Envelope)(e)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(bodyStructure, (b) => Schema.is(Schemas.BodyStructure)(b)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(responseCode, (c) => Schema.is(Schemas.ResponseCode)(c)),
      { numRuns: 200 }
    )
    fc.assert(
      fc.property(fetchAttributes, (a) => Schema.is(Schemas.FetchAttributes)(a)),
      { numRuns: 200 }
    )
  })

  it.each(Object.keys(responses))("%s: generated and re-parsed values validate against their schema", (name) => {
    fc.assert(
      fc.property(responses[name as keyof typeof responses], (r) => {
        const back = parse(encode(r))
        const own = variantSchemas[r._tag]
        return Schema.is(own)(r) && Schema.is(own)(back) && Schema.is(Schemas.Response)(back)
      }),
      { numRuns: 100 }
    )
  })

  it("any generated response validates against Response and against no other variant's schema", () => {
    fc.assert(
      fc.property(response, (r) => {
        const own = variantSchemas[r._tag]
        return Schema.is(Schemas.Response)(r) && distinctSchemas.every((s) => Schema.is(s)(r) === (s === own))
      }),
      { numRuns: 300 }
    )
  })
})
