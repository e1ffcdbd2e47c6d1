/**
 * ResponseParser: one test per response kind with exact expectations, then the real-server quirks
 * (each naming its server), then what must be a ParseError and what must be `Unknown`.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath, pathToFileURL } from "node:url"
import { describe, expect, it } from "vitest"
import { ParseError } from "../src/ParseError.ts"
import type { FetchData, Response } from "../src/Response.ts"
import { parse } from "../src/ResponseParser.ts"
import * as SequenceSet from "../src/SequenceSet.ts"

const enc = new TextEncoder()
const dec = new TextDecoder()
const p = (s: string): Response => parse(enc.encode(s))
const fetch = (s: string): FetchData => {
  const r = p(s)
  if (r._tag !== "Fetch") throw new Error(`expected Fetch, got ${r._tag}`)
  return r
}
const fails = (s: string): ParseError => {
  try {
    p(s)
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError)
    return e as ParseError
  }
  throw new Error(`expected a ParseError for ${JSON.stringify(s)}`)
}
const status = (text: string, code?: unknown) => ({ _tag: "UntaggedStatus", status: "OK", code, text })

describe("status responses", () => {
  it("tagged OK with text", () => {
    expect(p("a001 OK LOGIN completed\r\n")).toEqual({
      _tag: "Tagged",
      tag: "a001",
      status: "OK",
      code: undefined,
      text: "LOGIN completed"
    })
  })

  it("tagged NO with [TRYCREATE] and BAD", () => {
    expect(p("A3 NO [TRYCREATE] Mailbox doesn't exist\r\n")).toEqual({
      _tag: "Tagged",
      tag: "A3",
      status: "NO",
      code: { _tag: "TryCreate" },
      text: "Mailbox doesn't exist"
    })
    expect(p("x.1 BAD Error in IMAP command\r\n")).toMatchObject({ tag: "x.1", status: "BAD" })
  })

  it("untagged OK, NO, BAD, PREAUTH and BYE", () => {
    expect(p("* OK Still here\r\n")).toEqual(status("Still here"))
    expect(p("* NO Disk is 98% full\r\n")).toMatchObject({ status: "NO", text: "Disk is 98% full" })
    expect(p("* BAD Unknown command\r\n")).toMatchObject({ status: "BAD" })
    expect(p("* PREAUTH [CAPABILITY IMAP4rev2] Logged in as joe\r\n")).toEqual({
      _tag: "UntaggedStatus",
      status: "PREAUTH",
      code: { _tag: "Capability", capabilities: ["IMAP4rev2"] },
      text: "Logged in as joe"
    })
    expect(p("* BYE Logging out\r\n")).toMatchObject({ _tag: "UntaggedStatus", status: "BYE", text: "Logging out" })
  })

  it("an untagged status with nothing after it has empty text", () => {
    expect(p("* OK\r\n")).toEqual(status(""))
  })

  it.each([
    ["[ALERT]", { _tag: "Alert" }],
    ["[PARSE]", { _tag: "Parse" }],
    ["[READ-ONLY]", { _tag: "ReadOnly" }],
    ["[READ-WRITE]", { _tag: "ReadWrite" }],
    ["[TRYCREATE]", { _tag: "TryCreate" }],
    ["[UIDNEXT 485]", { _tag: "UidNext", uid: 485 }],
    ["[UIDVALIDITY 1795650694]", { _tag: "UidValidity", uidValidity: 1795650694 }],
    ["[UNSEEN 12]", { _tag: "Unseen", seq: 12 }],
    ["[HIGHESTMODSEQ 495]", { _tag: "HighestModSeq", modSeq: 495n }],
    ["[HIGHESTMODSEQ 9223372036854775807]", { _tag: "HighestModSeq", modSeq: 9223372036854775807n }],
    ["[NOMODSEQ]", { _tag: "NoModSeq" }],
    ["[MODIFIED 7,9:11]", { _tag: "Modified", set: SequenceSet.parse("7,9:11", "uid") }],
    ["[APPENDUID 38505 3955]", { _tag: "AppendUid", uidValidity: 38505, uids: [3955] }],
    ["[APPENDUID 38505 3955:3957,4000]", { _tag: "AppendUid", uidValidity: 38505, uids: [3955, 3956, 3957, 4000] }],
    [
      "[COPYUID 38505 304,319:320 3956:3958]",
      { _tag: "CopyUid", uidValidity: 38505, sourceUids: [304, 319, 320], destUids: [3956, 3957, 3958] }
    ],
    ["[COPYUID 1 5:3 7:9]", { _tag: "CopyUid", uidValidity: 1, sourceUids: [3, 4, 5], destUids: [7, 8, 9] }],
    ["[CLOSED]", { _tag: "Closed" }],
    ["[UIDNOTSTICKY]", { _tag: "UidNotSticky" }],
    ['[BADCHARSET (UTF-8 "US-ASCII")]', { _tag: "BadCharset", charsets: ["UTF-8", "US-ASCII"] }],
    ["[BADCHARSET]", { _tag: "BadCharset", charsets: [] }],
    ["[MAILBOXID (F2212ea87-6097-4256-9d51-71338625)]", { _tag: "MailboxId", id: "F2212ea87-6097-4256-9d51-71338625" }],
    ["[PERMANENTFLAGS (\\Deleted \\Seen \\*)]", { _tag: "PermanentFlags", flags: ["\\Deleted", "\\Seen", "\\*"] }],
    [
      "[CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN]",
      { _tag: "Capability", capabilities: ["IMAP4rev1", "LITERAL+", "AUTH=PLAIN"] }
    ],
    ["[AUTHENTICATIONFAILED]", { _tag: "Status", code: "AUTHENTICATIONFAILED" }],
    ["[OVERQUOTA]", { _tag: "Status", code: "OVERQUOTA" }],
    ["[nonexistent]", { _tag: "Status", code: "NONEXISTENT" }],
    ["[URLMECH INTERNAL]", { _tag: "Other", name: "URLMECH", text: "INTERNAL" }],
    ["[X-SOMETHING]", { _tag: "Other", name: "X-SOMETHING", text: undefined }],
    ["[ALERT extra]", { _tag: "Other", name: "ALERT", text: "extra" }]
  ])("response code %s", (code, expected) => {
    expect(p(`a1 OK ${code} Done\r\n`)).toEqual({
      _tag: "Tagged",
      tag: "a1",
      status: "OK",
      code: expected,
      text: "Done"
    })
  })

  it('an unknown code keeps its argument text verbatim (Courier\'s [MYRIGHTS "acdilrsw"])', () => {
    expect(p('* OK [MYRIGHTS "acdilrsw"] ACL\r\n')).toEqual(
      status("ACL", { _tag: "Other", name: "MYRIGHTS", text: '"acdilrsw"' })
    )
  })

  it("a `[` that is never closed is text, not a code", () => {
    expect(p("* OK [not a code\r\n")).toEqual(status("[not a code"))
  })

  it("refuses an APPENDUID/COPYUID set of more than 1,000,000 UIDs", () => {
    expect(fails("a1 OK [COPYUID 1 1:2000000 1:2000000] Done\r\n").message).toMatch(/uid-set larger/)
  })

  it("a known code with malformed arguments is a ParseError", () => {
    expect(fails("* OK [UIDNEXT abc] x\r\n").message).toMatch(/expected a number/)
  })
})

describe("untagged data", () => {
  it("CAPABILITY", () => {
    expect(p("* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n")).toEqual({
      _tag: "Capability",
      capabilities: ["IMAP4rev1", "STARTTLS", "AUTH=GSSAPI", "LOGINDISABLED"]
    })
  })

  it("ENABLED, also empty", () => {
    expect(p("* ENABLED CONDSTORE QRESYNC\r\n")).toEqual({ _tag: "Enabled", capabilities: ["CONDSTORE", "QRESYNC"] })
    expect(p("* ENABLED\r\n")).toEqual({ _tag: "Enabled", capabilities: [] })
  })

  it("FLAGS", () => {
    expect(p("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n")).toEqual({
      _tag: "Flags",
      flags: ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Forwarded"]
    })
  })

  it("LIST with attributes, delimiter and a modified UTF-7 name", () => {
    expect(p('* LIST (\\HasNoChildren \\Drafts) "/" "Entw&APw-rfe"\r\n')).toEqual({
      _tag: "List",
      attributes: ["\\HasNoChildren", "\\Drafts"],
      delimiter: "/",
      mailbox: "Entwürfe",
      rawMailbox: "Entw&APw-rfe",
      childInfo: undefined,
      oldName: undefined,
      extended: []
    })
  })

  it("LIST with a NIL delimiter, a literal name and special-use attributes", () => {
    expect(p("* LIST (\\Noselect \\Sent) NIL {4}\r\nSent\r\n")).toMatchObject({
      attributes: ["\\Noselect", "\\Sent"],
      delimiter: undefined,
      mailbox: "Sent"
    })
  })

  it("LIST with an escaped delimiter", () => {
    expect(p('* LIST () "\\\\" Foo\r\n')).toMatchObject({ attributes: [], delimiter: "\\", mailbox: "Foo" })
  })

  it("LIST extended items: CHILDINFO, OLDNAME and others kept raw", () => {
    expect(
      p('* LIST (\\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED") OLDNAME ("Old&AOk-") X-OTHER (1 2))\r\n')
    ).toMatchObject({
      mailbox: "Foo",
      childInfo: ["SUBSCRIBED"],
      oldName: "Oldé",
      extended: [{ name: "X-OTHER", raw: "(1 2)" }]
    })
  })

  it("LSUB", () => {
    expect(p('* LSUB () "." #news.comp.mail.misc\r\n')).toMatchObject({
      _tag: "Lsub",
      delimiter: ".",
      mailbox: "#news.comp.mail.misc"
    })
  })

  it("STATUS with every item, including SIZE, HIGHESTMODSEQ, DELETED, APPENDLIMIT and MAILBOXID", () => {
    expect(
      p(
        "* STATUS blurdybloop (MESSAGES 231 RECENT 1 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 3 DELETED 2 SIZE 12345678901 HIGHESTMODSEQ 7011231777 APPENDLIMIT 1048576 MAILBOXID (Mxyz) DELETED-STORAGE 12)\r\n"
      )
    ).toEqual({
      _tag: "Status",
      mailbox: "blurdybloop",
      rawMailbox: "blurdybloop",
      items: {
        messages: 231,
        recent: 1,
        uidNext: 44292,
        uidValidity: 1,
        unseen: 3,
        deleted: 2,
        size: 12345678901,
        highestModSeq: 7011231777n,
        appendLimit: 1048576,
        mailboxId: "Mxyz",
        other: [{ name: "DELETED-STORAGE", raw: "12" }]
      }
    })
  })

  it("STATUS with APPENDLIMIT NIL keeps it in `other`; a quoted UTF-7 name is decoded", () => {
    expect(p('* STATUS "&ZeVnLIqe-" (APPENDLIMIT NIL)\r\n')).toEqual({
      _tag: "Status",
      mailbox: "日本語",
      rawMailbox: "&ZeVnLIqe-",
      items: { other: [{ name: "APPENDLIMIT", raw: "NIL" }] }
    })
  })

  it("SEARCH: numbers, empty, and the trailing (MODSEQ n)", () => {
    expect(p("* SEARCH 2 3 6\r\n")).toEqual({ _tag: "Search", ids: [2, 3, 6], modSeq: undefined })
    expect(p("* SEARCH\r\n")).toEqual({ _tag: "Search", ids: [], modSeq: undefined })
    expect(p("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n")).toEqual({
      _tag: "Search",
      ids: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23],
      modSeq: 917162500n
    })
  })

  it("ESEARCH with correlator, UID and every return item", () => {
    expect(p('* ESEARCH (TAG "A282") UID MIN 2 MAX 47 COUNT 9 ALL 2,10:11,47 MODSEQ 917162500\r\n')).toEqual({
      _tag: "ESearch",
      tag: "A282",
      uid: true,
      min: 2,
      max: 47,
      count: 9,
      all: SequenceSet.parse("2,10:11,47", "uid"),
      modSeq: 917162500n,
      other: []
    })
  })

  it("ESEARCH ALL is a UID set after the UID indicator, a set of sequence numbers without it", () => {
    const all = (line: string) => {
      const r = p(line)
      return r._tag === "ESearch" ? r.all : undefined
    }
    expect(all("* ESEARCH UID ALL 3:5,9\r\n")).toEqual(SequenceSet.parse("3:5,9", "uid"))
    expect(all("* ESEARCH ALL 3:5,9\r\n")).toEqual(SequenceSet.parse("3:5,9", "seq"))
  })

  it("ESEARCH without correlator, with unknown return data kept raw", () => {
    expect(p("* ESEARCH COUNT 0 PARTIAL (1:10 NIL)\r\n")).toEqual({
      _tag: "ESearch",
      tag: undefined,
      uid: false,
      min: undefined,
      max: undefined,
      count: 0,
      all: undefined,
      modSeq: undefined,
      other: [{ name: "PARTIAL", raw: "(1:10 NIL)" }]
    })
  })

  it("EXISTS, RECENT, EXPUNGE", () => {
    expect(p("* 23 EXISTS\r\n")).toEqual({ _tag: "Exists", count: 23 })
    expect(p("* 0 RECENT\r\n")).toEqual({ _tag: "Recent", count: 0 })
    expect(p("* 44 EXPUNGE\r\n")).toEqual({ _tag: "Expunge", seq: 44 })
  })

  it("VANISHED and VANISHED (EARLIER)", () => {
    expect(p("* VANISHED 405,407,410:425\r\n")).toEqual({
      _tag: "Vanished",
      earlier: false,
      uids: SequenceSet.parse("405,407,410:425", "uid")
    })
    expect(p("* VANISHED (EARLIER) 41,43:116\r\n")).toEqual({
      _tag: "Vanished",
      earlier: true,
      uids: SequenceSet.parse("41,43:116", "uid")
    })
  })

  it("NAMESPACE with NIL classes and a descriptor extension", () => {
    expect(p('* NAMESPACE (("" "/")) NIL (("Public Folders/" "/" "X-PARAM" ("FLAG1" "FLAG2")))\r\n')).toEqual({
      _tag: "Namespace",
      personal: [{ prefix: "", delimiter: "/" }],
      otherUsers: [],
      shared: [{ prefix: "Public Folders/", delimiter: "/" }]
    })
  })

  it("ID with parameters (NIL values too) and ID NIL", () => {
    expect(p('* ID ("name" "Dovecot" "version" NIL)\r\n')).toEqual({
      _tag: "Id",
      params: new Map([
        ["name", "Dovecot"],
        ["version", undefined]
      ])
    })
    expect(p("* ID NIL\r\n")).toEqual({ _tag: "Id", params: undefined })
  })

  it("QUOTA and QUOTAROOT", () => {
    expect(p('* QUOTA "" (STORAGE 10 512 MESSAGE 1 100)\r\n')).toEqual({
      _tag: "Quota",
      root: "",
      resources: [
        { name: "STORAGE", usage: 10, limit: 512 },
        { name: "MESSAGE", usage: 1, limit: 100 }
      ]
    })
    expect(p('* QUOTAROOT INBOX "" user.joe\r\n')).toEqual({
      _tag: "QuotaRoot",
      mailbox: "INBOX",
      rawMailbox: "INBOX",
      roots: ["", "user.joe"]
    })
  })

  it("continuation requests: text, base64, a bare `+`, and `+ ` with nothing after", () => {
    expect(p("+ Ready for additional command text\r\n")).toEqual({
      _tag: "Continuation",
      text: "Ready for additional command text"
    })
    expect(p("+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2\r\n")).toEqual({
      _tag: "Continuation",
      text: "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2"
    })
    expect(p("+\r\n")).toEqual({ _tag: "Continuation", text: "" })
    expect(p("+ \r\n")).toEqual({ _tag: "Continuation", text: "" })
  })
})

describe("FETCH", () => {
  it("UID, FLAGS, INTERNALDATE, RFC822.SIZE and ENVELOPE", () => {
    const r = fetch(
      '* 12 FETCH (UID 4827313 FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>"))\r\n'
    )
    const gray = { name: "Terry Gray", adl: undefined, mailbox: "gray", host: "cac.washington.edu" }
    expect(r).toEqual({
      _tag: "Fetch",
      seq: 12,
      attributes: {
        uid: 4827313,
        flags: ["\\Seen"],
        internalDate: "17-Jul-1996 02:44:25 -0700",
        size: 4286,
        envelope: {
          date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
          subject: "IMAP4rev1 WG mtg summary and minutes",
          from: [gray],
          sender: [gray],
          replyTo: [gray],
          to: [{ name: undefined, adl: undefined, mailbox: "imap", host: "cac.washington.edu" }],
          cc: [
            { name: undefined, adl: undefined, mailbox: "minutes", host: "CNRI.Reston.VA.US" },
            { name: "John Klensin", adl: undefined, mailbox: "KLENSIN", host: "MIT.EDU" }
          ],
          bcc: [],
          inReplyTo: undefined,
          messageId: "<B27397-0100000@cac.washington.edu>"
        }
      }
    })
  })

  it("ENVELOPE: a Sender and Reply-To sent as the same bytes as From share From's array", () => {
    const from = '(("Terry Gray" NIL "gray" "cac.washington.edu"))'
    const r = fetch(`* 1 FETCH (ENVELOPE (NIL "s" ${from} ${from} ${from} NIL NIL NIL NIL NIL))\r\n`)
    const env = r.attributes.envelope!
    expect(env.from).toEqual([{ name: "Terry Gray", adl: undefined, mailbox: "gray", host: "cac.washington.edu" }])
    expect(env.sender).toBe(env.from)
    expect(env.replyTo).toBe(env.from)
  })

  it("ENVELOPE: a Sender or Reply-To that differs from From by one byte is read on its own", () => {
    const from = '(("Terry Gray" NIL "gray" "cac.washington.edu"))'
    const sender = '(("Terry Gray" NIL "grey" "cac.washington.edu"))'
    // Same bytes as From, then more: a longer list that merely starts like From.
    const replyTo = '(("Terry Gray" NIL "gray" "cac.washington.edu")(NIL NIL "x" "y.org"))'
    const env = fetch(`* 1 FETCH (ENVELOPE (NIL "s" ${from} ${sender} ${replyTo} NIL NIL NIL NIL NIL))\r\n`).attributes
      .envelope!
    expect(env.sender).not.toBe(env.from)
    expect(env.sender).toEqual([{ name: "Terry Gray", adl: undefined, mailbox: "grey", host: "cac.washington.edu" }])
    expect(env.replyTo).toEqual([
      { name: "Terry Gray", adl: undefined, mailbox: "gray", host: "cac.washington.edu" },
      { name: undefined, adl: undefined, mailbox: "x", host: "y.org" }
    ])
  })

  it("ENVELOPE: a repeated From that holds a literal is shared too, and a NIL From is not compared", () => {
    const from = '(({5}\r\nTerry NIL "gray" "example.org"))'
    const env = fetch(`* 1 FETCH (ENVELOPE (NIL NIL ${from} ${from} NIL NIL NIL NIL NIL NIL))\r\n`).attributes.envelope!
    expect(env.from[0]?.name).toBe("Terry")
    expect(env.sender).toBe(env.from)
    expect(env.replyTo).toEqual([])
    const nil = fetch("* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n").attributes.envelope!
    expect([nil.from, nil.sender, nil.replyTo]).toEqual([[], [], []])
  })

  it("FLAGS lists of every length come back whole and in order", () => {
    const lists = [[], ["\\Seen"], ["\\Seen", "$Label1"], ["\\Seen", "\\Answered", "$A", "$B", "$C"]]
    for (const flags of lists) {
      // Extra spaces too, as Exchange sends them.
      expect(fetch(`* 1 FETCH (FLAGS (${flags.join(" ")}))\r\n`).attributes.flags).toEqual(flags)
      expect(fetch(`* 1 FETCH (FLAGS ( ${flags.join("  ")} ))\r\n`).attributes.flags).toEqual(flags)
    }
  })

  it("ENVELOPE fields as literals and escaped quoted strings; NIL everywhere", () => {
    const r = fetch('* 1 FETCH (ENVELOPE (NIL {4}\r\nh\u00e9y NIL NIL NIL NIL NIL NIL NIL "a \\"q\\" \\\\ b"))\r\n')
    expect(r.attributes.envelope).toMatchObject({ date: undefined, subject: "héy", from: [], messageId: 'a "q" \\ b' })
  })

  it("ENVELOPE with group syntax addresses kept as sent", () => {
    const r = fetch(
      '* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "team" NIL)("A" NIL "a" "x.org")(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n'
    )
    expect(r.attributes.envelope?.to).toEqual([
      { name: undefined, adl: undefined, mailbox: "team", host: undefined },
      { name: "A", adl: undefined, mailbox: "a", host: "x.org" },
      { name: undefined, adl: undefined, mailbox: undefined, host: undefined }
    ])
  })

  it("BODY (the non-extensible form) of a single text part", () => {
    expect(fetch('* 1 FETCH (BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n')).toEqual({
      _tag: "Fetch",
      seq: 1,
      attributes: {
        bodyStructure: {
          _tag: "TextPart",
          type: "text",
          subtype: "plain",
          fields: {
            params: [["CHARSET", "US-ASCII"]],
            id: undefined,
            description: undefined,
            encoding: "7BIT",
            size: 3028
          },
          lines: 92
        }
      }
    })
  })

  it("BODYSTRUCTURE: multipart with extension data, disposition, language, location and extra extensions", () => {
    const r = fetch(
      '* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 1315 42 NIL NIL NIL NIL)("APPLICATION" "PDF" ("NAME" "a.pdf") "<id@x>" "A file" "BASE64" 4554 "md5sum" ("ATTACHMENT" ("FILENAME" "a.pdf")) ("en" "de") "http://x/a.pdf" 12 ("x" 3)) "MIXED" ("BOUNDARY" "b1") ("inline" NIL) "fr" NIL))\r\n'
    )
    expect(r.attributes.bodyStructure).toEqual({
      _tag: "Multipart",
      subtype: "mixed",
      params: [["BOUNDARY", "b1"]],
      disposition: { type: "inline", params: [] },
      language: ["fr"],
      location: undefined,
      parts: [
        {
          _tag: "TextPart",
          type: "text",
          subtype: "plain",
          fields: {
            params: [["CHARSET", "utf-8"]],
            id: undefined,
            description: undefined,
            encoding: "QUOTED-PRINTABLE",
            size: 1315
          },
          lines: 42,
          md5: undefined,
          disposition: undefined,
          language: undefined,
          location: undefined
        },
        {
          _tag: "BasicPart",
          type: "application",
          subtype: "pdf",
          fields: { params: [["NAME", "a.pdf"]], id: "<id@x>", description: "A file", encoding: "BASE64", size: 4554 },
          md5: "md5sum",
          disposition: { type: "ATTACHMENT", params: [["FILENAME", "a.pdf"]] },
          language: ["en", "de"],
          location: "http://x/a.pdf",
          extra: '12 ("x" 3)'
        }
      ]
    })
  })

  it("BODYSTRUCTURE: nested multiparts and a message/rfc822 part with its envelope and body", () => {
    const r = fetch(
      '* 1 FETCH (BODYSTRUCTURE ((("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 20 2) "ALTERNATIVE")("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 300 ("d" "s" NIL NIL NIL NIL NIL NIL NIL NIL) ("IMAGE" "PNG" NIL NIL NIL "BASE64" 100) 7) "MIXED"))\r\n'
    )
    const b = r.attributes.bodyStructure
    if (b?._tag !== "Multipart") throw new Error("expected multipart")
    expect(b.subtype).toBe("mixed")
    expect(b.parts[0]).toMatchObject({
      _tag: "Multipart",
      subtype: "alternative",
      parts: [{ subtype: "plain" }, { subtype: "html" }]
    })
    expect(b.parts[1]).toMatchObject({
      _tag: "MessagePart",
      type: "message",
      subtype: "rfc822",
      envelope: { date: "d", subject: "s" },
      body: { _tag: "BasicPart", type: "image", subtype: "png" },
      lines: 7
    })
    expect("params" in b).toBe(false)
  })

  it("BODY[section]<origin> for HEADER.FIELDS, HEADER.FIELDS.NOT, MIME, TEXT and numbered parts", () => {
    const r = fetch(
      '* 1 FETCH (BODY[HEADER.FIELDS (From "Subject")] {9}\r\nFrom: a\r\n BODY[HEADER.FIELDS.NOT (X-Spam)] "" BODY[1.2.MIME] NIL BODY[TEXT]<100> {3}\r\nabc BODY[1.2] "x")\r\n'
    )
    expect(r.attributes.body?.map((s) => [s.section, s.origin, s.data && dec.decode(s.data)])).toEqual([
      ['HEADER.FIELDS (From "Subject")', undefined, "From: a\r\n"],
      ["HEADER.FIELDS.NOT (X-Spam)", undefined, ""],
      ["1.2.MIME", undefined, undefined],
      ["TEXT", 100, "abc"],
      ["1.2", undefined, "x"]
    ])
  })

  it("BODY[] data is a view into the frame, not a copy", () => {
    const frame = enc.encode("* 1 FETCH (BODY[] {5}\r\nhello)\r\n")
    const r = parse(frame)
    if (r._tag !== "Fetch") throw new Error("expected Fetch")
    const data = r.attributes.body![0]!.data!
    expect(data.buffer).toBe(frame.buffer)
    expect(data.byteOffset).toBe(frame.indexOf(0x68))
    expect(dec.decode(data)).toBe("hello")
  })

  it('RFC822, RFC822.HEADER and RFC822.TEXT map to body sections "", HEADER and TEXT', () => {
    const r = fetch('* 1 FETCH (RFC822 "a" RFC822.HEADER "b" RFC822.TEXT NIL)\r\n')
    expect(r.attributes.body?.map((s) => [s.section, s.data && dec.decode(s.data)])).toEqual([
      ["", "a"],
      ["HEADER", "b"],
      ["TEXT", undefined]
    ])
  })

  it("BINARY[section] with a literal8 holding NUL, and BINARY.SIZE", () => {
    const r = fetch("* 1 FETCH (BINARY[1] ~{3}\r\n\u0000\u0001\u0002 BINARY.SIZE[1] 3 BINARY[2]<0> NIL)\r\n")
    expect(r.attributes.binary).toEqual([
      { section: "1", origin: undefined, data: new Uint8Array([0, 1, 2]) },
      { section: "2", origin: 0, data: undefined }
    ])
    expect(r.attributes.binarySize).toEqual([{ section: "1", size: 3 }])
  })

  it("MODSEQ, EMAILID, THREADID (and THREADID NIL), PREVIEW", () => {
    expect(
      fetch(
        '* 1 FETCH (MODSEQ (12121231000) EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9) PREVIEW "Hi there")\r\n'
      ).attributes
    ).toEqual({
      modSeq: 12121231000n,
      emailId: "M6d99ac3275bb4e",
      threadId: "T64b478a75b7ea9",
      preview: "Hi there"
    })
    const nil = fetch("* 1 FETCH (THREADID NIL PREVIEW NIL)\r\n").attributes
    expect(nil).toEqual({ threadId: undefined, preview: undefined })
    expect("threadId" in nil && "preview" in nil).toBe(true)
  })

  it("Gmail's X-GM-MSGID, X-GM-THRID and X-GM-LABELS (atoms and strings mixed)", () => {
    expect(
      fetch(
        '* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante"))\r\n'
      ).attributes
    ).toEqual({
      gmailThreadId: 1278455344230334865n,
      gmailMessageId: 1278455344230334865n,
      gmailLabels: ["\\Inbox", "\\Sent", "Important", "Muy Importante"]
    })
  })

  it("items in any order: Cyrus sends FLAGS before UID", () => {
    expect(fetch("* 1 FETCH (FLAGS (\\Recent \\Seen) UID 1)\r\n").attributes).toEqual({
      flags: ["\\Recent", "\\Seen"],
      uid: 1
    })
  })

  it("unknown FETCH items with list, atom, string and section forms go to `unknown`, raw", () => {
    expect(
      fetch('* 1 FETCH (UID 5 X-LIST (1 (2 "a)") {1}\r\n)) X-ATOM foo SAVEDATE "x" X-SEC[1]<2> NIL)\r\n').attributes
    ).toEqual({
      uid: 5,
      unknown: [
        { name: "X-LIST", raw: '(1 (2 "a)") {1}\r\n))', bytes: enc.encode('(1 (2 "a)") {1}\r\n))') },
        { name: "X-ATOM", raw: "foo", bytes: enc.encode("foo") },
        { name: "SAVEDATE", raw: '"x"', bytes: enc.encode('"x"') },
        { name: "X-SEC[1]<2>", raw: "NIL", bytes: enc.encode("NIL") }
      ]
    })
  })

  it("an unknown item's value keeps its exact bytes, a literal that is not UTF-8 included", () => {
    const frame = Uint8Array.of(
      ...enc.encode("* 1 FETCH (X-BLOB {3}\r\n"),
      0xff,
      0xfe,
      0x80,
      ...enc.encode(" UID 4)\r\n")
    )
    const r = parse(frame)
    if (r._tag !== "Fetch") throw new Error("expected Fetch")
    expect(r.attributes).toEqual({
      unknown: [
        {
          name: "X-BLOB",
          raw: "{3}\r\n\ufffd\ufffd\ufffd",
          bytes: Uint8Array.of(...enc.encode("{3}\r\n"), 0xff, 0xfe, 0x80)
        }
      ],
      uid: 4
    })
  })

  it("a non-synchronising literal `{n+}` given straight to the parser", () => {
    const r = fetch("* 1 FETCH (BODY[] {3+}\r\nabc UID 2)\r\n")
    expect(r.attributes.uid).toBe(2)
    expect(r.attributes.body?.map((s) => [s.section, s.data && dec.decode(s.data)])).toEqual([["", "abc"]])
  })

  it("an empty FETCH list", () => {
    expect(fetch("* 3 FETCH ()\r\n")).toEqual({ _tag: "Fetch", seq: 3, attributes: {} })
  })
})

describe("quirks of real servers", () => {
  it("Cyrus: timings in tagged OK text are just text", () => {
    expect(p("a004 OK Completed (0.000 secs 2 calls)\r\n")).toMatchObject({ text: "Completed (0.000 secs 2 calls)" })
  })

  it("Cyrus: LOGINDISABLED after login is parsed like any capability (the client ignores it)", () => {
    expect(
      p("a002 OK [CAPABILITY IMAP4rev1 XMOVE LOGINDISABLED IDLE] User logged in SESSIONID=<x-1>\r\n")
    ).toMatchObject({
      code: { _tag: "Capability", capabilities: ["IMAP4rev1", "XMOVE", "LOGINDISABLED", "IDLE"] },
      text: "User logged in SESSIONID=<x-1>"
    })
  })

  it("Cyrus: [MAILBOXID (...)] and [ANNOTATIONS 65536] after SELECT", () => {
    expect(p("* OK [MAILBOXID (jc0ek3pvrlan3dyw69nl4fkq)] Ok\r\n")).toEqual(
      status("Ok", { _tag: "MailboxId", id: "jc0ek3pvrlan3dyw69nl4fkq" })
    )
    expect(p("* OK [ANNOTATIONS 65536] Ok\r\n")).toEqual(
      status("Ok", { _tag: "Other", name: "ANNOTATIONS", text: "65536" })
    )
  })

  it("Courier: the two spaces in its greeting text are kept", () => {
    const r = p(
      "* OK [CAPABILITY IMAP4rev1 UIDPLUS] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information.\r\n"
    )
    expect(r).toMatchObject({
      text: "Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information."
    })
  })

  it("Courier: namespace descriptors without a space between them", () => {
    expect(p('* NAMESPACE (("INBOX." ".")) NIL (("#shared." ".")("shared." "."))\r\n')).toEqual({
      _tag: "Namespace",
      personal: [{ prefix: "INBOX.", delimiter: "." }],
      otherUsers: [],
      shared: [
        { prefix: "#shared.", delimiter: "." },
        { prefix: "shared.", delimiter: "." }
      ]
    })
  })

  it("Courier and Cyrus: `\\*` in PERMANENTFLAGS, first or last", () => {
    expect(p("* OK [PERMANENTFLAGS (\\* \\Draft \\Answered)] Limited\r\n")).toEqual(
      status("Limited", { _tag: "PermanentFlags", flags: ["\\*", "\\Draft", "\\Answered"] })
    )
  })

  it("Dovecot: an empty PERMANENTFLAGS list on a read-only mailbox", () => {
    expect(p("* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n")).toEqual(
      status("Read-only mailbox.", { _tag: "PermanentFlags", flags: [] })
    )
  })

  it("Exchange: a trailing space inside STATUS items `(MESSAGES 1 )`", () => {
    expect(p("* STATUS INBOX (MESSAGES 1 UNSEEN 0 )\r\n")).toMatchObject({ items: { messages: 1, unseen: 0 } })
  })

  it("Exchange: a trailing space after the whole response, before CRLF", () => {
    expect(p("* STATUS INBOX (MESSAGES 0) \r\n")).toMatchObject({ _tag: "Status", items: { messages: 0 } })
    expect(p("* 1 FETCH (UID 7)  \r\n")).toMatchObject({ _tag: "Fetch", attributes: { uid: 7 } })
  })

  it("Exchange: trailing spaces before `)` in FETCH, FLAGS and envelope lists", () => {
    expect(fetch("* 1 FETCH (UID 7 FLAGS (\\Seen ) )\r\n").attributes).toEqual({ uid: 7, flags: ["\\Seen"] })
    expect(
      fetch('* 1 FETCH (ENVELOPE (NIL NIL (("a" NIL "b" "c") ) NIL NIL NIL NIL NIL NIL NIL ))\r\n').attributes.envelope
        ?.from
    ).toHaveLength(1)
  })

  it("Exchange: body-fld-lines of -1 is kept as sent", () => {
    expect(
      fetch('* 1 FETCH (BODYSTRUCTURE ("TEXT" "HTML" NIL NIL NIL "7BIT" 10 -1))\r\n').attributes.bodyStructure
    ).toMatchObject({
      _tag: "TextPart",
      lines: -1
    })
  })

  it("Exchange: the untagged garbage line `Server Unavailable.` becomes Unknown with its bytes", () => {
    const r = p("Server Unavailable. 15\r\n")
    expect(r._tag).toBe("Unknown")
    if (r._tag === "Unknown") expect(dec.decode(r.raw)).toBe("Server Unavailable. 15\r\n")
  })

  it("Gmail: no text after the response code, untagged and tagged", () => {
    expect(p("* OK [UIDVALIDITY 1]\r\n")).toEqual(status("", { _tag: "UidValidity", uidValidity: 1 }))
    expect(p("a OK [READ-WRITE]\r\n")).toEqual({
      _tag: "Tagged",
      tag: "a",
      status: "OK",
      code: { _tag: "ReadWrite" },
      text: ""
    })
  })

  it("lower-case keywords: `* ok`, `a1 ok`, `* 5 fetch`, `* 3 exists`", () => {
    expect(p("* ok [uidnext 5] fine\r\n")).toEqual(status("fine", { _tag: "UidNext", uid: 5 }))
    expect(p("a1 ok done\r\n")).toMatchObject({ _tag: "Tagged", status: "OK" })
    expect(fetch("* 5 fetch (uid 9 flags ())\r\n").attributes).toEqual({ uid: 9, flags: [] })
    expect(p("* 3 exists\r\n")).toEqual({ _tag: "Exists", count: 3 })
  })

  it("extra spaces inside lists", () => {
    expect(p("* FLAGS (  \\Seen   \\Deleted  )\r\n")).toEqual({ _tag: "Flags", flags: ["\\Seen", "\\Deleted"] })
    expect(fetch("* 1 FETCH (UID 1  FLAGS (\\Seen))\r\n").attributes).toEqual({ uid: 1, flags: ["\\Seen"] })
  })

  it("keywords containing `[` or `]` in flag lists", () => {
    expect(p("* FLAGS (\\Seen [Gmail]Label foo]bar)\r\n")).toEqual({
      _tag: "Flags",
      flags: ["\\Seen", "[Gmail]Label", "foo]bar"]
    })
    expect(p("* OK [PERMANENTFLAGS (\\Seen x]y)] ok\r\n")).toEqual(
      status("ok", { _tag: "PermanentFlags", flags: ["\\Seen", "x]y"] })
    )
  })

  it("NIL where a string is expected in addresses (every address field is an nstring)", () => {
    expect(
      fetch("* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL))\r\n").attributes.envelope
        ?.from
    ).toEqual([{ name: undefined, adl: undefined, mailbox: undefined, host: undefined }])
  })

  it("a bare LF line end is accepted", () => {
    expect(p("* 4 EXISTS\n")).toEqual({ _tag: "Exists", count: 4 })
  })
})

describe("unknown data is kept, never a crash", () => {
  it("an unknown untagged keyword", () => {
    const r = p("* XAPPLEPUSHSERVICE aps-version 2\r\n")
    expect(r._tag).toBe("Unknown")
  })

  it("an unknown keyword after a number", () => {
    expect(p("* 3 XFOO (a b)\r\n")._tag).toBe("Unknown")
  })

  it("a tagged line whose status is not OK/NO/BAD", () => {
    expect(p("a1 PREAUTH what\r\n")._tag).toBe("Unknown")
  })

  it("an empty line", () => {
    expect(p("\r\n")._tag).toBe("Unknown")
  })
})

describe("malformed syntax is a ParseError with offset, excerpt and bytes", () => {
  it("a number where none is", () => {
    const e = fails("* 5 FETCH (UID x)\r\n")
    expect(e.offset).toBe(15)
    expect(e.excerpt).toBe("* 5 FETCH (UID x)\\r\\n")
    expect(dec.decode(e.bytes)).toBe("* 5 FETCH (UID x)\r\n")
  })

  it("unbalanced parentheses", () => {
    fails("* 5 FETCH (FLAGS (\\Seen)\r\n")
    fails("* 5 FETCH (X-FOO (a (b)\r\n")
  })

  it("an unterminated quoted string", () => {
    expect(fails('* 1 FETCH (INTERNALDATE "17-Jul)\r\n').message).toMatch(/quoted/)
  })

  it("garbage after a complete response", () => {
    fails("* 3 EXISTS now\r\n")
    fails("* 3 EXISTS\r\n* 4 EXISTS\r\n")
  })

  it("a number beyond uint32", () => {
    expect(fails("* 4294967296 EXISTS\r\n").message).toMatch(/uint32/)
  })

  it("a literal that runs past the end of the frame", () => {
    expect(fails("* 1 FETCH (BODY[] {100}\r\nshort)\r\n").message).toMatch(/past the end/)
  })

  it("lists nested deeper than 100", () => {
    expect(fails(`* 1 FETCH (X-DEEP ${"(".repeat(200)}${")".repeat(200)})\r\n`).message).toMatch(/nested deeper/)
  })

  it("an unknown section in BODY[...]", () => {
    fails("* 1 FETCH (BODY[FOO] NIL)\r\n")
  })

  // RFC 9051 9: nz-number = digit-nz *DIGIT, so neither 0 nor a leading zero is a message number.
  it.each([
    ["* VANISHED 3,0\r\n", 13, /expected a number/],
    ["* VANISHED 007\r\n", 11, /expected a number/],
    ["* VANISHED 1:2:3\r\n", 13, /two colons/],
    ["* VANISHED 5:*\r\n", 13, /\* is not allowed/],
    ["* ESEARCH UID ALL 1,,2\r\n", 20, /expected a number/],
    ["* OK [MODIFIED 4294967296] done\r\n", 15, /exceeds/],
    ["a1 OK [APPENDUID 38505 0] Done\r\n", 23, /expected a number/],
    ["a1 OK [COPYUID 1 07 3] Done\r\n", 17, /expected a number/],
    ["a1 OK [COPYUID 1 3:* 4:5] Done\r\n", 19, /\* is not allowed/]
  ])("a malformed sequence set: %j", (line, offset, message) => {
    const e = fails(line)
    expect(e.message).toMatch(message)
    expect(e.offset).toBe(offset)
    expect(dec.decode(e.bytes)).toBe(line)
  })
})

describe("the parser keeps nothing of a frame once it returns", () => {
  // One Reader and one FETCH collector serve every response; they must let go of the frame (it may
  // hold a large literal) when parse returns or throws, not when the next response arrives. In a
  // fresh Node process on the built package, so that gc() can be called.
  it("a parsed frame and a rejected frame are both collectable once the caller drops them", () => {
    const dist = pathToFileURL(fileURLToPath(new URL("../dist/index.js", import.meta.url))).href
    const script = `
      const { ResponseParser } = await import(${JSON.stringify(dist)})
      const enc = new TextEncoder()
      const body = "x".repeat(1 << 20)
      const refs = []
      const run = (text) => {
        const frame = enc.encode(text)
        refs.push(new WeakRef(frame.buffer))
        try { return ResponseParser.parse(frame)._tag } catch (e) { return e._tag }
      }
      const tags = [
        run("* 1 FETCH (UID 7 BODY[] {" + body.length + "}\\r\\n" + body + ")\\r\\n"),
        run("* 2 FETCH (UID 8 BODY[] {" + body.length + "}\\r\\n" + body + " junk\\r\\n")
      ]
      await new Promise((r) => setTimeout(r, 0))
      globalThis.gc()
      console.log(JSON.stringify({ tags, alive: refs.map((r) => r.deref() !== undefined) }))`
    const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
      encoding: "utf8"
    })
    expect(JSON.parse(out)).toEqual({ tags: ["Fetch", "ParseError"], alive: [false, false] })
  })
})
