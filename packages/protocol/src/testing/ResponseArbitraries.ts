/**
 * fast-check arbitraries for every `Response` variant, for property tests of code that parses,
 * encodes or serves IMAP responses. Values are restricted to the canonical form the parser
 * produces (lower-case media types, extension keys present as a prefix, `other` lists only when
 * non-empty, mailbox names consistent with their wire form), so that
 * `ResponseParser.parse(ResponseEncoder.encode(r))` equals `r`. Free texts exclude what no peer can
 * round-trip: CR/LF, a leading `[` without a code, and a trailing `{n}` (which any IMAP peer reads
 * as a literal marker).
 *
 * @module
 */
import * as fc from "fast-check"
import * as MailboxName from "../MailboxName.ts"
import type {
  Address,
  BodyExtension,
  BodySection,
  BodyStructure,
  Envelope,
  FetchAttributes,
  NamespaceEntry,
  Response,
  ResponseCode
} from "../Response.ts"
import * as SequenceSet from "../SequenceSet.ts"
import type { Uid } from "../SequenceSet.ts"
import type { NonEmptyReadonlyArray } from "effect/Array"

/** Plain-prototype records only: the parser builds plain objects, and toStrictEqual checks it. */
const record = <T>(model: { readonly [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>
const partialRecord = <T>(model: { readonly [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<Partial<T>> =>
  fc.record(model, { requiredKeys: [], noNullPrototype: true }) as fc.Arbitrary<Partial<T>>

const chars = (s: string) => fc.constantFrom(...s.split(""))
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const LOWER = "abcdefghijklmnopqrstuvwxyz"

const uint32 = fc.integer({ min: 0, max: 0xffffffff })
const uid = fc.integer({ min: 1, max: 0xffffffff }).map((n) => n as Uid)
const number64 = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })
const safe = fc.maxSafeNat()

const atom = fc.string({ unit: chars(`${ALNUM}.-_=+$&'!#~^|`), minLength: 1, maxLength: 10 })
const tagString = fc.string({ unit: chars(`${ALNUM}.-_`), minLength: 1, maxLength: 8 })
const objectId = fc.string({ unit: chars(`${ALNUM}_-`), minLength: 1, maxLength: 20 })
const lowerWord = fc.string({ unit: chars(`${LOWER}-`), minLength: 1, maxLength: 8 })
/** Names that no known code / item / keyword can have. */
const xName = atom.map((a) => `X-Q${a.toUpperCase()}`)

const flag = fc.oneof(
  atom.map((a) => `\\${a}`),
  atom,
  fc.constantFrom("\\*", "\\Seen", "[Gmail]x", "a]b")
)

/** Any well-formed Unicode string (the encoder picks atom / quoted / literal). */
const anyString = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", "NIL", "nil", "a b", 'q"uote', "back\\slash", "line\r\nbreak", "x]y", "{3}", "~{1}")
)
const nstring = fc.option(anyString, { nil: undefined })

/** resp-text / continuation text: one line, no trailing literal-marker look-alike. */
const lineText = fc
  .string({ unit: "grapheme", maxLength: 40 })
  .map((s) => s.replace(/[\r\n{}]/g, "_"))
  .filter((s) => s.isWellFormed())

/** A set of numbers as the parser gives it: ranges as written, low-high or high-low, no `*`. */
const setOf = <K extends SequenceSet.Kind>(kind: K): fc.Arbitrary<SequenceSet.SequenceSet<K>> =>
  fc
    .array(
      fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.option(fc.integer({ min: 1, max: 9999 }), { nil: undefined })),
      { minLength: 1, maxLength: 5 }
    )
    .map((ranges) =>
      SequenceSet.make(
        kind,
        ranges.map(([a, b]) => ({ start: a, end: b ?? a })) as unknown as NonEmptyReadonlyArray<SequenceSet.Range<K>>
      )
    )
const uidSet = setOf("uid")

/** A mailbox name and its wire form, as the parser pairs them. */
const mailbox = fc
  .oneof(anyString, fc.constantFrom("INBOX", "Entwürfe", "日本語/子", "a&b", "Sent Items"))
  .filter((name) => MailboxName.decode(MailboxName.encode(name)) === name)
  .map((name) => ({ mailbox: name, rawMailbox: MailboxName.encode(name) }))

/** Raw values as an unknown item / extension carries them. */
const rawValue = fc.oneof(
  uint32.map(String),
  atom,
  fc.constantFrom("NIL", '"quoted"', "(1 2 (3))", '("a" NIL)', "{3}\r\nabc", "()")
)

// Response codes ----------------------------------------------------------------------------------

/** Every response code (RFC 9051 section 7.1 and the extensions the parser knows), and unknown ones. */
export const responseCode: fc.Arbitrary<ResponseCode> = fc.oneof(
  fc.constantFrom<ResponseCode>(
    { _tag: "Alert" },
    { _tag: "Parse" },
    { _tag: "ReadOnly" },
    { _tag: "ReadWrite" },
    { _tag: "TryCreate" },
    { _tag: "NoModSeq" },
    { _tag: "Closed" },
    { _tag: "UidNotSticky" }
  ),
  fc.array(atom, { maxLength: 5 }).map((capabilities) => ({ _tag: "Capability", capabilities }) as const),
  fc.array(flag, { maxLength: 5 }).map((flags) => ({ _tag: "PermanentFlags", flags }) as const),
  uint32.map((uid) => ({ _tag: "UidNext", uid }) as const),
  uint32.map((uidValidity) => ({ _tag: "UidValidity", uidValidity }) as const),
  uint32.map((seq) => ({ _tag: "Unseen", seq }) as const),
  number64.map((modSeq) => ({ _tag: "HighestModSeq", modSeq }) as const),
  uidSet.map((set) => ({ _tag: "Modified", set }) as const),
  record({ uidValidity: uint32, uids: fc.array(uid, { minLength: 1, maxLength: 6 }) }).map(
    (r) => ({ _tag: "AppendUid", ...r }) as const
  ),
  record({
    uidValidity: uint32,
    sourceUids: fc.array(uid, { minLength: 1, maxLength: 6 }),
    destUids: fc.array(uid, { minLength: 1, maxLength: 6 })
  }).map((r) => ({ _tag: "CopyUid", ...r }) as const),
  fc
    .array(fc.oneof(atom, fc.string({ unit: chars(`${ALNUM} -"\\`), minLength: 1, maxLength: 8 })), { maxLength: 3 })
    .map((charsets) => ({ _tag: "BadCharset", charsets }) as const),
  objectId.map((id) => ({ _tag: "MailboxId", id }) as const),
  fc
    .constantFrom("AUTHENTICATIONFAILED", "UNAVAILABLE", "NONEXISTENT", "ALREADYEXISTS", "OVERQUOTA", "SERVERBUG")
    .map((code) => ({ _tag: "Status", code }) as const),
  record({
    name: xName,
    text: fc.option(
      lineText.map((s) => s.replace(/]/g, "_")),
      { nil: undefined }
    )
  }).map((r) => ({ _tag: "Other", ...r }) as const)
)

const statusText = (code: ResponseCode | undefined, text: string) =>
  code === undefined && text.startsWith("[") ? `_${text}` : text

// FETCH -------------------------------------------------------------------------------------------

const address: fc.Arbitrary<Address> = record({ name: nstring, adl: nstring, mailbox: nstring, host: nstring })
const addresses = fc.array(address, { maxLength: 3 })

/** ENVELOPE structures: every field NIL or any string, 0..3 addresses per address list. */
export const envelope: fc.Arbitrary<Envelope> = record({
  date: nstring,
  subject: nstring,
  from: addresses,
  sender: addresses,
  replyTo: addresses,
  to: addresses,
  cc: addresses,
  bcc: addresses,
  inReplyTo: nstring,
  messageId: nstring
})

const params = fc.array(fc.tuple(anyString, anyString), { maxLength: 3 })
const disposition = fc.option(record({ type: anyString, params }), { nil: undefined })
const language = fc.option(fc.array(anyString, { maxLength: 3 }), { nil: undefined })
const extra = fc.array(rawValue, { minLength: 1, maxLength: 3 }).map((vs) => vs.join(" "))

/** The first `n` extension positions, each present (possibly undefined), the rest absent. */
const extensionPrefix = (first: "md5" | "params") =>
  record({
    n: fc.integer({ min: 0, max: 5 }),
    md5: nstring,
    params,
    disposition,
    language,
    location: nstring,
    extra
  }).map(({ n, ...v }) => {
    const keys = [first, "disposition", "language", "location", "extra"] as const
    const out: Record<string, unknown> = {}
    keys.slice(0, n).forEach((k) => {
      out[k] = v[k]
    })
    return out as BodyExtension & { readonly params?: ReadonlyArray<readonly [string, string]> }
  })

const fields = record({ params, id: nstring, description: nstring, encoding: anyString, size: uint32 })
const lines = fc.integer({ min: -1, max: 0xffffff })

/**
 * BODYSTRUCTUREs: basic, text, message/rfc822 (and global) and multipart parts nested a few levels
 * deep, each with a prefix of its extension fields.
 */
export const bodyStructure: fc.Arbitrary<BodyStructure> = fc.letrec<{ body: BodyStructure }>((tie) => ({
  body: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    record({
      type: lowerWord.filter((t) => t !== "text" && t !== "message"),
      subtype: lowerWord,
      fields,
      ext: extensionPrefix("md5")
    }).map(({ ext, ...r }): BodyStructure => ({ _tag: "BasicPart", ...r, ...ext })),
    record({ subtype: lowerWord, fields, lines, ext: extensionPrefix("md5") }).map(
      ({ ext, ...r }): BodyStructure => ({ _tag: "TextPart", type: "text", ...r, ...ext })
    ),
    record({
      subtype: fc.constantFrom("rfc822", "global"),
      fields,
      envelope,
      body: tie("body"),
      lines,
      ext: extensionPrefix("md5")
    }).map(({ ext, ...r }): BodyStructure => ({ _tag: "MessagePart", type: "message", ...r, ...ext })),
    record({
      parts: fc.array(tie("body"), { minLength: 1, maxLength: 3 }),
      subtype: lowerWord,
      ext: extensionPrefix("params")
    }).map(({ ext, ...r }): BodyStructure => ({ _tag: "Multipart", ...r, ...ext }))
  )
})).body

const bytes = fc.uint8Array({ maxLength: 40 })
const bodySection = record({
  section: fc.constantFrom(
    "",
    "HEADER",
    "TEXT",
    "1",
    "1.2",
    "1.2.MIME",
    "2.HEADER",
    "3.TEXT",
    "HEADER.FIELDS (From Subject)",
    'HEADER.FIELDS.NOT ("X-A")'
  ),
  origin: fc.option(uint32, { nil: undefined }),
  data: fc.option(bytes, { nil: undefined })
}) satisfies fc.Arbitrary<BodySection>
const binarySection = record({
  section: fc.constantFrom("", "1", "1.2", "4.1.3"),
  origin: fc.option(uint32, { nil: undefined }),
  data: fc.option(bytes, { nil: undefined })
}) satisfies fc.Arbitrary<BodySection>
const label = fc.oneof(flag, anyString)

/** FETCH data: any subset of the attributes the parser reads, unknown ones included. */
export const fetchAttributes: fc.Arbitrary<FetchAttributes> = partialRecord({
  uid,
  flags: fc.array(flag, { maxLength: 4 }),
  internalDate: fc.constantFrom("17-Jul-1996 02:44:25 -0700", " 1-Jan-2024 00:00:00 +0000"),
  size: uint32,
  envelope,
  bodyStructure,
  body: fc.array(bodySection, { minLength: 1, maxLength: 3 }),
  binary: fc.array(binarySection, { minLength: 1, maxLength: 2 }),
  binarySize: fc.array(record({ section: fc.constantFrom("", "1", "2.3"), size: uint32 }), {
    minLength: 1,
    maxLength: 2
  }),
  modSeq: number64,
  emailId: objectId,
  threadId: fc.option(objectId, { nil: undefined }),
  preview: nstring,
  gmailMessageId: number64,
  gmailThreadId: number64,
  gmailLabels: fc.array(label, { maxLength: 4 }),
  unknown: fc.array(
    record({ name: xName, raw: rawValue }).map((u) => ({ ...u, bytes: new TextEncoder().encode(u.raw) })),
    { minLength: 1, maxLength: 2 }
  )
}).map((a) => a as FetchAttributes)

// Responses -----------------------------------------------------------------------------------

const namespaceEntries = fc.array(
  record({ prefix: anyString, delimiter: fc.option(fc.constantFrom("/", ".", "\\", '"'), { nil: undefined }) }),
  { maxLength: 2 }
) satisfies fc.Arbitrary<ReadonlyArray<NamespaceEntry>>

/**
 * One arbitrary per `Response` variant, keyed by its `_tag` (`List` gives LIST and LSUB), so a test
 * run per variant can name the one that failed.
 */
export const responses = {
  Tagged: record({
    tag: tagString,
    status: fc.constantFrom("OK", "NO", "BAD"),
    code: fc.option(responseCode, { nil: undefined }),
    text: lineText
  }).map((r): Response => ({ _tag: "Tagged", ...r, text: statusText(r.code, r.text) })),
  UntaggedStatus: record({
    status: fc.constantFrom("OK", "NO", "BAD", "PREAUTH", "BYE"),
    code: fc.option(responseCode, { nil: undefined }),
    text: lineText
  }).map((r): Response => ({ _tag: "UntaggedStatus", ...r, text: statusText(r.code, r.text) })),
  Continuation: lineText.map((text): Response => ({ _tag: "Continuation", text })),
  Capability: fc.array(atom, { maxLength: 6 }).map((capabilities): Response => ({ _tag: "Capability", capabilities })),
  Enabled: fc.array(atom, { maxLength: 3 }).map((capabilities): Response => ({ _tag: "Enabled", capabilities })),
  Flags: fc.array(flag, { maxLength: 6 }).map((flags): Response => ({ _tag: "Flags", flags })),
  List: record({
    tag: fc.constantFrom("List", "Lsub"),
    attributes: fc.array(flag, { maxLength: 3 }),
    delimiter: fc.option(fc.constantFrom("/", ".", "\\", '"', "ä"), { nil: undefined }),
    name: mailbox,
    childInfo: fc.option(fc.array(anyString, { maxLength: 2 }), { nil: undefined }),
    oldName: fc.option(
      mailbox.map((m) => m.mailbox),
      { nil: undefined }
    ),
    extended: fc.array(record({ name: xName, raw: rawValue }), { maxLength: 2 })
  }).map(({ tag, name, ...r }): Response => ({ _tag: tag, ...r, ...name })),
  Status: record({
    name: mailbox,
    items: partialRecord({
      messages: uint32,
      recent: uint32,
      uidNext: uint32,
      uidValidity: uint32,
      unseen: uint32,
      deleted: uint32,
      size: safe,
      highestModSeq: number64,
      appendLimit: safe,
      mailboxId: objectId,
      other: fc.array(record({ name: xName, raw: rawValue }), { minLength: 1, maxLength: 2 })
    })
  }).map(({ name, items }): Response => ({ _tag: "Status", ...name, items })),
  Search: record({ ids: fc.array(uint32, { maxLength: 10 }), modSeq: fc.option(number64, { nil: undefined }) }).map(
    (r): Response => ({ _tag: "Search", ...r })
  ),
  ESearch: record({
    tag: fc.option(anyString, { nil: undefined }),
    uid: fc.boolean(),
    min: fc.option(uint32, { nil: undefined }),
    max: fc.option(uint32, { nil: undefined }),
    count: fc.option(uint32, { nil: undefined }),
    all: fc.option(fc.boolean(), { nil: undefined }),
    modSeq: fc.option(number64, { nil: undefined }),
    other: fc.array(record({ name: xName, raw: rawValue }), { maxLength: 2 })
  })
    .chain((r) =>
      // ALL's kind follows the UID indicator, as the parser reads it.
      (r.all === undefined ? fc.constant(undefined) : r.uid ? uidSet : setOf("seq")).map((all) => ({ ...r, all }))
    )
    .map((r): Response => ({ _tag: "ESearch", ...r })),
  Exists: uint32.map((count): Response => ({ _tag: "Exists", count })),
  Recent: uint32.map((count): Response => ({ _tag: "Recent", count })),
  Expunge: uint32.map((seq): Response => ({ _tag: "Expunge", seq })),
  Vanished: record({ earlier: fc.boolean(), uids: uidSet }).map((r): Response => ({ _tag: "Vanished", ...r })),
  Namespace: record({ personal: namespaceEntries, otherUsers: namespaceEntries, shared: namespaceEntries }).map(
    (r): Response => ({ _tag: "Namespace", ...r })
  ),
  Id: fc
    .option(fc.uniqueArray(fc.tuple(anyString, nstring), { selector: ([k]) => k, maxLength: 4 }), { nil: undefined })
    .map((entries): Response => ({ _tag: "Id", params: entries === undefined ? undefined : new Map(entries) })),
  Quota: record({
    root: anyString,
    resources: fc.array(record({ name: atom.map((a) => a.toUpperCase()), usage: safe, limit: safe }), { maxLength: 3 })
  }).map((r): Response => ({ _tag: "Quota", ...r })),
  QuotaRoot: record({ name: mailbox, roots: fc.array(anyString, { maxLength: 3 }) }).map(
    ({ name, roots }): Response => ({ _tag: "QuotaRoot", ...name, roots })
  ),
  Fetch: record({ seq: uint32, attributes: fetchAttributes }).map((r): Response => ({ _tag: "Fetch", ...r })),
  Unknown: record({ keyword: xName, rest: lineText }).map(
    ({ keyword, rest }): Response => ({ _tag: "Unknown", raw: new TextEncoder().encode(`* ${keyword} ${rest}\r\n`) })
  )
} satisfies Record<string, fc.Arbitrary<Response>>

/**
 * Any response, every variant with equal weight.
 *
 * @example
 * ```ts
 * import { ResponseEncoder } from "@pkg/protocol/testing"
 * import { ResponseArbitraries } from "@pkg/protocol/testing/arbitraries"
 * import { ResponseParser } from "@pkg/protocol"
 * import * as fc from "fast-check"
 *
 * // Every response the server side writes, the client side reads back as it was.
 * fc.assert(
 *   fc.property(ResponseArbitraries.response, (response) => {
 *     assert.deepStrictEqual(ResponseParser.parse(ResponseEncoder.encode(response)), response)
 *   }),
 *   { numRuns: 200 }
 * )
 * ```
 */
export const response: fc.Arbitrary<Response> = fc.oneof(...Object.values(responses))
