/**
 * ENVELOPE and address structures (RFC 3501 / RFC 9051 7.5.2): the hottest part of a header-only
 * FETCH. Every field is an nstring, so a server may send any of them as NIL, a quoted string or a
 * literal (Dovecot sends subjects of 75+ characters as literals, see dovecot.txt).
 */
import type { Address, Envelope } from "../Response.ts"
import { RPAREN, type Reader } from "./Reader.ts"

/** The value of a NIL (or empty) address list: shared, since it is read-only and very common. */
const NO_ADDRESSES: ReadonlyArray<Address> = Object.freeze([])

/** address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" */
const address = (r: Reader): Address => {
  r.openList()
  // Senders, recipients and hosts repeat across a mailbox: decoded through the string cache.
  const name = r.nstringCached()
  r.separator()
  const adl = r.nstringCached()
  r.separator()
  const mailbox = r.nstringCached()
  r.separator()
  const host = r.nstringCached()
  r.closeList()
  return { name, adl, mailbox, host }
}

/**
 * env-from etc. = "(" 1*address ")" / nil. Tolerated, because the parentheses keep them
 * unambiguous: `()` read as NIL (Mail.ru's Dovecot sends it for a message without To:), and SP
 * between addresses (the grammar has none; Outlook.com and GreenMail send one).
 */
export const addressList = (r: Reader): ReadonlyArray<Address> => {
  if (r.tryNil()) return NO_ADDRESSES
  r.openList()
  r.spaces()
  if (r.peek() === RPAREN) {
    r.closeList()
    return NO_ADDRESSES
  }
  const out: Array<Address> = []
  do {
    out.push(address(r))
    r.spaces()
  } while (r.peek() !== RPAREN)
  r.closeList()
  return out
}

/** envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")" */
export const envelope = (r: Reader): Envelope => {
  r.openList()
  const date = r.nstring()
  r.separator()
  const subject = r.nstring()
  r.separator()
  const from = addressList(r)
  r.separator()
  const sender = addressList(r)
  r.separator()
  const replyTo = addressList(r)
  r.separator()
  const to = addressList(r)
  r.separator()
  const cc = addressList(r)
  r.separator()
  const bcc = addressList(r)
  r.separator()
  const inReplyTo = r.nstring()
  r.separator()
  const messageId = r.nstring()
  r.closeList()
  return { date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId }
}
