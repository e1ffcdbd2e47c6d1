/**
 * fast-check arbitraries for every `Command`, for property tests of code that encodes, parses or
 * serves IMAP commands. Each is parameterised by the strings it puts in each kind of field
 * (`Strings`), so one generator serves both round-trip tests (`validStrings`: well-formed values)
 * and hostile ones (`hostileStrings`: CR, LF, NUL, lone surrogates, braces and quotes everywhere).
 *
 * @module
 */
import { Redacted } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as fc from "fast-check"
import * as Command from "../Command.ts"
import type { EncodeOptions } from "../CommandEncoder.ts"
import * as Flag from "../Flag.ts"
import * as SearchKey from "../SearchKey.ts"
import * as SequenceSet from "../SequenceSet.ts"

/**
 * What a command generator puts in each kind of string field. Commands are generated from these
 * alone, so a test chooses between well-formed and hostile values without a second generator.
 */
export interface Strings {
  /** Free text: mailbox names, user, password, search values, ID params, header names. */
  readonly text: fc.Arbitrary<string>
  /** Atom-only fields: mechanism, ENABLE capabilities. */
  readonly atom: fc.Arbitrary<string>
  /** Flags and keywords. */
  readonly flag: fc.Arbitrary<string>
  /** `\`-flags for CREATE (USE ...). */
  readonly specialUse: fc.Arbitrary<string>
  /** AUTHENTICATE initial responses. */
  readonly base64: fc.Arbitrary<string>
  /** OBJECTIDs. */
  readonly objectId: fc.Arbitrary<string>
}

const atomChars = [...Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x21 + i))].filter((c) =>
  Flag.isAtomChar(c.charCodeAt(0))
)
/** Atoms of 1..12 `ATOM-CHAR`s (RFC 9051 section 9). */
const atom: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...atomChars),
  minLength: 1,
  maxLength: 12
})

/** Well-formed text without NUL (the only thing no string field can carry). */
const text: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 16 }) },
    { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "NIL", "INBOX", "&", "&-", "a&b-c", "\r\n", '"', "\\", "{3}", "~peter/台北")
    },
    { weight: 1, arbitrary: fc.string({ minLength: 1020, maxLength: 1030 }) }
  )
  .filter((s) => !s.includes("\0") && s.isWellFormed())

/**
 * Well-formed strings: text without NUL (grapheme, binary-range, IMAP look-alikes such as `NIL`,
 * `{3}` and CRLF, and ~1 KB values), real atoms, system and custom flags, base64 and OBJECTIDs.
 * Every command built from them encodes, except an APPEND whose message holds NUL without BINARY.
 */
export const validStrings: Strings = {
  text,
  atom,
  flag: fc.oneof(fc.constantFrom(...Flag.systemFlags, Flag.Junk, "\\Important"), atom),
  specialUse: fc.constantFrom("\\Sent", "\\Drafts", "\\Archive", "\\Junk", "\\Trash", "\\All", "\\Flagged"),
  base64: fc.oneof(fc.constant(""), fc.base64String({ maxLength: 40 })),
  objectId: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/)
}

/** Anything: control characters, CR/LF/NUL, lone surrogates, IMAP syntax characters, fake literals. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.oneof(
      fc.constantFrom("\r", "\n", "\0", "\r\n", " ", "(", ")", "{", "}", '"', "\\", "*", "%", "]", "[", "~", "+"),
      fc.constantFrom(
        "&",
        "-",
        "{5}\r\n",
        "{0+}\r\n",
        "~{1}\r\n",
        "\uD800",
        "\uDC00",
        "é",
        "台",
        "\x7f",
        "\x01",
        "\x85"
      ),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
    ),
    maxLength: 20
  }),
  fc.string({ unit: "binary", maxLength: 20 }),
  atom
)

/**
 * Hostile strings in every field: CR/LF/NUL, lone surrogates, IMAP syntax characters and fake
 * literal markers. An encoder must refuse them with an error or send them safely (as literals).
 */
export const hostileStrings: Strings = {
  text: hostile,
  atom: hostile,
  flag: fc.oneof(
    hostile,
    hostile.map((s) => `\\${s}`)
  ),
  specialUse: hostile.map((s) => `\\${s}`),
  base64: hostile,
  objectId: hostile
}

const nz = fc.integer({ min: 1, max: SequenceSet.MAX })
const modSeq = fc.bigInt({ min: 0n, max: 9223372036854775807n })

const setOf = <K extends SequenceSet.Kind>(kind: K): fc.Arbitrary<SequenceSet.SequenceSet<K>> => {
  const bound = fc.oneof({ weight: 5, arbitrary: nz }, { weight: 1, arbitrary: fc.constant("*" as const) })
  const range = fc.oneof(
    bound.map((b) => ({ start: b, end: b })),
    fc.tuple(bound, bound).map(([start, end]) => ({ start, end }))
  )
  return fc
    .array(range, { minLength: 1, maxLength: 5 })
    .map((ranges) => SequenceSet.make(kind, ranges as unknown as NonEmptyReadonlyArray<SequenceSet.Range<K>>))
}
/** Message sequence number sets of 1..5 ranges, `*` included (as a bound, alone or in a range). */
export const seqSet: fc.Arbitrary<SequenceSet.SequenceSet<"seq">> = setOf("seq")

/** UID sets of 1..5 ranges, `*` included (as a bound, alone or in a range). */
export const uidSet: fc.Arbitrary<SequenceSet.SequenceSet<"uid">> = setOf("uid")
const orSaved = <K extends SequenceSet.Kind>(set: fc.Arbitrary<SequenceSet.SequenceSet<K>>) =>
  fc.oneof({ weight: 6, arbitrary: set }, { weight: 1, arbitrary: fc.constant(SequenceSet.saved) })

const nonEmpty = <A>(a: fc.Arbitrary<A>, maxLength = 4) =>
  fc.array(a, { minLength: 1, maxLength }).map((xs) => xs as unknown as NonEmptyReadonlyArray<A>)

/** Calendar days 0000..9999 at 00:00 UTC. */
const searchDay = fc
  .date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => SearchKey.day(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()))

const appendDate = fc
  .date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000))

/**
 * Search keys of every kind (flags, dates, texts, headers, sizes, sets, OR/NOT/AND nested a few
 * levels deep, MODSEQ, OBJECTID, X-GM-RAW), their strings taken from `s`.
 */
export const searchKey = (s: Strings): fc.Arbitrary<SearchKey.SearchKey> =>
  fc.letrec<{ key: SearchKey.SearchKey }>((tie) => ({
    key: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(...SearchKey.flagKeyTags).map((_tag): SearchKey.SearchKey => ({ _tag })),
      fc
        .tuple(fc.constantFrom("Keyword" as const, "Unkeyword" as const), s.atom)
        .map(([_tag, flag]) => ({ _tag, flag })),
      fc.tuple(fc.constantFrom(...SearchKey.dateKeyTags), searchDay).map(([_tag, date]) => ({ _tag, date })),
      fc.tuple(fc.constantFrom(...SearchKey.textKeyTags), s.text).map(([_tag, value]) => ({ _tag, value })),
      fc.tuple(s.text, s.text).map(([name, value]) => SearchKey.header(name, value)),
      fc
        .tuple(fc.constantFrom("Larger" as const, "Smaller" as const), fc.nat())
        .map(([_tag, size]) => ({ _tag, size })),
      fc
        .tuple(fc.constantFrom("Older" as const, "Younger" as const), fc.integer({ min: 1 }))
        .map(([_tag, seconds]) => ({ _tag, seconds })),
      orSaved(uidSet).map(SearchKey.uid),
      orSaved(seqSet).map(SearchKey.sequenceSet),
      fc.tuple(tie("key"), tie("key")).map(([a, b]) => SearchKey.or(a, b)),
      tie("key").map(SearchKey.not),
      nonEmpty(tie("key"), 3).map((keys) => SearchKey.and(...keys)),
      fc
        .tuple(
          modSeq,
          fc.option(
            fc.record({ name: s.text, type: fc.constantFrom("priv" as const, "shared" as const, "all" as const) }),
            {
              nil: undefined
            }
          )
        )
        .map(([n, entry]) => SearchKey.modSeq(n, entry)),
      fc
        .tuple(fc.constantFrom("EmailId" as const, "ThreadId" as const), s.objectId)
        .map(([_tag, id]) => ({ _tag, id })),
      s.text.map(SearchKey.gmailRaw)
    )
  })).key

const part = fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 3 })
const partial = fc.option(fc.record({ offset: fc.integer({ min: 0, max: SequenceSet.MAX }), length: nz }), {
  nil: undefined
})

const fetchAttribute = (s: Strings): fc.Arbitrary<Command.FetchAttribute> => {
  const section: fc.Arbitrary<Command.Section> = fc.oneof(
    part.map((p) => Command.SectionSpec.whole(p)),
    part.map((p) => Command.SectionSpec.header(p)),
    part.map((p) => Command.SectionSpec.text(p)),
    fc
      .array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 3 })
      .map((p) => Command.SectionSpec.mime(p as unknown as NonEmptyReadonlyArray<number>)),
    fc
      .tuple(nonEmpty(s.text, 3), fc.boolean(), part)
      .map(([fields, not, p]) => Command.SectionSpec.headerFields(fields, { not, part: p }))
  )
  const opts = fc.tuple(fc.boolean(), partial).map(([peek, p]) => (p === undefined ? { peek } : { peek, partial: p }))
  return fc.oneof(
    fc.constantFrom(...Object.values(Command.Attr).filter((a): a is Command.FetchAttribute => typeof a !== "function")),
    fc.tuple(section, opts).map(([sec, o]) => Command.Attr.bodySection(sec, o)),
    fc.tuple(part, opts).map(([p, o]) => Command.Attr.binary(p, o)),
    part.map(Command.Attr.binarySize),
    fc.boolean().map(Command.Attr.preview)
  )
}

const fetchItems = (s: Strings): fc.Arbitrary<Command.FetchItems> =>
  fc.oneof(fc.constantFrom("ALL" as const, "FAST" as const, "FULL" as const), nonEmpty(fetchAttribute(s), 5))

const qresync = fc
  .record(
    {
      uidValidity: nz,
      modSeq,
      knownUids: fc.option(orSaved(uidSet), { nil: undefined })
    },
    { requiredKeys: ["uidValidity", "modSeq"] }
  )
  .chain((q) =>
    q.knownUids === undefined
      ? fc.constant(q as Command.QResync)
      : fc
          .option(fc.record({ sequences: orSaved(seqSet), uids: orSaved(uidSet) }), { nil: undefined })
          .map((sequenceMatch): Command.QResync => ({ ...q, sequenceMatch }))
  )

const selectOptions = fc.record({
  condstore: fc.boolean(),
  qresync: fc.option(qresync, { nil: undefined })
})

const storeMode = fc.constantFrom<Command.StoreMode>("add", "remove", "replace")
const storeOptions = fc.record({ silent: fc.boolean(), unchangedSince: modSeq }, { requiredKeys: ["silent"] })

const message = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 4090, maxLength: 4100 }))

/**
 * One arbitrary per command type, keyed by `_tag`, so a test run per command can name the one that
 * failed. Strings in every field come from `s`.
 */
export const commands = (s: Strings): Record<Command.CommandTag, fc.Arbitrary<Command.Command>> => ({
  Capability: fc.constant(Command.capability),
  Noop: fc.constant(Command.noop),
  Logout: fc.constant(Command.logout),
  StartTls: fc.constant(Command.startTls),
  Namespace: fc.constant(Command.namespace),
  Idle: fc.constant(Command.idle),
  Close: fc.constant(Command.close),
  Unselect: fc.constant(Command.unselect),
  Expunge: fc.constant(Command.expunge),
  Compress: fc.constant(Command.compress),
  Authenticate: fc
    .tuple(s.atom, fc.option(s.base64, { nil: undefined }))
    .map(([m, ir]) => Command.authenticate(m, ir === undefined ? undefined : Redacted.make(ir))),
  Login: fc.tuple(s.text, s.text).map(([u, p]) => Command.login(u, Redacted.make(p))),
  Enable: nonEmpty(s.atom).map((caps) => Command.enable(...caps)),
  Id: fc
    .option(fc.array(fc.tuple(s.text, fc.option(s.text, { nil: undefined })), { maxLength: 4 }), { nil: undefined })
    .map((ps) => Command.id(ps === undefined ? undefined : new Map(ps))),
  Select: fc.tuple(s.text, selectOptions).map(([m, o]) => Command.select(m, o)),
  Examine: fc.tuple(s.text, selectOptions).map(([m, o]) => Command.examine(m, o)),
  Create: fc
    .tuple(s.text, fc.array(s.specialUse, { maxLength: 2 }))
    .map(([m, specialUse]) => Command.create(m, { specialUse })),
  Delete: s.text.map(Command.delete_),
  Rename: fc.tuple(s.text, s.text).map(([a, b]) => Command.rename(a, b)),
  Subscribe: s.text.map(Command.subscribe),
  Unsubscribe: s.text.map(Command.unsubscribe),
  List: fc
    .tuple(
      s.text,
      nonEmpty(fc.oneof(s.text, fc.constantFrom("*", "%", "INBOX/%", "a]b*"))),
      fc.subarray([...Command.listSelectOptions]),
      fc.option(
        fc.record(
          {
            subscribed: fc.boolean(),
            children: fc.boolean(),
            specialUse: fc.boolean(),
            status: fc.subarray([...Command.statusItems])
          },
          { requiredKeys: [] }
        ),
        { nil: undefined }
      )
    )
    .map(([ref, patterns, selection, returnOptions]) => Command.list(ref, patterns, { selection, returnOptions })),
  Lsub: fc.tuple(s.text, s.text).map(([r, p]) => Command.lsub(r, p)),
  Status: fc
    .tuple(s.text, fc.subarray([...Command.statusItems], { minLength: 1 }))
    .map(([m, items]) => Command.status(m, items as unknown as NonEmptyReadonlyArray<Command.StatusItem>)),
  Append: fc
    .tuple(s.text, message, fc.array(s.flag, { maxLength: 3 }), fc.option(appendDate, { nil: undefined }))
    .map(([m, msg, flags, internalDate]) => Command.append(m, msg, { flags, internalDate })),
  GetQuota: s.text.map(Command.getQuota),
  GetQuotaRoot: s.text.map(Command.getQuotaRoot),
  UidExpunge: orSaved(uidSet).map(Command.uidExpunge),
  Search: fc
    .tuple(
      searchKey(s),
      fc.option(s.text, { nil: undefined }),
      fc.option(fc.subarray([...SearchKey.returnOptions]), { nil: undefined })
    )
    .map(([k, charset, returnOptions]) => Command.search(k, { charset, returnOptions })),
  UidSearch: fc
    .tuple(
      searchKey(s),
      fc.option(s.text, { nil: undefined }),
      fc.option(fc.subarray([...SearchKey.returnOptions]), { nil: undefined })
    )
    .map(([k, charset, returnOptions]) => Command.uidSearch(k, { charset, returnOptions })),
  Fetch: fc
    .tuple(orSaved(seqSet), fetchItems(s), fc.option(modSeq, { nil: undefined }))
    .map(([set, items, changedSince]) => Command.fetch(set, items, { changedSince })),
  UidFetch: fc
    .tuple(orSaved(uidSet), fetchItems(s), fc.option(modSeq, { nil: undefined }), fc.boolean())
    .map(([set, items, changedSince, vanished]) =>
      Command.uidFetch(set, items, { changedSince, vanished: vanished && changedSince !== undefined })
    ),
  Store: fc
    .tuple(orSaved(seqSet), storeMode, fc.array(s.flag, { maxLength: 4 }), storeOptions)
    .map(([set, mode, flags, o]) => Command.store(set, mode, flags, o)),
  UidStore: fc
    .tuple(orSaved(uidSet), storeMode, fc.array(s.flag, { maxLength: 4 }), storeOptions)
    .map(([set, mode, flags, o]) => Command.uidStore(set, mode, flags, o)),
  Copy: fc.tuple(orSaved(seqSet), s.text).map(([set, m]) => Command.copy(set, m)),
  UidCopy: fc.tuple(orSaved(uidSet), s.text).map(([set, m]) => Command.uidCopy(set, m)),
  Move: fc.tuple(orSaved(seqSet), s.text).map(([set, m]) => Command.move(set, m)),
  UidMove: fc.tuple(orSaved(uidSet), s.text).map(([set, m]) => Command.uidMove(set, m))
})

/** Every combination of LITERAL+, LITERAL-, UTF8=ACCEPT and BINARY the encoder can be given. */
export const encodeOptions: fc.Arbitrary<EncodeOptions> = fc.record({
  literalPlus: fc.boolean(),
  literalMinus: fc.boolean(),
  utf8Accept: fc.boolean(),
  binary: fc.boolean()
})

/** Any command, of every type with equal weight, its strings taken from `s`. */
export const command = (s: Strings): fc.Arbitrary<Command.Command> => fc.oneof(...Object.values(commands(s)))
