/**
 * ENVELOPE and address structures (RFC 3501 / RFC 9051 7.5.2): the hottest part of a header-only
 * FETCH. Every field is an nstring, so a server may send any of them as NIL, a quoted string or a
 * literal (Dovecot sends subjects of 75+ characters as literals, see dovecot.txt).
 */
import type { Address, Envelope } from "../Response.ts"
import { RPAREN, type Reader, SP } from "./Reader.ts"

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
 * Lists of one or two addresses (most From, Sender, Reply-To and To) are built at their exact size:
 * an array grown by `push` reserves 17 slots, which was a third of the bytes a header FETCH
 * allocated.
 */
export const addressList = (r: Reader): ReadonlyArray<Address> => {
  if (r.tryNil()) return NO_ADDRESSES
  r.openList()
  r.spaces()
  if (r.peek() === RPAREN) {
    r.closeList()
    return NO_ADDRESSES
  }
  const first = address(r)
  r.spaces()
  if (r.peek() === RPAREN) {
    r.closeList()
    return [first]
  }
  const second = address(r)
  r.spaces()
  if (r.peek() === RPAREN) {
    r.closeList()
    return [first, second]
  }
  const out: Array<Address> = [first, second]
  do {
    out.push(address(r))
    r.spaces()
  } while (r.peek() !== RPAREN)
  r.closeList()
  return out
}

/**
 * The next address list, or `previous` itself when the server sent the same bytes again: RFC 3501
 * has servers fill Sender and Reply-To from From, so most envelopes repeat one list three times.
 * Comparing ~60 bytes costs less than parsing them, and the envelope then holds one array, not
 * three equal ones (the lists are read-only, so sharing is invisible to a well-typed caller).
 */
const repeatedList = (
  r: Reader,
  previous: ReadonlyArray<Address>,
  start: number,
  end: number
): ReadonlyArray<Address> => {
  const n = end - start
  const at = r.pos
  const buf = r.buf
  if (n > 3 && at + n <= r.end && buf[at + n] === SP) {
    let i = 0
    while (i < n && buf[at + i] === buf[start + i]) i++
    if (i === n) {
      r.pos = at + n
      return previous
    }
  }
  return addressList(r)
}

/** envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")" */
export const envelope = (r: Reader): Envelope => {
  r.openList()
  const date = r.nstring()
  r.separator()
  const subject = r.nstring()
  r.separator()
  const fromStart = r.pos
  const from = addressList(r)
  const fromEnd = r.pos
  r.separator()
  const sender = repeatedList(r, from, fromStart, fromEnd)
  r.separator()
  const replyTo = repeatedList(r, from, fromStart, fromEnd)
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
