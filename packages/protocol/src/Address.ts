/**
 * Display-ready mail addresses from ENVELOPE address structures (RFC 3501 section 7.4.2,
 * RFC 9051 section 7.5.2): the name decoded from RFC 2047, mailbox and host joined, and
 * `Name <a@b>` formatting for showing an address to a user.
 *
 * Groups: RFC 3501 marks an RFC 5322 group (`Team: a@x, b@y;`) inside an address list with a
 * start marker (host NIL, mailbox = group name) and an end marker (host NIL, mailbox NIL).
 * `fromEnvelopeList` flattens them: members are kept in order as ordinary addresses and the
 * markers are dropped, which is what a reader showing "To:" needs, and how an empty group such as
 * `undisclosed-recipients:;` disappears. `groups` keeps the structure for callers that want it.
 */
import * as EncodedWord from "./EncodedWord.ts"
import type { Address } from "./Response.ts"

/**
 * The wire-level ENVELOPE address (`Response.ts`), under a second name: in the package barrel this
 * module's namespace is called `Address` and shadows that interface, so `Address.EnvelopeAddress`
 * is how barrel users reach it.
 */
export type EnvelopeAddress = Address

/**
 * One mailbox of an ENVELOPE address list, as a reader sees it: display name decoded,
 * `mailbox@host` joined.
 */
export interface MailAddress {
  /** Display name, RFC 2047 words decoded; undefined when the server sent NIL. */
  readonly name: string | undefined
  /** `mailbox@host`; undefined for a group marker or when the server had no mailbox. */
  readonly address: string | undefined
}

/**
 * An RFC 5322 group (`name: a, b;`) and its members; addresses outside any group form a group
 * without a name.
 */
export interface MailGroup {
  /** The group's display name; undefined for addresses outside any group. */
  readonly name: string | undefined
  readonly members: ReadonlyArray<MailAddress>
}

/** `(NIL NIL "name" NIL)`: the addresses that follow belong to group `name`. */
export const isGroupStart = (a: Address): boolean => a.host === undefined && a.mailbox !== undefined

/** `(NIL NIL NIL NIL)`: closes the group opened by the last start marker. */
export const isGroupEnd = (a: Address): boolean => a.host === undefined && a.mailbox === undefined

/**
 * UW-IMAP, and Dovecot after it, put this host on an address whose header had no domain (a bare
 * `root` in To:), so the marker must not be shown as part of the address.
 */
const MISSING_HOST = ".MISSING-HOST-NAME."

/**
 * One envelope address as the user sees it. A group start marker maps to the group's name with
 * no address and an end marker to two undefineds; use `fromEnvelopeList` to skip them.
 */
export const fromEnvelope = (a: Address): MailAddress => {
  if (isGroupStart(a)) return { name: EncodedWord.decode(a.mailbox), address: undefined }
  const address =
    a.mailbox === undefined ? undefined : a.host === MISSING_HOST ? a.mailbox : `${a.mailbox}@${a.host ?? ""}`
  return { name: EncodedWord.decode(a.name), address }
}

/** The addresses of an envelope field, groups flattened (members kept, markers dropped). */
export const fromEnvelopeList = (list: ReadonlyArray<Address>): Array<MailAddress> => {
  const out: Array<MailAddress> = []
  for (const a of list) {
    if (a.host !== undefined) out.push(fromEnvelope(a))
  }
  return out
}

/**
 * The addresses of an envelope field with their groups. Addresses outside a group come as runs
 * in a group with an undefined name; a start marker without its end (a truncated list) still
 * yields the group with the members seen so far.
 */
export const groups = (list: ReadonlyArray<Address>): Array<MailGroup> => {
  const out: Array<MailGroup> = []
  let name: string | undefined
  let members: Array<MailAddress> = []
  let inGroup = false
  const close = () => {
    if (inGroup || members.length > 0) out.push({ name, members })
    name = undefined
    members = []
    inGroup = false
  }
  for (const a of list) {
    if (isGroupStart(a)) {
      close()
      name = EncodedWord.decode(a.mailbox)
      inGroup = true
    } else if (isGroupEnd(a)) {
      // A stray end marker outside a group closes nothing: keep ungrouped members together.
      if (inGroup) close()
    } else {
      members.push(fromEnvelope(a))
    }
  }
  close()
  return out
}

/** RFC 5322 atext plus the space between words of a phrase: what a name may hold unquoted. */
const PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]+)*$/

/**
 * A name as an RFC 5322 display name: as is when it is a plain phrase, else a quoted string
 * (`"Lopez, Yolanda"`) with `"` and `\` escaped.
 */
const formatName = (name: string): string => (PHRASE.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`)

/**
 * `Name <a@b>` for display; `a@b` without a name, the name alone without an address (a group
 * marker), and an empty string for an empty address. Non-ASCII is kept as Unicode (RFC 6532
 * style): this is for showing to a user or UTF-8 headers, not for a 7-bit MIME header.
 */
export const format = (a: MailAddress): string => {
  const name = a.name === undefined || a.name.trim() === "" ? undefined : formatName(a.name)
  if (a.address === undefined) return name ?? ""
  return name === undefined ? a.address : `${name} <${a.address}>`
}
