/**
 * The typed shape of everything an IMAP server sends (RFC 3501 / RFC 9051 and the extensions a
 * client meets). Plain readonly `_tag` data: the parser builds these on the hot path without
 * Schema; `Schemas.ts` holds Schema models of the public types for validation at the edges.
 */
import type { SequenceSet, Uid } from "./SequenceSet.ts"

/** Bytes of a literal or quoted string, kept as a view into the received frame (never copied). */
export type Bytes = Uint8Array

// ---------------------------------------------------------------------------------------------
// Response codes (resp-text-code), RFC 3501 7.1 plus extensions. Unknown codes are preserved.

export type ResponseCode =
  | { readonly _tag: "Alert" }
  | { readonly _tag: "Parse" }
  | { readonly _tag: "Capability"; readonly capabilities: ReadonlyArray<string> }
  | { readonly _tag: "PermanentFlags"; readonly flags: ReadonlyArray<string> }
  | { readonly _tag: "ReadOnly" }
  | { readonly _tag: "ReadWrite" }
  | { readonly _tag: "TryCreate" }
  | { readonly _tag: "UidNext"; readonly uid: number }
  | { readonly _tag: "UidValidity"; readonly uidValidity: number }
  | { readonly _tag: "Unseen"; readonly seq: number }
  | { readonly _tag: "HighestModSeq"; readonly modSeq: bigint }
  | { readonly _tag: "NoModSeq" }
  /**
   * RFC 7162 3.1.3: the messages a conditional STORE left alone. UIDs after UID STORE (the only
   * STORE the client sends); after a plain STORE the server puts sequence numbers here, which the
   * parser cannot tell apart.
   */
  | { readonly _tag: "Modified"; readonly set: SequenceSet<"uid"> }
  | { readonly _tag: "AppendUid"; readonly uidValidity: number; readonly uids: ReadonlyArray<Uid> }
  | {
      readonly _tag: "CopyUid"
      readonly uidValidity: number
      readonly sourceUids: ReadonlyArray<Uid>
      readonly destUids: ReadonlyArray<Uid>
    }
  | { readonly _tag: "Closed" }
  | { readonly _tag: "BadCharset"; readonly charsets: ReadonlyArray<string> }
  | { readonly _tag: "UidNotSticky" }
  | { readonly _tag: "MailboxId"; readonly id: string }
  /**
   * RFC 5530 codes without arguments (AUTHENTICATIONFAILED, UNAVAILABLE, NONEXISTENT, ALREADYEXISTS,
   * OVERQUOTA, LIMIT, INUSE, SERVERBUG, CANNOT, NOPERM, EXPIRED, PRIVACYREQUIRED, CONTACTADMIN,
   * AUTHORIZATIONFAILED, CLIENTBUG, EXPUNGEISSUED, CORRUPTION, ...): the atom, upper-cased.
   */
  | { readonly _tag: "Status"; readonly code: string }
  /** Any other code, with its raw argument text (if any), e.g. `[URLMECH INTERNAL]`. */
  | { readonly _tag: "Other"; readonly name: string; readonly text: string | undefined }

export type StatusCondition = "OK" | "NO" | "BAD" | "PREAUTH" | "BYE"

// ---------------------------------------------------------------------------------------------
// Top-level responses

/** `tag OK|NO|BAD [code] text`: completes the command with that tag. */
export interface Tagged {
  readonly _tag: "Tagged"
  readonly tag: string
  readonly status: "OK" | "NO" | "BAD"
  readonly code: ResponseCode | undefined
  readonly text: string
}

/** `* OK|NO|BAD|PREAUTH|BYE [code] text`. */
export interface UntaggedStatus {
  readonly _tag: "UntaggedStatus"
  readonly status: StatusCondition
  readonly code: ResponseCode | undefined
  readonly text: string
}

/** `+ text` or `+ base64` (AUTHENTICATE challenges are base64; the raw text is kept). */
export interface Continuation {
  readonly _tag: "Continuation"
  readonly text: string
}

export interface CapabilityData {
  readonly _tag: "Capability"
  readonly capabilities: ReadonlyArray<string>
}
export interface EnabledData {
  readonly _tag: "Enabled"
  readonly capabilities: ReadonlyArray<string>
}
export interface FlagsData {
  readonly _tag: "Flags"
  readonly flags: ReadonlyArray<string>
}

export interface ListData {
  readonly _tag: "List" | "Lsub"
  /** Attributes as sent (e.g. `\HasNoChildren`, `\Sent`), original case. */
  readonly attributes: ReadonlyArray<string>
  readonly delimiter: string | undefined
  /** Decoded from modified UTF-7. Under UTF8=ACCEPT names are sent as UTF-8: use `rawMailbox` then. */
  readonly mailbox: string
  /** The name exactly as it was on the wire (modified UTF-7). */
  readonly rawMailbox: string
  /** RFC 5258 extended items: CHILDINFO subscription info, OLDNAME. */
  readonly childInfo: ReadonlyArray<string> | undefined
  readonly oldName: string | undefined
  /** Other extended items, raw. */
  readonly extended: ReadonlyArray<{ readonly name: string; readonly raw: string }>
}

export interface StatusItems {
  readonly messages?: number
  readonly recent?: number
  readonly uidNext?: number
  readonly uidValidity?: number
  readonly unseen?: number
  readonly deleted?: number
  readonly size?: number
  readonly highestModSeq?: bigint
  readonly appendLimit?: number
  readonly mailboxId?: string
  /** Items this parser does not know (e.g. RFC 9208 DELETED-STORAGE, `APPENDLIMIT NIL`), raw. */
  readonly other?: ReadonlyArray<{ readonly name: string; readonly raw: string }>
}
export interface StatusData {
  readonly _tag: "Status"
  readonly mailbox: string
  readonly rawMailbox: string
  readonly items: StatusItems
}

export interface SearchData {
  readonly _tag: "Search"
  readonly ids: ReadonlyArray<number>
  /** RFC 7162: `(MODSEQ n)` at the end of a SEARCH response. */
  readonly modSeq: bigint | undefined
}

/** RFC 4731 / 9051 ESEARCH. */
export interface ESearchData {
  readonly _tag: "ESearch"
  readonly tag: string | undefined
  readonly uid: boolean
  readonly min: number | undefined
  readonly max: number | undefined
  readonly count: number | undefined
  /** A UID set when the reply says UID (to UID SEARCH), else a set of sequence numbers. */
  readonly all: SequenceSet<"uid"> | SequenceSet<"seq"> | undefined
  readonly modSeq: bigint | undefined
  readonly other: ReadonlyArray<{ readonly name: string; readonly raw: string }>
}

export interface ExistsData {
  readonly _tag: "Exists"
  readonly count: number
}
export interface RecentData {
  readonly _tag: "Recent"
  readonly count: number
}
export interface ExpungeData {
  readonly _tag: "Expunge"
  readonly seq: number
}
/** RFC 7162 VANISHED [(EARLIER)] uid-set. */
export interface VanishedData {
  readonly _tag: "Vanished"
  readonly earlier: boolean
  /** Never holds `*` (RFC 7162 3.2.10). */
  readonly uids: SequenceSet<"uid">
}

export interface NamespaceEntry {
  readonly prefix: string
  readonly delimiter: string | undefined
}
export interface NamespaceData {
  readonly _tag: "Namespace"
  readonly personal: ReadonlyArray<NamespaceEntry>
  readonly otherUsers: ReadonlyArray<NamespaceEntry>
  readonly shared: ReadonlyArray<NamespaceEntry>
}

export interface IdData {
  readonly _tag: "Id"
  readonly params: ReadonlyMap<string, string | undefined> | undefined
}

export interface QuotaResource {
  readonly name: string
  readonly usage: number
  readonly limit: number
}
export interface QuotaData {
  readonly _tag: "Quota"
  readonly root: string
  readonly resources: ReadonlyArray<QuotaResource>
}
export interface QuotaRootData {
  readonly _tag: "QuotaRoot"
  /** Decoded from modified UTF-7, like `ListData.mailbox`. */
  readonly mailbox: string
  /** The name exactly as it was on the wire. */
  readonly rawMailbox: string
  readonly roots: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// FETCH

export interface Address {
  /** Display name, raw (may hold RFC 2047 encoded words; see `EncodedWord.decode`). */
  readonly name: string | undefined
  readonly adl: string | undefined
  readonly mailbox: string | undefined
  readonly host: string | undefined
}

export interface Envelope {
  readonly date: string | undefined
  /** Raw subject (may hold RFC 2047 encoded words). */
  readonly subject: string | undefined
  readonly from: ReadonlyArray<Address>
  readonly sender: ReadonlyArray<Address>
  readonly replyTo: ReadonlyArray<Address>
  readonly to: ReadonlyArray<Address>
  readonly cc: ReadonlyArray<Address>
  readonly bcc: ReadonlyArray<Address>
  readonly inReplyTo: string | undefined
  readonly messageId: string | undefined
}

export interface BodyFields {
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly id: string | undefined
  readonly description: string | undefined
  readonly encoding: string
  readonly size: number
}
export interface BodyExtension {
  readonly md5?: string | undefined
  readonly disposition?:
    | { readonly type: string; readonly params: ReadonlyArray<readonly [string, string]> }
    | undefined
  readonly language?: ReadonlyArray<string> | undefined
  readonly location?: string | undefined
  /** Further extension data, raw. */
  readonly extra?: string | undefined
}
export type BodyStructure =
  | ({
      readonly _tag: "BasicPart"
      readonly type: string
      readonly subtype: string
      readonly fields: BodyFields
    } & BodyExtension)
  | ({
      readonly _tag: "TextPart"
      readonly type: "text"
      readonly subtype: string
      readonly fields: BodyFields
      /** -1 is tolerated (Exchange); kept as sent. */
      readonly lines: number
    } & BodyExtension)
  | ({
      readonly _tag: "MessagePart"
      readonly type: "message"
      readonly subtype: string
      readonly fields: BodyFields
      readonly envelope: Envelope
      readonly body: BodyStructure
      readonly lines: number
    } & BodyExtension)
  | {
      readonly _tag: "Multipart"
      readonly parts: ReadonlyArray<BodyStructure>
      readonly subtype: string
      readonly params?: ReadonlyArray<readonly [string, string]> | undefined
      readonly disposition?:
        | { readonly type: string; readonly params: ReadonlyArray<readonly [string, string]> }
        | undefined
      readonly language?: ReadonlyArray<string> | undefined
      readonly location?: string | undefined
      readonly extra?: string | undefined
    }

/** `BODY[section]<origin>` / `BINARY[section]<origin>`; `section` is the text between the brackets. */
export interface BodySection {
  readonly section: string
  readonly origin: number | undefined
  /** undefined for NIL. A view into the frame: copy it if you keep it past the next read. */
  readonly data: Bytes | undefined
}

/** A FETCH item this parser does not know, e.g. `X-BLOB {3}` CRLF and three bytes. */
export interface FetchUnknownItem {
  /** The item name as sent, with any `[section]` and `<origin>`. */
  readonly name: string
  /** The value as sent (a list, string, literal or atom) as UTF-8 text: invalid bytes become U+FFFD. */
  readonly raw: string
  /** The same value as the exact bytes received, literal included: a view into the frame. */
  readonly bytes: Bytes
}

/** The attributes of one `* n FETCH (...)`; absent keys were not sent. */
export interface FetchAttributes {
  readonly uid?: Uid
  readonly flags?: ReadonlyArray<string>
  readonly internalDate?: string
  readonly size?: number
  readonly envelope?: Envelope
  readonly bodyStructure?: BodyStructure
  readonly body?: ReadonlyArray<BodySection>
  readonly binary?: ReadonlyArray<BodySection>
  readonly binarySize?: ReadonlyArray<{ readonly section: string; readonly size: number }>
  readonly modSeq?: bigint
  readonly emailId?: string
  readonly threadId?: string | undefined
  readonly preview?: string | undefined
  readonly gmailMessageId?: bigint
  readonly gmailThreadId?: bigint
  readonly gmailLabels?: ReadonlyArray<string>
  /** Items this parser does not know, raw, in arrival order. */
  readonly unknown?: ReadonlyArray<FetchUnknownItem>
}
export interface FetchData {
  readonly _tag: "Fetch"
  readonly seq: number
  readonly attributes: FetchAttributes
}

/** Anything the parser does not understand but could frame: kept whole, never dropped. */
export interface UnknownData {
  readonly _tag: "Unknown"
  readonly raw: Bytes
}

export type UntaggedData =
  | UntaggedStatus
  | CapabilityData
  | EnabledData
  | FlagsData
  | ListData
  | StatusData
  | SearchData
  | ESearchData
  | ExistsData
  | RecentData
  | ExpungeData
  | VanishedData
  | NamespaceData
  | IdData
  | QuotaData
  | QuotaRootData
  | FetchData
  | UnknownData

export type Response = Tagged | Continuation | UntaggedData
