/**
 * The client against the exact bytes Cyrus 3.6, Courier 5.0 and Dovecot 2.3 sent in the captured
 * transcripts (packages/protocol/test/fixtures, described in docs/servers.md), each quirk a client must tolerate replayed by a
 * scripted peer: capability codes in LOGIN's OK (with Cyrus' post-login LOGINDISABLED), SELECT data
 * in a server's own order, `[CLOSED]`, no UIDNEXT, `+ OK` continuations, and Courier dropping
 * whatever is pipelined behind LOGIN.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Command, SequenceSet } from "@pkg/protocol"
import { Deferred, Effect, Exit, Fiber, Redacted, Stream } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

const loginMechanism: ImapConfig.Authentication = {
  _tag: "Password",
  user: "u",
  password: Redacted.make("p"),
  mechanism: "LOGIN"
}

const cyrusGreeting =
  "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN AUTH=LOGIN SASL-IR] localhost Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready"
const cyrusPostLogin =
  "IMAP4rev1 LITERAL+ ID ENABLE ACL ANNOTATE-EXPERIMENT-1 BINARY CATENATE CHILDREN CONDSTORE CREATE-SPECIAL-USE ESEARCH ESORT LIST-EXTENDED LIST-MYRIGHTS LIST-STATUS MAILBOX-REFERRALS METADATA MOVE MULTIAPPEND NAMESPACE OBJECTID PREVIEW QRESYNC QUOTA RIGHTS=kxten SAVEDATE SEARCH=FUZZY SORT SORT=DISPLAY SPECIAL-USE STATUS=SIZE THREAD=ORDEREDSUBJECT THREAD=REFERENCES UIDPLUS UNSELECT URLAUTH URLAUTH=BINARY WITHIN DIGEST=SHA1 LIST-METADATA NO_ATOMIC_RENAME SCAN SORT=MODSEQ SORT=UID THREAD=REFS X-CREATEDMODSEQ X-REPLICATION X-SIEVE-MAILBOX XLIST XMOVE LOGINDISABLED COMPRESS=DEFLATE X-QUOTA=STORAGE X-QUOTA=MESSAGE X-QUOTA=X-ANNOTATION-STORAGE X-QUOTA=X-NUM-FOLDERS IDLE APPENDLIMIT=4294967295"
const cyrusEnvelope =
  '("Wed, 25 Nov 2026 23:55:26 +0000" "=?UTF-8?Q?interop_smoke_=E2=9C=93?= cyrus append #1" (("Interop Sender" NIL "sender" "example.test")) (("Interop Sender" NIL "sender" "example.test")) (("Interop Sender" NIL "sender" "example.test")) (("Interop" NIL "interop" "example.test")) NIL NIL NIL "<smoke-1795650926132-1@example.test>")'

const courierGreeting =
  "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS ENABLE UTF8=ACCEPT] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information."
const courierPostLogin =
  "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION ENABLE UTF8=ACCEPT"

const dovecotGreeting =
  "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready."
const dovecotPostLogin =
  "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY"

const message =
  "Date: Wed, 25 Nov 2026 23:55:26 +0000\r\nFrom: Interop Sender <sender@example.test>\r\nSubject: hello\r\n\r\nHello.\r\n"

const uid = (n: number) => SequenceSet.single("uid", SequenceSet.Uid(n))

describe("Cyrus 3.6 transcript", () => {
  it.live("takes post-login capabilities from LOGIN's OK code, ignores LOGINDISABLED once authenticated", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(cyrusGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(
          `${login} OK [CAPABILITY ${cyrusPostLogin}] User logged in SESSIONID=<interop-cyrus-1795650926-20224-1-4132106261039773182>`
        )
        // No CAPABILITY round trip: the OK carried the list. The next command is ours.
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK Completed`)
        // Cyrus offers SPECIAL-USE (and LIST-EXTENDED): the client may ask for the attributes.
        const list = await conn.expect(/^LIST "" "?\*"?( RETURN \(SPECIAL-USE\))?$/)
        await conn.send(
          '* LIST (\\HasChildren) "." INBOX',
          '* LIST (\\HasNoChildren) "." INBOX.Archive',
          `${list} OK Completed (0.000 secs 2 calls)`
        )
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
          const caps = yield* client.capabilities
          assert.isTrue(caps.has("MOVE"))
          assert.isTrue(caps.has("LOGINDISABLED"))
          assert.isFalse(caps.has("STARTTLS"))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
          yield* client.noop()
          const boxes = yield* client.list()
          assert.deepStrictEqual(
            boxes.map((b) => [b.name, b.delimiter]),
            [
              ["INBOX", "."],
              ["INBOX.Archive", "."]
            ]
          )
          assert.deepStrictEqual(peer.received.slice(0, 2), ["A1 LOGIN u p", "A2 NOOP"])
        })
      )
    })
  )

  it.live("builds the SELECT snapshot from EXISTS before FLAGS and Cyrus' extra OK codes", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(cyrusGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK [CAPABILITY ${cyrusPostLogin}] User logged in SESSIONID=<x>`)
        const select = await conn.expect(/^SELECT INBOX( \(CONDSTORE\))?$/)
        await conn.send(
          "* 0 EXISTS",
          "* 0 RECENT",
          "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)",
          "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)] Ok",
          "* OK [UIDVALIDITY 1795650923] Ok",
          "* OK [UIDNEXT 1] Ok",
          "* OK [HIGHESTMODSEQ 1] Ok",
          "* OK [MAILBOXID (jc0ek3pvrlan3dyw69nl4fkq)] Ok",
          "* OK [URLMECH INTERNAL] Ok",
          "* OK [ANNOTATIONS 65536] Ok",
          `${select} OK [READ-WRITE] Completed`
        )
        // LITERAL+: the message goes in the same write, no continuation.
        const [append, rest] = await conn.command()
        const size = /^APPEND INBOX \(\\Seen\) \{(\d+)\+\}$/.exec(rest)
        if (size === null) throw new Error(`unexpected APPEND: ${rest}`)
        const body = await conn.bytes(Number(size[1]) + 2)
        if (body.toString("utf8") !== `${message}\r\n`) throw new Error("APPEND body differs")
        await conn.send("* 1 EXISTS", "* 1 RECENT", `${append} OK [APPENDUID 1795650923 1] Completed`)
        const fetch = await conn.expect("UID FETCH 1 (UID FLAGS ENVELOPE)")
        await conn.send(
          `* 1 FETCH (FLAGS (\\Recent \\Seen) UID 1 ENVELOPE ${cyrusEnvelope})`,
          `${fetch} OK Completed (0.000 sec)`
        )
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
          const box = yield* client.select("INBOX")
          assert.deepStrictEqual(box, {
            name: "INBOX",
            readOnly: false,
            exists: 0,
            recent: 0,
            uidValidity: 1795650923,
            uidNext: 1,
            flags: ["\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "\\Seen"],
            permanentFlags: ["\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "\\Seen", "\\*"],
            highestModSeq: 1n,
            unseen: undefined
          })
          const appended = yield* client.append("INBOX", message, { flags: ["\\Seen"] })
          assert.strictEqual(appended.uidValidity, 1795650923)
          assert.strictEqual(Number(appended.uid), 1)
          const state = yield* client.currentState
          assert.strictEqual(state._tag === "Selected" ? state.mailbox.exists : -1, 1)
          const fetched = yield* client
            .fetch(uid(1), [Command.Attr.uid, Command.Attr.flags, Command.Attr.envelope])
            .pipe(Stream.runCollect)
          assert.strictEqual(fetched.length, 1)
          const attrs = fetched[0]!.attributes
          assert.strictEqual(Number(attrs.uid), 1)
          assert.deepStrictEqual(attrs.flags, ["\\Recent", "\\Seen"])
          assert.strictEqual(attrs.envelope?.subject, "=?UTF-8?Q?interop_smoke_=E2=9C=93?= cyrus append #1")
          assert.strictEqual(attrs.envelope?.messageId, "<smoke-1795650926132-1@example.test>")
        })
      )
    })
  )

  it.live("switches mailbox through `* OK [CLOSED]` and reports the new one read-only", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(cyrusGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK [CAPABILITY ${cyrusPostLogin}] User logged in`)
        const select = await conn.expect(/^SELECT INBOX/)
        await conn.send(
          "* 3 EXISTS",
          "* 0 RECENT",
          "* FLAGS (\\Seen)",
          "* OK [UIDVALIDITY 1795650923] Ok",
          "* OK [UIDNEXT 4] Ok",
          `${select} OK [READ-WRITE] Completed`
        )
        const examine = await conn.expect(/^EXAMINE INBOX\.Archive/)
        await conn.send(
          "* OK [CLOSED] Ok",
          "* 0 EXISTS",
          "* 0 RECENT",
          "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)",
          "* OK [PERMANENTFLAGS ()] Ok",
          "* OK [UIDVALIDITY 1795650924] Ok",
          "* OK [UIDNEXT 1] Ok",
          "* OK [HIGHESTMODSEQ 1] Ok",
          "* OK [MAILBOXID (ie6mhjkd590qdvqkx7622vqw)] Ok",
          "* OK [URLMECH INTERNAL] Ok",
          "* OK [ANNOTATIONS 65536] Ok",
          `${examine} OK [READ-ONLY] Completed`
        )
        // FETCH 1:* on an empty mailbox is NO at Cyrus: a command failure, not a broken session.
        const fetch = await conn.expect("UID FETCH 1:* (UID FLAGS)")
        await conn.send(`${fetch} NO No matching messages (0.000 sec)`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK Completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
          const inbox = yield* client.select("INBOX")
          assert.strictEqual(inbox.exists, 3)
          const archive = yield* client.examine("INBOX.Archive")
          assert.strictEqual(archive.name, "INBOX.Archive")
          assert.isTrue(archive.readOnly)
          assert.strictEqual(archive.exists, 0)
          assert.strictEqual(archive.uidValidity, 1795650924)
          assert.deepStrictEqual(archive.permanentFlags, [])
          const state = yield* client.currentState
          assert.strictEqual(state._tag === "Selected" ? state.mailbox.name : "", "INBOX.Archive")
          const error = yield* client
            .fetch(SequenceSet.all("uid"), [Command.Attr.uid, Command.Attr.flags])
            .pipe(Stream.runCollect, Effect.flip)
          assert.strictEqual(error.reason._tag, "CommandFailed")
          yield* client.noop()
        })
      )
    })
  )
})

describe("Courier 5.0 transcript", () => {
  it.live("never pipelines a command behind LOGIN (Courier drops it), then asks CAPABILITY", () =>
    Effect.gen(function* () {
      const loginSeen = yield* Deferred.make<void>()
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(courierGreeting)
        const login = await conn.expect("LOGIN u p")
        Deferred.doneUnsafe(loginSeen, Exit.void)
        // The test queues a NOOP now; nothing may reach the server until LOGIN is answered.
        await conn.expectSilence(250)
        await conn.send(`${login} OK LOGIN Ok.`)
        // The NOOP and the post-login CAPABILITY may now go together, in either order.
        for (let i = 0; i < 2; i++) {
          const [tag, rest] = await conn.command()
          if (rest === "NOOP") await conn.send(`${tag} OK NOOP completed`)
          else if (rest === "CAPABILITY")
            await conn.send(`* CAPABILITY ${courierPostLogin}`, `${tag} OK CAPABILITY completed`)
          else throw new Error(`unexpected ${rest}`)
        }
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: undefined }))
          const login = yield* Effect.forkChild(client.login(ImapConfig.password("u", "p")))
          yield* Deferred.await(loginSeen)
          yield* client.noop()
          yield* Fiber.join(login)
          const caps = yield* client.capabilities
          assert.isTrue(caps.has("UTF8=ACCEPT"))
          assert.isFalse(caps.has("STARTTLS"))
          assert.strictEqual((yield* client.currentState)._tag, "Authenticated")
        })
      )
    })
  )

  it.live(
    "with UTF8=ACCEPT enabled, mailbox names are UTF-8 both ways: LIST names as sent (`&` too), STATUS in UTF-8",
    () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await conn.send(courierGreeting)
          const login = await conn.expect("LOGIN u p")
          await conn.send(`${login} OK LOGIN Ok.`)
          const caps = await conn.expect("CAPABILITY")
          await conn.send(`* CAPABILITY ${courierPostLogin}`, `${caps} OK CAPABILITY completed`)
          const enable = await conn.expect("ENABLE UTF8=ACCEPT")
          await conn.send("* ENABLED UTF8=ACCEPT", `${enable} OK ENABLE completed`)
          const list = await conn.expect(/^LIST "" \*$/)
          await conn.send(
            '* LIST (\\HasNoChildren) "." "INBOX.Bücher"',
            '* LIST (\\HasNoChildren) "." "INBOX.Notes&AGE-"',
            `${list} OK LIST completed`
          )
          const status = await conn.expect(/^STATUS "INBOX\.Bücher" \(MESSAGES\)$/)
          await conn.send('* STATUS "INBOX.Bücher" (MESSAGES 3)', `${status} OK STATUS completed`)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { enable: ["UTF8=ACCEPT"] }))
            assert.isTrue((yield* client.enabled).has("UTF8=ACCEPT"))
            const boxes = yield* client.list("*")
            assert.deepStrictEqual(
              boxes.map((b) => b.name),
              ["INBOX.Bücher", "INBOX.Notes&AGE-"]
            )
            assert.deepStrictEqual(yield* client.status("INBOX.Bücher", ["MESSAGES"]), { messages: 3 })
          })
        )
      })
  )

  it.live("selects without UIDNEXT (uidNext undefined) and appends after a `+ OK` continuation", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(courierGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK LOGIN Ok.`)
        const caps = await conn.expect("CAPABILITY")
        await conn.send(`* CAPABILITY ${courierPostLogin}`, `${caps} OK CAPABILITY completed`)
        const select = await conn.expect("SELECT INBOX")
        await conn.send(
          "* FLAGS (\\Draft \\Answered \\Flagged \\Deleted \\Seen \\Recent)",
          "* OK [PERMANENTFLAGS (\\* \\Draft \\Answered \\Flagged \\Deleted \\Seen)] Limited",
          "* 0 EXISTS",
          "* 0 RECENT",
          "* OK [UIDVALIDITY 795650928] Ok",
          '* OK [MYRIGHTS "acdilrsw"] ACL',
          `${select} OK [READ-WRITE] Ok`
        )
        // No LITERAL+: a synchronising literal; the message must wait for the continuation.
        const [append, rest] = await conn.command()
        const size = /^APPEND INBOX \(\\Seen\) \{(\d+)\}$/.exec(rest)
        if (size === null) throw new Error(`unexpected APPEND: ${rest}`)
        await conn.expectSilence(100)
        await conn.send("+ OK")
        const body = await conn.bytes(Number(size[1]) + 2)
        if (body.toString("utf8") !== `${message}\r\n`) throw new Error("APPEND body differs")
        await conn.send(`${append} OK [APPENDUID 795650928 1] APPEND Ok.`)
        // Courier announces its own APPEND to the selected mailbox only on the next NOOP.
        const noop = await conn.expect("NOOP")
        await conn.send("* 1 EXISTS", "* 0 RECENT", `${noop} OK NOOP completed`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          const box = yield* client.select("INBOX")
          assert.isUndefined(box.uidNext)
          assert.strictEqual(box.uidValidity, 795650928)
          assert.deepStrictEqual(box.permanentFlags, [
            "\\*",
            "\\Draft",
            "\\Answered",
            "\\Flagged",
            "\\Deleted",
            "\\Seen"
          ])
          const appended = yield* client.append("INBOX", message, { flags: ["\\Seen"] })
          assert.strictEqual(Number(appended.uid), 1)
          yield* client.noop()
          const state = yield* client.currentState
          assert.strictEqual(state._tag === "Selected" ? state.mailbox.exists : -1, 1)
        })
      )
    })
  )
})

describe("Dovecot 2.3 transcript", () => {
  it.live(
    "takes post-login capabilities from an untagged CAPABILITY before a plain `OK Logged in`, without asking again",
    () =>
      Effect.gen(function* () {
        const peer = yield* Peer.scoped(async (conn) => {
          await conn.send(dovecotGreeting)
          const login = await conn.expect("LOGIN u p")
          await conn.send(`* CAPABILITY ${dovecotPostLogin}`, `${login} OK Logged in`)
          // The untagged list is the post-login one: the next command is the caller's NOOP.
          const noop = await conn.expect("NOOP")
          await conn.send(`${noop} OK NOOP completed (0.001 + 0.000 secs).`)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
            const caps = yield* client.capabilities
            assert.isTrue(caps.has("NOTIFY"))
            assert.isTrue(caps.has("MOVE"))
            yield* client.noop()
          })
        )
      })
  )

  it.live("accepts post-login capabilities as `OK [CAPABILITY ...] Logged in` without asking again", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(dovecotGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK [CAPABILITY ${dovecotPostLogin}] Logged in`)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed (0.001 + 0.000 secs).`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
          assert.isTrue((yield* client.capabilities).has("QRESYNC"))
          yield* client.noop()
          assert.deepStrictEqual(peer.received.slice(0, 2), ["A1 LOGIN u p", "A2 NOOP"])
        })
      )
    })
  )

  it.live("reads EXAMINE's UNSEEN, UIDNEXT and HIGHESTMODSEQ codes and ENVELOPE subjects sent as literals", () =>
    Effect.gen(function* () {
      const subject = "Sync contract postmortem project incident report project schedule feedback outage [#43203]"
      const peer = yield* Peer.scoped(async (conn) => {
        await conn.send(dovecotGreeting)
        const login = await conn.expect("LOGIN u p")
        await conn.send(`${login} OK [CAPABILITY ${dovecotPostLogin}] Logged in`)
        const examine = await conn.expect(/^EXAMINE INBOX/)
        await conn.send(
          "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
          "* OK [PERMANENTFLAGS ()] Read-only mailbox.",
          "* 69 EXISTS",
          "* 1 RECENT",
          "* OK [UNSEEN 1] First unseen.",
          "* OK [UIDVALIDITY 1795650694] UIDs valid",
          "* OK [UIDNEXT 485] Predicted next UID",
          "* OK [HIGHESTMODSEQ 495] Highest",
          `${examine} OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).`
        )
        const fetch = await conn.expect("UID FETCH 417 (UID FLAGS ENVELOPE)")
        await conn.sendRaw(
          `* 2 FETCH (UID 417 FLAGS () ENVELOPE ("Sun, 23 Apr 2056 17:21:25 +0100" {${subject.length}}\r\n${subject} (("Trent Johnson" NIL "trent.johnson" "example.com")) (("Trent Johnson" NIL "trent.johnson" "example.com")) (("Trent Johnson" NIL "trent.johnson" "example.com")) ((NIL NIL "dave.smith" "xn--bcher-kva.example")) NIL NIL NIL "<lfm1@example.com>"))\r\n${fetch} OK Fetch completed (0.002 + 0.000 + 0.001 secs).\r\n`
        )
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: loginMechanism }))
          const box = yield* client.examine("INBOX")
          assert.strictEqual(box.exists, 69)
          assert.strictEqual(box.recent, 1)
          assert.strictEqual(box.unseen, 1)
          assert.strictEqual(box.uidNext, 485)
          assert.strictEqual(box.highestModSeq, 495n)
          assert.isTrue(box.readOnly)
          const [m] = yield* client
            .fetch(uid(417), [Command.Attr.uid, Command.Attr.flags, Command.Attr.envelope])
            .pipe(Stream.runCollect)
          assert.strictEqual(m?.seq, 2)
          assert.strictEqual(m?.attributes.envelope?.subject, subject)
          assert.strictEqual(m?.attributes.envelope?.from[0]?.name, "Trent Johnson")
        })
      )
    })
  )
})
