/**
 * Server quirk profiles: what Courier, Cyrus, Dovecot, Gmail and Microsoft 365 do where servers
 * differ, each a plain `Behaviour.ServerBehaviour` a test hands to `TestServer.layer({ behaviour })`
 * and extends like any object:
 *
 * ```ts
 * import { Behaviour, Profile, TestServer } from "@pkg/testing"
 *
 * TestServer.layer({ behaviour: Profile.courier })
 * TestServer.layer({ behaviour: Behaviour.make({ notificationDelay: 0 }, Profile.dovecot) })
 * TestServer.layer({ behaviour: Behaviour.make({ refusals: [Profile.refusals.microsoftThrottled] }, Profile.microsoft365) })
 * ```
 *
 * Every value a profile changes from `Behaviour.defaults` names where it was seen (`sources`): a
 * line of the transcripts captured from the real servers (`packages/protocol/test/fixtures/*.txt`,
 * described in docs/servers.md; `test/Profile.test.ts` checks each cited line says what the profile
 * claims), or the public issue thread that reports a provider's reply.
 *
 * Capabilities are the real server's list as captured, less what the test server does not
 * implement (`advertised`): a client must not be promised SORT, THREAD, QUOTA or ACL that would then
 * answer BAD. STARTTLS is the server's to add (on a clear-text port with TLS), and LOGINDISABLED
 * (Cyrus, after login) and X-GM-EXT-1 (Gmail) are kept as the markers clients read them as.
 *
 * @module
 */
import * as Behaviour from "./Behaviour.ts"

type ServerBehaviour = Behaviour.ServerBehaviour

/** One changed value and where the behaviour was seen. */
type Sourced<K extends keyof ServerBehaviour> = { readonly value: ServerBehaviour[K]; readonly source: string }

/** What a profile changes from the defaults, each value with its source. */
export type ProfileSpec = { readonly [K in keyof ServerBehaviour]?: Sourced<K> }

/** The profile names. */
export type Name = "courier" | "cyrus" | "dovecot" | "gmail" | "microsoft365"

/**
 * Capabilities the test server implements (the defaults' lists), plus UTF8=ACCEPT (its command
 * parser takes UTF-8 once enabled) and the markers a client reads without a command behind them.
 */
export const implemented: ReadonlySet<string> = new Set(
  [
    ...Behaviour.defaults.capabilitiesBeforeLogin,
    ...Behaviour.defaults.capabilitiesAfterLogin,
    "UTF8=ACCEPT",
    "LOGINDISABLED",
    "X-GM-EXT-1"
  ].map((c) => c.toUpperCase())
)

/** A captured capability list, in its order, less what `implemented` lacks and less STARTTLS. */
export const advertised = (captured: string): ReadonlyArray<string> =>
  captured.split(" ").filter((c) => c !== "" && c !== "STARTTLS" && implemented.has(c.toUpperCase()))

const build = (spec: ProfileSpec): ServerBehaviour => {
  const overrides: Record<string, unknown> = {}
  for (const [key, sourced] of Object.entries(spec)) overrides[key] = (sourced as Sourced<keyof ServerBehaviour>).value
  return Behaviour.make(overrides as Partial<ServerBehaviour>)
}

// --- Courier-IMAP 5.0.13 ----------------------------------------------------------------------

/** Courier's list before login (courier.txt:13); after login the same less STARTTLS (courier.txt:22). */
export const courierCapabilities =
  "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS ENABLE UTF8=ACCEPT"

const courierSpec: ProfileSpec = {
  greeting: {
    value: "Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information.",
    source: "courier.txt:9 Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING"
  },
  // No AUTH= at all on the clear-text port: only the LOGIN command logs in there.
  capabilitiesBeforeLogin: { value: advertised(courierCapabilities), source: `courier.txt:13 ${courierCapabilities}` },
  capabilitiesAfterLogin: {
    value: advertised(courierCapabilities),
    source: "courier.txt:22 * CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT"
  },
  loginCapabilityCode: { value: false, source: "courier.txt:18 a002 OK LOGIN Ok." },
  dropPipelinedAfterLogin: {
    value: true,
    source: "courier.txt:139 no reply to the pipelined NOOP within 3 s"
  },
  emptyFetch: { value: "ok", source: "courier.txt:125 a022 OK FETCH completed." },
  // gamin forwards inotify events on a 1 s tick: 0.1 to 1.0 s after the APPEND; the worst case here.
  notificationDelay: { value: "1 second", source: "courier.txt:93 arrived 907.1 ms after conn 2 sent APPEND" },
  idleContinuation: { value: "entering ENHANCED idle mode", source: "courier.txt:77 + entering ENHANCED idle mode" },
  literalContinuation: { value: "OK", source: "courier.txt:48 S: + OK" },
  selectUidNext: {
    value: false,
    source:
      "courier.txt lines 37-44: SELECT INBOX answers FLAGS, PERMANENTFLAGS, EXISTS, RECENT, UIDVALIDITY, MYRIGHTS, no UIDNEXT"
  },
  announceOwnAppend: { value: false, source: "courier.txt:63 * 1 EXISTS" },
  delimiter: { value: ".", source: 'courier.txt:27 * LIST (\\HasNoChildren) "." "INBOX.Archive"' },
  logoutBye: {
    value: "Courier-IMAP server shutting down",
    source: "courier.txt:131 * BYE Courier-IMAP server shutting down"
  }
}

/** Courier-IMAP: drops commands pipelined behind LOGIN, no UIDNEXT, no LITERAL+, IDLE news up to 1 s late. */
export const courier: ServerBehaviour = build(courierSpec)

// --- Cyrus IMAP 3.6.1 -------------------------------------------------------------------------

/** Cyrus' greeting capabilities (cyrus.txt:9). */
export const cyrusGreetingCapabilities = "IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN AUTH=LOGIN SASL-IR"

/** Cyrus' capabilities in LOGIN's OK (cyrus.txt:18), LOGINDISABLED among them. */
export const cyrusLoginCapabilities =
  "IMAP4rev1 LITERAL+ ID ENABLE ACL ANNOTATE-EXPERIMENT-1 BINARY CATENATE CHILDREN CONDSTORE CREATE-SPECIAL-USE ESEARCH ESORT LIST-EXTENDED LIST-MYRIGHTS LIST-STATUS MAILBOX-REFERRALS METADATA MOVE MULTIAPPEND NAMESPACE OBJECTID PREVIEW QRESYNC QUOTA RIGHTS=kxten SAVEDATE SEARCH=FUZZY SORT SORT=DISPLAY SPECIAL-USE STATUS=SIZE THREAD=ORDEREDSUBJECT THREAD=REFERENCES UIDPLUS UNSELECT URLAUTH URLAUTH=BINARY WITHIN DIGEST=SHA1 LIST-METADATA NO_ATOMIC_RENAME SCAN SORT=MODSEQ SORT=UID THREAD=REFS X-CREATEDMODSEQ X-REPLICATION X-SIEVE-MAILBOX XLIST XMOVE LOGINDISABLED COMPRESS=DEFLATE X-QUOTA=STORAGE X-QUOTA=MESSAGE X-QUOTA=X-ANNOTATION-STORAGE X-QUOTA=X-NUM-FOLDERS IDLE APPENDLIMIT=4294967295"

const cyrusSpec: ProfileSpec = {
  greeting: {
    value: "localhost Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready",
    source: "cyrus.txt:9 localhost Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready"
  },
  capabilitiesBeforeLogin: {
    value: advertised(cyrusGreetingCapabilities),
    source: `cyrus.txt:9 ${cyrusGreetingCapabilities}`
  },
  // LOGINDISABLED after login: a client must only honour it before authenticating.
  capabilitiesAfterLogin: {
    value: advertised(cyrusLoginCapabilities),
    source: `cyrus.txt:18 ${cyrusLoginCapabilities}`
  },
  fetchItemOrder: { value: ["flags", "uid"], source: "cyrus.txt:73 * 1 FETCH (FLAGS (\\Recent \\Seen) UID 1 ENVELOPE" },
  emptyFetch: {
    value: { status: "NO", text: "No matching messages" },
    source: "cyrus.txt:134 a022 NO No matching messages"
  },
  // idled pushes EXISTS 0.1 to 3.5 ms after the other session's APPEND.
  notificationDelay: { value: "1 millis", source: "cyrus.txt:103 EXISTS 0.7 ms after APPEND OK" },
  literalContinuation: { value: "go ahead", source: "cyrus.txt:52 S: + go ahead" },
  delimiter: { value: ".", source: 'cyrus.txt:28 * LIST (\\HasNoChildren) "." INBOX.Archive' },
  logoutBye: { value: "LOGOUT received", source: "cyrus.txt:140 * BYE LOGOUT received" }
}

/** Cyrus: LOGINDISABLED after login, FETCH items FLAGS first, NO on an empty FETCH, `+ go ahead`. */
export const cyrus: ServerBehaviour = build(cyrusSpec)

// --- Dovecot 2.3.19 ---------------------------------------------------------------------------

/** Dovecot's capabilities before login (dovecot.txt:11). */
export const dovecotPreLoginCapabilities =
  "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN"

/** Dovecot's capabilities after login (dovecot.txt:21). */
export const dovecotCapabilities =
  "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY"

const dovecotSpec: ProfileSpec = {
  greeting: { value: "Dovecot (Debian) ready.", source: "dovecot.txt:7 Dovecot (Debian) ready." },
  capabilitiesBeforeLogin: {
    value: advertised(dovecotPreLoginCapabilities),
    source: `dovecot.txt:11 ${dovecotPreLoginCapabilities}`
  },
  capabilitiesAfterLogin: { value: advertised(dovecotCapabilities), source: `dovecot.txt:21 ${dovecotCapabilities}` },
  notificationDelay: {
    value: "500 millis",
    source: "docs/servers.md, Dovecot: holds every change notification for a fixed 500 ms (compiled in)"
  },
  idleKeepalive: {
    value: { every: "2 minutes", text: "Still here" },
    source: "docs/servers.md, Many sessions: Dovecot sends `* OK Still here` to every idling session every 2 minutes"
  },
  maxConnectionsPerUser: {
    value: {
      limit: 10,
      reply: {
        status: "NO",
        code: "UNAVAILABLE",
        text: "Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)"
      }
    },
    source:
      "docs/servers.md, Providers' refusals: mscdex/node-imap #606 (there with the setting at 16; 10 is Dovecot's default)"
  }
}

/** Dovecot: 500 ms before idling sessions hear of a change, `Still here` every 2 minutes, 10 connections a user. */
export const dovecot: ServerBehaviour = build(dovecotSpec)

// --- Gmail ------------------------------------------------------------------------------------

/** Gmail before login, as zone-eu/wildduck #943 records it. */
export const gmailPreLoginCapabilities =
  "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER"

/** Gmail after login, as emailjs/emailjs-imap-client #119 records it (no QRESYNC, LITERAL- not LITERAL+). */
export const gmailCapabilities =
  "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- APPENDLIMIT=35651584"

const gmailSpec: ProfileSpec = {
  greeting: {
    value: "Gimap ready for requests from 127.0.0.1",
    source:
      "Gmail's greeting names Gimap; clients key their IDLE restart on it (packages/client/src/Idle.ts, after imapflow and go-imap)"
  },
  greetingCapabilities: { value: false, source: "zone-eu/wildduck #943: Gmail's capabilities come from CAPABILITY" },
  capabilitiesBeforeLogin: { value: advertised(gmailPreLoginCapabilities), source: "zone-eu/wildduck #943" },
  capabilitiesAfterLogin: { value: advertised(gmailCapabilities), source: "emailjs/emailjs-imap-client #119" },
  loginCapabilityCode: {
    value: false,
    source: "modern-email/defects #18: Gmail sends `* CAPABILITY ...` before `OK LOGIN Completed.`, not a code in it"
  },
  literalContinuation: { value: "go ahead", source: "cypht-org/cypht #235: Gmail answers a literal with `+ go ahead`" },
  // Gmail's CHARSET rule: UTF-8 (or US-ASCII) named, non-ASCII found; non-ASCII without CHARSET is
  // `BAD Could not parse command`, which ServerBehaviour cannot say yet.
  searchCharsets: {
    value: ["US-ASCII", "UTF-8"],
    source: "pimalaya/himalaya #635: non-ASCII SEARCH fails without CHARSET and works with CHARSET UTF-8"
  },
  idleLimit: {
    value: { after: "10 minutes" },
    source: "issue #13; packages/client/src/Idle.ts re-issues IDLE after 9 minutes on Gimap (imapflow, go-imap)"
  },
  maxConnectionsPerUser: {
    value: {
      limit: 15,
      reply: { status: "NO", code: "ALERT", text: "Too many simultaneous connections. (Failure)" }
    },
    source: "docs/servers.md, Providers' refusals: zone-eu/wildduck #35; imapsync/imapsync #61"
  }
}

/** Gmail: X-GM-EXT-1, IDLE cut after 10 minutes, 15 connections an account, `+ go ahead`. */
export const gmail: ServerBehaviour = build(gmailSpec)

// --- Microsoft 365 ----------------------------------------------------------------------------

/** Exchange Online before login (jstedfast/MailKit #849, #908; Foundry376/Mailspring #2239). */
export const microsoftPreLoginCapabilities =
  "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+"

/** Exchange Online after login (jstedfast/MailKit #849, #908): MOVE appears. */
export const microsoftCapabilities =
  "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+"

const microsoftSpec: ProfileSpec = {
  greeting: {
    // The bracketed part is base64 of the serving host's name in UTF-16LE; here "TEST".
    value: "The Microsoft Exchange IMAP4 service is ready. [VABFAFMAVAA=]",
    source: "jstedfast/MailKit #849, #908: `* OK The Microsoft Exchange IMAP4 service is ready. [...]`"
  },
  greetingCapabilities: { value: false, source: "jstedfast/MailKit #849, #908: no capability code in the greeting" },
  capabilitiesBeforeLogin: { value: advertised(microsoftPreLoginCapabilities), source: "jstedfast/MailKit #849, #908" },
  capabilitiesAfterLogin: { value: advertised(microsoftCapabilities), source: "jstedfast/MailKit #849, #908" },
  loginCapabilityCode: {
    value: false,
    source: "jstedfast/MailKit #849, #908: the client asks CAPABILITY again after logging in"
  },
  oauthFailure: { value: "microsoft", source: "jstedfast/MailKit #849: `NO AUTHENTICATE failed.`" },
  searchCharsets: {
    value: ["US-ASCII"],
    source: "jstedfast/MailKit #808, mscdex/node-imap #664, eclipse-ee4j/angus-mail #145: `NO [BADCHARSET (US-ASCII)]`"
  }
}

/**
 * Microsoft 365 (Exchange Online): US-ASCII searches only, `NO AUTHENTICATE failed.` for a refused
 * token. Its throttling and "Server Unavailable" are `refusals` to add (they come and go).
 */
export const microsoft365: ServerBehaviour = build(microsoftSpec)

// --- Refusals to add --------------------------------------------------------------------------

/**
 * Providers' refusals that mean "later": add them to a profile's `refusals` (with `skip` and
 * `times` to say when they fire) rather than carrying them always.
 */
export const refusals = {
  /** Microsoft 365 throttling (docs/servers.md: imapsync/imapsync #198, #212, #272; ikvk/imap_tools #135). */
  microsoftThrottled: {
    on: "*",
    status: "NO",
    text: "Request is throttled. Suggested Backoff Time: 299609 milliseconds"
  },
  /** The same as BAD, the connection dropped after it (docs/servers.md, same threads). */
  microsoftThrottledClosing: {
    on: "*",
    status: "BAD",
    text: "Request is throttled. Suggested Backoff Time: 299609 milliseconds",
    close: true
  },
  /** Exchange's mailbox server unreachable behind the front end (OfflineIMAP/offlineimap #291, on SELECT). */
  microsoftUnavailable: { on: "Select", status: "NO", text: "Server Unavailable. 15" },
  /** Exchange closing at once (jstedfast/MailKit #209: `* BYE Connection is closed. 13` to CAPABILITY). */
  microsoftClosed: { on: "Capability", status: "BYE", text: "Connection is closed. 13" },
  /** Gmail's bandwidth limit on FETCH (docs/servers.md: ljmerza/ha-email-sensor #16). */
  gmailOverquota: {
    on: "Fetch",
    status: "NO",
    code: "OVERQUOTA",
    text: "Account exceeded command or bandwidth limits."
  },
  /** The same for UID FETCH. */
  gmailOverquotaUid: {
    on: "UidFetch",
    status: "NO",
    code: "OVERQUOTA",
    text: "Account exceeded command or bandwidth limits."
  }
} as const satisfies Record<string, Behaviour.Refusal>

/** Every profile by name. */
export const all: Readonly<Record<Name, ServerBehaviour>> = { courier, cyrus, dovecot, gmail, microsoft365 }

/** Where each value a profile changes from the defaults was seen, by profile and field. */
export const sources: Readonly<Record<Name, Readonly<Partial<Record<keyof ServerBehaviour, string>>>>> = {
  courier: sourcesOf(courierSpec),
  cyrus: sourcesOf(cyrusSpec),
  dovecot: sourcesOf(dovecotSpec),
  gmail: sourcesOf(gmailSpec),
  microsoft365: sourcesOf(microsoftSpec)
}

function sourcesOf(spec: ProfileSpec): Partial<Record<keyof ServerBehaviour, string>> {
  const out: Partial<Record<keyof ServerBehaviour, string>> = {}
  for (const [key, sourced] of Object.entries(spec))
    out[key as keyof ServerBehaviour] = (sourced as Sourced<keyof ServerBehaviour>).source
  return out
}
