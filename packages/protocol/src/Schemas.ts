/**
 * Schema models (effect/Schema) of every public response type in `Response.ts`, up to the whole
 * `Response` union, for validation and serialisation at the edges (a test server reading fixtures,
 * a cache of envelopes, logs). The parser never uses them: it builds the plain `Response.ts`
 * values directly.
 *
 * Each schema's `Type` is checked at compile time to be assignable both ways with its
 * `Response.ts` counterpart (see the end of the file), so the two cannot drift apart.
 */
import * as Schema from "effect/Schema"
import type * as R from "./Response.ts"
import type { SequenceSet } from "./SequenceSet.ts"

const NString = Schema.UndefinedOr(Schema.String)
const Strings = Schema.Array(Schema.String)

/** Literal and quoted-string bytes (`Response.Bytes`). */
export const Bytes = Schema.Uint8Array

export const Uid = Schema.Number.pipe(Schema.brand("Uid"))

const setOf = <K extends "uid" | "seq", N extends Schema.Top>(kind: K, number: N) => {
  const bound = Schema.Union([number, Schema.Literal("*")])
  return Schema.Struct({
    _tag: Schema.tag("SequenceSet"),
    kind: Schema.Literal(kind),
    ranges: Schema.NonEmptyArray(Schema.Struct({ start: bound, end: bound }))
  })
}

/** `SequenceSet<"uid">`: UIDs (VANISHED, MODIFIED, ESEARCH ALL after UID SEARCH). */
export const UidSet = setOf("uid", Uid)
/** `SequenceSet<"seq">`: message sequence numbers (ESEARCH ALL after SEARCH). */
export const SeqSet = setOf("seq", Schema.Number)

export const Address = Schema.Struct({
  name: NString,
  adl: NString,
  mailbox: NString,
  host: NString
})

export const Envelope = Schema.Struct({
  date: NString,
  subject: NString,
  from: Schema.Array(Address),
  sender: Schema.Array(Address),
  replyTo: Schema.Array(Address),
  to: Schema.Array(Address),
  cc: Schema.Array(Address),
  bcc: Schema.Array(Address),
  inReplyTo: NString,
  messageId: NString
})

const Params = Schema.Array(Schema.Tuple([Schema.String, Schema.String]))
const Disposition = Schema.Struct({ type: Schema.String, params: Params })

export const BodyFields = Schema.Struct({
  params: Params,
  id: NString,
  description: NString,
  encoding: Schema.String,
  size: Schema.Number
})

/** Extension data: each key present exactly when the server sent that position. */
const extension = {
  md5: Schema.optional(Schema.String),
  disposition: Schema.optional(Disposition),
  language: Schema.optional(Strings),
  location: Schema.optional(Schema.String),
  extra: Schema.optional(Schema.String)
}

export const BodyExtension = Schema.Struct(extension)

const Body = Schema.suspend((): Schema.Codec<R.BodyStructure> => BodyStructure)

export const BasicPart = Schema.TaggedStruct("BasicPart", {
  type: Schema.String,
  subtype: Schema.String,
  fields: BodyFields,
  ...extension
})

export const TextPart = Schema.TaggedStruct("TextPart", {
  type: Schema.Literal("text"),
  subtype: Schema.String,
  fields: BodyFields,
  lines: Schema.Number,
  ...extension
})

export const MessagePart = Schema.TaggedStruct("MessagePart", {
  type: Schema.Literal("message"),
  subtype: Schema.String,
  fields: BodyFields,
  envelope: Envelope,
  body: Body,
  lines: Schema.Number,
  ...extension
})

export const Multipart = Schema.TaggedStruct("Multipart", {
  parts: Schema.Array(Body),
  subtype: Schema.String,
  params: Schema.optional(Params),
  disposition: Schema.optional(Disposition),
  language: Schema.optional(Strings),
  location: Schema.optional(Schema.String),
  extra: Schema.optional(Schema.String)
})

export const BodyStructure: Schema.Codec<R.BodyStructure> = Schema.Union([BasicPart, TextPart, MessagePart, Multipart])

const UidList = Schema.Array(Uid)

export const ResponseCode = Schema.Union([
  Schema.TaggedStruct("Alert", {}),
  Schema.TaggedStruct("Parse", {}),
  Schema.TaggedStruct("Capability", { capabilities: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("PermanentFlags", { flags: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("ReadOnly", {}),
  Schema.TaggedStruct("ReadWrite", {}),
  Schema.TaggedStruct("TryCreate", {}),
  Schema.TaggedStruct("UidNext", { uid: Schema.Number }),
  Schema.TaggedStruct("UidValidity", { uidValidity: Schema.Number }),
  Schema.TaggedStruct("Unseen", { seq: Schema.Number }),
  Schema.TaggedStruct("HighestModSeq", { modSeq: Schema.BigInt }),
  Schema.TaggedStruct("NoModSeq", {}),
  Schema.TaggedStruct("Modified", { set: UidSet }),
  Schema.TaggedStruct("AppendUid", { uidValidity: Schema.Number, uids: UidList }),
  Schema.TaggedStruct("CopyUid", { uidValidity: Schema.Number, sourceUids: UidList, destUids: UidList }),
  Schema.TaggedStruct("Closed", {}),
  Schema.TaggedStruct("BadCharset", { charsets: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("UidNotSticky", {}),
  Schema.TaggedStruct("MailboxId", { id: Schema.String }),
  Schema.TaggedStruct("Status", { code: Schema.String }),
  Schema.TaggedStruct("Other", { name: Schema.String, text: NString })
])

export const StatusCondition = Schema.Literals(["OK", "NO", "BAD", "PREAUTH", "BYE"])

export const Tagged = Schema.TaggedStruct("Tagged", {
  tag: Schema.String,
  status: Schema.Literals(["OK", "NO", "BAD"]),
  code: Schema.UndefinedOr(ResponseCode),
  text: Schema.String
})

export const UntaggedStatus = Schema.TaggedStruct("UntaggedStatus", {
  status: StatusCondition,
  code: Schema.UndefinedOr(ResponseCode),
  text: Schema.String
})

export const Continuation = Schema.TaggedStruct("Continuation", { text: Schema.String })

export const CapabilityData = Schema.TaggedStruct("Capability", { capabilities: Strings })
export const EnabledData = Schema.TaggedStruct("Enabled", { capabilities: Strings })
export const FlagsData = Schema.TaggedStruct("Flags", { flags: Strings })

/** An extended / unknown item kept raw (LIST extended items, STATUS and ESEARCH `other`). */
const Raw = Schema.Struct({ name: Schema.String, raw: Schema.String })

/** LIST and LSUB share one shape; `_tag` tells them apart. */
export const ListData = Schema.Struct({
  _tag: Schema.Literals(["List", "Lsub"]),
  attributes: Strings,
  delimiter: NString,
  mailbox: Schema.String,
  rawMailbox: Schema.String,
  childInfo: Schema.UndefinedOr(Strings),
  oldName: NString,
  extended: Schema.Array(Raw)
})

/** Every key optional and, when present, defined (`exactOptionalPropertyTypes`). */
export const StatusItems = Schema.Struct({
  messages: Schema.optionalKey(Schema.Number),
  recent: Schema.optionalKey(Schema.Number),
  uidNext: Schema.optionalKey(Schema.Number),
  uidValidity: Schema.optionalKey(Schema.Number),
  unseen: Schema.optionalKey(Schema.Number),
  deleted: Schema.optionalKey(Schema.Number),
  size: Schema.optionalKey(Schema.Number),
  highestModSeq: Schema.optionalKey(Schema.BigInt),
  appendLimit: Schema.optionalKey(Schema.Number),
  mailboxId: Schema.optionalKey(Schema.String),
  other: Schema.optionalKey(Schema.Array(Raw))
})

export const StatusData = Schema.TaggedStruct("Status", {
  mailbox: Schema.String,
  rawMailbox: Schema.String,
  items: StatusItems
})

export const SearchData = Schema.TaggedStruct("Search", {
  ids: Schema.Array(Schema.Number),
  modSeq: Schema.UndefinedOr(Schema.BigInt)
})

export const ESearchData = Schema.TaggedStruct("ESearch", {
  tag: NString,
  uid: Schema.Boolean,
  min: Schema.UndefinedOr(Schema.Number),
  max: Schema.UndefinedOr(Schema.Number),
  count: Schema.UndefinedOr(Schema.Number),
  all: Schema.UndefinedOr(Schema.Union([UidSet, SeqSet])),
  modSeq: Schema.UndefinedOr(Schema.BigInt),
  other: Schema.Array(Raw)
})

export const ExistsData = Schema.TaggedStruct("Exists", { count: Schema.Number })
export const RecentData = Schema.TaggedStruct("Recent", { count: Schema.Number })
export const ExpungeData = Schema.TaggedStruct("Expunge", { seq: Schema.Number })
export const VanishedData = Schema.TaggedStruct("Vanished", { earlier: Schema.Boolean, uids: UidSet })

export const NamespaceEntry = Schema.Struct({ prefix: Schema.String, delimiter: NString })
export const NamespaceData = Schema.TaggedStruct("Namespace", {
  personal: Schema.Array(NamespaceEntry),
  otherUsers: Schema.Array(NamespaceEntry),
  shared: Schema.Array(NamespaceEntry)
})

/** `ID NIL` is `params: undefined`; a NIL value is an `undefined` map value. */
export const IdData = Schema.TaggedStruct("Id", {
  params: Schema.UndefinedOr(Schema.ReadonlyMap(Schema.String, NString))
})

export const QuotaResource = Schema.Struct({ name: Schema.String, usage: Schema.Number, limit: Schema.Number })
export const QuotaData = Schema.TaggedStruct("Quota", { root: Schema.String, resources: Schema.Array(QuotaResource) })
export const QuotaRootData = Schema.TaggedStruct("QuotaRoot", {
  mailbox: Schema.String,
  rawMailbox: Schema.String,
  roots: Strings
})

export const BodySection = Schema.Struct({
  section: Schema.String,
  origin: Schema.UndefinedOr(Schema.Number),
  data: Schema.UndefinedOr(Bytes)
})

/** A FETCH item the parser does not know: its value as text and as the bytes received. */
export const FetchUnknownItem = Schema.Struct({ name: Schema.String, raw: Schema.String, bytes: Bytes })

export const FetchAttributes = Schema.Struct({
  uid: Schema.optionalKey(Uid),
  flags: Schema.optionalKey(Strings),
  internalDate: Schema.optionalKey(Schema.String),
  size: Schema.optionalKey(Schema.Number),
  envelope: Schema.optionalKey(Envelope),
  bodyStructure: Schema.optionalKey(BodyStructure),
  body: Schema.optionalKey(Schema.Array(BodySection)),
  binary: Schema.optionalKey(Schema.Array(BodySection)),
  binarySize: Schema.optionalKey(Schema.Array(Schema.Struct({ section: Schema.String, size: Schema.Number }))),
  modSeq: Schema.optionalKey(Schema.BigInt),
  emailId: Schema.optionalKey(Schema.String),
  threadId: Schema.optional(Schema.String),
  preview: Schema.optional(Schema.String),
  gmailMessageId: Schema.optionalKey(Schema.BigInt),
  gmailThreadId: Schema.optionalKey(Schema.BigInt),
  gmailLabels: Schema.optionalKey(Strings),
  unknown: Schema.optionalKey(Schema.Array(FetchUnknownItem))
})

export const FetchData = Schema.TaggedStruct("Fetch", {
  seq: Schema.Number,
  attributes: FetchAttributes
})

/** Anything the parser could frame but not understand, kept whole. */
export const UnknownData = Schema.TaggedStruct("Unknown", { raw: Bytes })

export const UntaggedData = Schema.Union([
  UntaggedStatus,
  CapabilityData,
  EnabledData,
  FlagsData,
  ListData,
  StatusData,
  SearchData,
  ESearchData,
  ExistsData,
  RecentData,
  ExpungeData,
  VanishedData,
  NamespaceData,
  IdData,
  QuotaData,
  QuotaRootData,
  FetchData,
  UnknownData
])

export const Response = Schema.Union([Tagged, Continuation, UntaggedData])

// Compile-time checks: each schema's Type and its Response.ts type are assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Check<S, T> = Same<Schema.Schema.Type<S>, T>

type Part<T extends R.BodyStructure["_tag"]> = Extract<R.BodyStructure, { readonly _tag: T }>

export const typeChecks: {
  readonly bytes: Check<typeof Bytes, R.Bytes>
  readonly address: Check<typeof Address, R.Address>
  readonly envelope: Check<typeof Envelope, R.Envelope>
  readonly bodyFields: Check<typeof BodyFields, R.BodyFields>
  readonly bodyExtension: Check<typeof BodyExtension, R.BodyExtension>
  readonly basicPart: Check<typeof BasicPart, Part<"BasicPart">>
  readonly textPart: Check<typeof TextPart, Part<"TextPart">>
  readonly messagePart: Check<typeof MessagePart, Part<"MessagePart">>
  readonly multipart: Check<typeof Multipart, Part<"Multipart">>
  readonly bodyStructure: Check<typeof BodyStructure, R.BodyStructure>
  readonly responseCode: Check<typeof ResponseCode, R.ResponseCode>
  readonly statusCondition: Check<typeof StatusCondition, R.StatusCondition>
  readonly tagged: Check<typeof Tagged, R.Tagged>
  readonly untaggedStatus: Check<typeof UntaggedStatus, R.UntaggedStatus>
  readonly continuation: Check<typeof Continuation, R.Continuation>
  readonly capabilityData: Check<typeof CapabilityData, R.CapabilityData>
  readonly enabledData: Check<typeof EnabledData, R.EnabledData>
  readonly flagsData: Check<typeof FlagsData, R.FlagsData>
  readonly listData: Check<typeof ListData, R.ListData>
  readonly statusItems: Check<typeof StatusItems, R.StatusItems>
  readonly statusData: Check<typeof StatusData, R.StatusData>
  readonly searchData: Check<typeof SearchData, R.SearchData>
  readonly uidSet: Check<typeof UidSet, SequenceSet<"uid">>
  readonly seqSet: Check<typeof SeqSet, SequenceSet<"seq">>
  readonly eSearchData: Check<typeof ESearchData, R.ESearchData>
  readonly existsData: Check<typeof ExistsData, R.ExistsData>
  readonly recentData: Check<typeof RecentData, R.RecentData>
  readonly expungeData: Check<typeof ExpungeData, R.ExpungeData>
  readonly vanishedData: Check<typeof VanishedData, R.VanishedData>
  readonly namespaceEntry: Check<typeof NamespaceEntry, R.NamespaceEntry>
  readonly namespaceData: Check<typeof NamespaceData, R.NamespaceData>
  readonly idData: Check<typeof IdData, R.IdData>
  readonly quotaResource: Check<typeof QuotaResource, R.QuotaResource>
  readonly quotaData: Check<typeof QuotaData, R.QuotaData>
  readonly quotaRootData: Check<typeof QuotaRootData, R.QuotaRootData>
  readonly bodySection: Check<typeof BodySection, R.BodySection>
  readonly fetchUnknownItem: Check<typeof FetchUnknownItem, R.FetchUnknownItem>
  readonly fetchAttributes: Check<typeof FetchAttributes, R.FetchAttributes>
  readonly fetchData: Check<typeof FetchData, R.FetchData>
  readonly unknownData: Check<typeof UnknownData, R.UnknownData>
  readonly untaggedData: Check<typeof UntaggedData, R.UntaggedData>
  readonly response: Check<typeof Response, R.Response>
} = {
  bytes: true,
  address: true,
  envelope: true,
  bodyFields: true,
  bodyExtension: true,
  basicPart: true,
  textPart: true,
  messagePart: true,
  multipart: true,
  bodyStructure: true,
  responseCode: true,
  statusCondition: true,
  tagged: true,
  untaggedStatus: true,
  continuation: true,
  capabilityData: true,
  enabledData: true,
  flagsData: true,
  listData: true,
  statusItems: true,
  statusData: true,
  searchData: true,
  eSearchData: true,
  existsData: true,
  recentData: true,
  expungeData: true,
  vanishedData: true,
  uidSet: true,
  seqSet: true,
  namespaceEntry: true,
  namespaceData: true,
  idData: true,
  quotaResource: true,
  quotaData: true,
  quotaRootData: true,
  bodySection: true,
  fetchUnknownItem: true,
  fetchAttributes: true,
  fetchData: true,
  unknownData: true,
  untaggedData: true,
  response: true
}
