/**
 * Schema models (effect/Schema) of the main public response types, for validation and
 * serialisation at the edges (a test server reading fixtures, a cache of envelopes, logs). The
 * parser never uses them: it builds the plain `Response.ts` values directly.
 *
 * Each schema's `Type` is checked at compile time to be assignable both ways with its
 * `Response.ts` counterpart (see the end of the file), so the two cannot drift apart.
 */
import * as Schema from "effect/Schema"
import type * as R from "./Response.ts"

const NString = Schema.UndefinedOr(Schema.String)

export const Uid = Schema.Number.pipe(Schema.brand("Uid"))

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
  language: Schema.optional(Schema.Array(Schema.String)),
  location: Schema.optional(Schema.String),
  extra: Schema.optional(Schema.String)
}

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
  language: Schema.optional(Schema.Array(Schema.String)),
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
  Schema.TaggedStruct("Modified", { set: Schema.String }),
  Schema.TaggedStruct("AppendUid", { uidValidity: Schema.Number, uids: UidList }),
  Schema.TaggedStruct("CopyUid", { uidValidity: Schema.Number, sourceUids: UidList, destUids: UidList }),
  Schema.TaggedStruct("Closed", {}),
  Schema.TaggedStruct("BadCharset", { charsets: Schema.Array(Schema.String) }),
  Schema.TaggedStruct("UidNotSticky", {}),
  Schema.TaggedStruct("MailboxId", { id: Schema.String }),
  Schema.TaggedStruct("Status", { code: Schema.String }),
  Schema.TaggedStruct("Other", { name: Schema.String, text: NString })
])

export const Tagged = Schema.TaggedStruct("Tagged", {
  tag: Schema.String,
  status: Schema.Literals(["OK", "NO", "BAD"]),
  code: Schema.UndefinedOr(ResponseCode),
  text: Schema.String
})

export const UntaggedStatus = Schema.TaggedStruct("UntaggedStatus", {
  status: Schema.Literals(["OK", "NO", "BAD", "PREAUTH", "BYE"]),
  code: Schema.UndefinedOr(ResponseCode),
  text: Schema.String
})

export const BodySection = Schema.Struct({
  section: Schema.String,
  origin: Schema.UndefinedOr(Schema.Number),
  data: Schema.UndefinedOr(Schema.Uint8Array)
})

const Raw = Schema.Struct({ name: Schema.String, raw: Schema.String })

export const FetchAttributes = Schema.Struct({
  uid: Schema.optionalKey(Uid),
  flags: Schema.optionalKey(Schema.Array(Schema.String)),
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
  gmailLabels: Schema.optionalKey(Schema.Array(Schema.String)),
  unknown: Schema.optionalKey(Schema.Array(Raw))
})

export const FetchData = Schema.TaggedStruct("Fetch", {
  seq: Schema.Number,
  attributes: FetchAttributes
})

// Compile-time checks: each schema's Type and its Response.ts type are assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Check<S, T> = Same<Schema.Schema.Type<S>, T>
export const typeChecks: {
  readonly address: Check<typeof Address, R.Address>
  readonly envelope: Check<typeof Envelope, R.Envelope>
  readonly bodyFields: Check<typeof BodyFields, R.BodyFields>
  readonly bodyStructure: Check<typeof BodyStructure, R.BodyStructure>
  readonly multipart: Check<typeof Multipart, Extract<R.BodyStructure, { _tag: "Multipart" }>>
  readonly responseCode: Check<typeof ResponseCode, R.ResponseCode>
  readonly tagged: Check<typeof Tagged, R.Tagged>
  readonly untaggedStatus: Check<typeof UntaggedStatus, R.UntaggedStatus>
  readonly bodySection: Check<typeof BodySection, R.BodySection>
  readonly fetchAttributes: Check<typeof FetchAttributes, R.FetchAttributes>
  readonly fetchData: Check<typeof FetchData, R.FetchData>
} = {
  address: true,
  envelope: true,
  bodyFields: true,
  bodyStructure: true,
  multipart: true,
  responseCode: true,
  tagged: true,
  untaggedStatus: true,
  bodySection: true,
  fetchAttributes: true,
  fetchData: true
}
