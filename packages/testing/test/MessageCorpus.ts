// Messages whose ENVELOPE, BODYSTRUCTURE and sections the MIME model must answer as Dovecot does:
// the shapes mail takes (plain, alternative, nested with attachments, forwarded, encoded words,
// RFC 2231 parameters) and the damage servers meet (missing headers, bare LF, 8-bit, no boundary,
// delimiters that never come, no blank line).

const crlf = (lines: ReadonlyArray<string>): string => lines.join("\r\n")

export interface CorpusMessage {
  readonly name: string
  readonly raw: Uint8Array
}

const msg = (name: string, text: string): CorpusMessage => ({ name, raw: Buffer.from(text, "utf8") })

export const corpus: ReadonlyArray<CorpusMessage> = [
  msg(
    "plain text with every envelope field",
    crlf([
      "Date: Thu, 26 Nov 2026 10:00:00 +0100",
      "From: Ann Example <ann@example.com>",
      "Sender: list@example.org",
      "Reply-To: replies@example.com",
      "To: Bob <bob@example.net>, carol@example.net",
      'Cc: "Dee, D." <dee@example.net>',
      "Bcc: eve@example.net (Eve Hidden)",
      "Subject: Hello",
      " folded subject",
      "Message-ID: <m1@example.com>",
      "In-Reply-To: <m0@example.com>",
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "",
      "Hello Bob,",
      "how are you?",
      ""
    ])
  ),
  msg(
    "multipart/alternative with preamble and epilogue",
    crlf([
      "From: ann@example.com",
      "To: bob@example.net",
      "Subject: alt",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="b1"',
      "",
      "This is a preamble.",
      "--b1",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      "plain text",
      "--b1",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "<p>caf=C3=A9</p>",
      "",
      "--b1--",
      "epilogue",
      ""
    ])
  ),
  msg(
    "nested multipart with attachments and extension fields",
    crlf([
      "From: ann@example.com",
      "To: bob@example.net",
      "Subject: report",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "Content-Language: en",
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain",
      "",
      "see attached",
      "--inner",
      "Content-Type: text/html",
      "",
      "<b>see attached</b>",
      "--inner--",
      "",
      "--outer",
      'Content-Type: application/pdf; name="report.pdf"',
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="report.pdf"; size=12',
      "Content-Description: The report",
      "",
      "JVBERi0xLjQKJcfs",
      "j6IKMSAwIG9iago=",
      "--outer",
      "Content-Type: image/png",
      "Content-ID: <logo@example.com>",
      "Content-Transfer-Encoding: base64",
      "Content-Disposition: inline",
      "Content-Language: en-GB, fr",
      "Content-Location: http://example.com/logo.png",
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
      "",
      "iVBORw0KGgo=",
      "--outer--",
      ""
    ])
  ),
  msg(
    "forwarded message/rfc822 holding a multipart",
    crlf([
      "From: ann@example.com",
      "To: bob@example.net",
      "Subject: Fwd: original",
      'Content-Type: multipart/mixed; boundary="fw"',
      "",
      "--fw",
      "Content-Type: text/plain",
      "",
      "forwarding this",
      "--fw",
      "Content-Type: message/rfc822",
      "",
      "Date: Wed, 25 Nov 2026 09:00:00 +0000",
      "From: Zed <zed@example.org>",
      "To: ann@example.com",
      "Subject: original",
      "Message-ID: <orig@example.org>",
      'Content-Type: multipart/alternative; boundary="in"',
      "",
      "--in",
      "Content-Type: text/plain",
      "",
      "original text",
      "line two",
      "--in",
      "Content-Type: text/html",
      "",
      "<p>original</p>",
      "--in--",
      "",
      "--fw--",
      ""
    ])
  ),
  msg(
    "encoded words, groups, routes and comments in addresses",
    crlf([
      "Date: Fri, 27 Nov 2026 08:30:00 -0500 (EST)",
      "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
      'To: Team: a@example.com, "B, Bee" <b@example.com>;, undisclosed-recipients:;',
      "Cc: <@relay.example.org:c@example.com>, root",
      "Bcc: (just a comment) d@example.com",
      "Subject: =?UTF-8?B?w5xiZXIgZGFzIFdldHRlcg==?= and more",
      "Message-ID: <enc@example.com>",
      "",
      "body",
      ""
    ])
  ),
  msg(
    "addresses with junk after them, names without addresses",
    crlf([
      "From: root continued",
      "To: a@example.org junk, b@example.org",
      "Cc: Team: c@example.org; trailing",
      "Bcc: d@example.org (Dee) e@example.org",
      'Reply-To: <>, "Quoted Only"',
      'Sender: "unclosed <a@example.org>',
      "",
      "body",
      ""
    ])
  ),
  msg(
    "RFC 2231 parameters",
    crlf([
      "From: ann@example.com",
      "Subject: 2231",
      'Content-Type: multipart/mixed; boundary="p"',
      "",
      "--p",
      "Content-Type: application/octet-stream; name*=utf-8''%E2%82%AC.txt",
      "Content-Disposition: attachment; filename*0*=utf-8''%E2%82%AC%20rates;",
      " filename*1*=.txt",
      "",
      "data",
      "--p",
      'Content-Type: text/plain; title*0="long "; title*1="title"',
      "",
      "text",
      "--p--",
      ""
    ])
  ),
  msg("missing headers and no final line end", crlf(["X-Note: nothing else", "", "Hi"])),
  {
    name: "bare LF line ends",
    raw: Buffer.from(
      [
        "From: ann@example.com",
        "Subject: lf",
        'Content-Type: multipart/mixed; boundary="lf"',
        "",
        "--lf",
        "Content-Type: text/plain",
        "",
        "one",
        "two",
        "--lf--",
        ""
      ].join("\n"),
      "utf8"
    )
  },
  msg(
    "8-bit headers and body",
    crlf([
      "From: Jürgen <juergen@example.de>",
      "To: bob@example.net",
      "Subject: Grüße aus Köln",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Schöne Grüße",
      ""
    ])
  ),
  msg(
    "multipart without a boundary parameter",
    crlf(["From: ann@example.com", "Subject: no boundary", "Content-Type: multipart/mixed", "", "just text", ""])
  ),
  msg(
    "multipart whose delimiters never come",
    crlf([
      "From: ann@example.com",
      "Subject: lost",
      'Content-Type: multipart/mixed; boundary="gone"',
      "",
      "text only",
      ""
    ])
  ),
  msg(
    "multipart missing its close delimiter and child without header",
    crlf([
      "From: ann@example.com",
      "Subject: unclosed",
      'Content-Type: multipart/mixed; boundary="u"',
      "",
      "--u",
      "",
      "first",
      "--u",
      'Content-Type: text/plain; charset="iso-8859-1"',
      "Content-Transfer-Encoding: QUOTED-PRINTABLE",
      "",
      "second",
      ""
    ])
  ),
  msg("header only, no blank line", crlf(["From: ann@example.com", "Subject: header only", ""])),
  msg(
    "top-level message/rfc822",
    crlf([
      "From: ann@example.com",
      "Subject: wrapper",
      "Content-Type: message/rfc822",
      "",
      "From: inner@example.com",
      "Subject: inner",
      "",
      "inner body",
      ""
    ])
  ),
  msg(
    "multipart/digest with default message/rfc822 parts",
    crlf([
      "From: list@example.org",
      "Subject: digest",
      'Content-Type: multipart/digest; boundary="d"',
      "",
      "--d",
      "",
      "From: one@example.org",
      "Subject: one",
      "",
      "first digest message",
      "--d",
      "",
      "From: two@example.org",
      "Subject: two",
      "",
      "second",
      "--d--",
      ""
    ])
  ),
  msg(
    "uppercase type and odd spacing",
    crlf([
      "From: ann@example.com",
      "Subject: case",
      "Content-Type: TEXT/HTML ; CHARSET=UTF-8",
      "Content-Transfer-Encoding: Base64",
      "",
      "PGI+aGk8L2I+",
      ""
    ])
  )
]
