/**
 * Text a sender or a server chose never reaches the reader's terminal raw. Messages delivered to
 * Dovecot whose RFC 2047 subject and From name decode to ESC ] 0 ; title BEL, CSI sequences, the
 * C1 CSI U+009B, NUL and U+202E (RIGHT-TO-LEFT OVERRIDE), and mailboxes named with U+009B and
 * U+202E: `subjects`, `watch` and `list` show each control as an escape (`\x1b`, `\x9b`,
 * `\u202e`) and `--json` keeps the exact strings, escaped. Where Dovecot will not produce the text
 * (a mailbox name with ESC or CR LF, a NO or an ALERT carrying controls), a scripted peer does:
 * the name, the error line on stderr and the `--trace` lines are escaped too.
 */
import { describe, expect, it } from "vitest"
import * as ImapCli from "./support/ImapCli.ts"
import * as Peer from "./support/ScriptedPeer.ts"
import { imapEnv, lines, type Result } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()

const imap = (user: string, args: ReadonlyArray<string>): Promise<Result> => ImapCli.run(args, imapEnv(server, user))

/** Any control a terminal would obey: C0 but LF and tab, DEL, C1, bidi embeddings/overrides/isolates. */
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

const expectNoRawControl = (r: Result) => {
  expect(r.stdout, "stdout").not.toMatch(rawControl)
  expect(r.stderr, "stderr").not.toMatch(rawControl)
}

const hostileSubject = "\u001b]0;pwned\u0007 \u001b[2J\u001b[31mred \u009b31m c1 nul\u0000 \u202eexe.pdf"
/** The same as `imap subjects` must show it: every control as an escape, the rest unchanged. */
const shownSubject = "\\x1b]0;pwned\\x07 \\x1b[2J\\x1b[31mred \\x9b31m c1 nul\\x00 \\u202eexe.pdf"
const hostileName = "Eve\u202e\u001b[8m"

/** RFC 2047 B-encoded words of at most 12 characters each (adjacent words join without the space). */
const encodedWords = (text: string): string => {
  const chars = Array.from(text)
  const words: Array<string> = []
  for (let i = 0; i < chars.length; i += 12) {
    words.push(`=?UTF-8?B?${Buffer.from(chars.slice(i, i + 12).join("")).toString("base64")}?=`)
  }
  return words.join(" ")
}

const hostileMessage = (n: number) =>
  `From: ${encodedWords(hostileName)} <eve@example.com>\r\nTo: bob@example.com\r\n` +
  `Subject: ${encodedWords(hostileSubject)}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n` +
  `Message-ID: <hostile-${n}@example.com>\r\n\r\nbody\r\n`

const expectHostileLine = (line: string | undefined, uid: number) => {
  expect(line).toBe(`${uid}\t2026-11-26 10:00\t"Eve\\u202e\\x1b[8m" <eve@example.com>\t${shownSubject}`)
}

describe("sender text from Dovecot", { timeout: 60_000 }, () => {
  it("subjects shows the subject's and sender's controls as escapes; --json keeps them exactly, escaped", async () => {
    const user = freshUser("cli-hostile-subjects")
    await server.deliver(user, "INBOX", hostileMessage(1))
    const [plain, json] = await Promise.all([imap(user, ["subjects"]), imap(user, ["--json", "subjects"])])
    expect(plain.code, plain.stderr).toBe(0)
    expectNoRawControl(plain)
    expect(lines(plain.stdout)).toHaveLength(1)
    expectHostileLine(lines(plain.stdout)[0], 1)
    expect(json.code, json.stderr).toBe(0)
    expectNoRawControl(json)
    const object = JSON.parse(json.stdout)
    expect(object.subject).toBe(hostileSubject)
    expect(object.from).toEqual([{ name: hostileName, address: "eve@example.com" }])
    expect(json.stdout).toContain("\\u009b31m")
    expect(json.stdout).toContain("\\u202eexe.pdf")
  })

  it("watch shows a hostile message delivered while it idles the same way", async () => {
    const user = freshUser("cli-hostile-watch")
    const watch = ImapCli.startWatch(["watch"], imapEnv(server, user))
    await watch.watching()
    await server.deliver(user, "INBOX", hostileMessage(2))
    await watch.outputLines(1)
    expect(await watch.stop()).toBe(0)
    expectNoRawControl({ code: 0, stdout: watch.stdout, stderr: watch.stderr })
    expectHostileLine(lines(watch.stdout)[0], 1)
  })

  it("list shows mailbox names with U+009B and U+202E as escapes; --json keeps the names", async () => {
    const user = freshUser("cli-hostile-list")
    await server.createMailbox(user, "c1\u009b2J")
    await server.createMailbox(user, "bidi\u202eexe")
    const [plain, json] = await Promise.all([imap(user, ["list"]), imap(user, ["--json", "list"])])
    expect(plain.code, plain.stderr).toBe(0)
    expectNoRawControl(plain)
    const names = lines(plain.stdout).map((l) => l.split("\t")[0])
    expect(names.sort()).toEqual(["INBOX", "bidi\\u202eexe", "c1\\x9b2J"])
    expect(json.code, json.stderr).toBe(0)
    expectNoRawControl(json)
    const jsonNames = lines(json.stdout).map((l) => JSON.parse(l).name)
    expect(jsonNames.sort()).toEqual(["INBOX", "bidi\u202eexe", "c1\u009b2J"])
  })
})

/** Runs `imap args` against a scripted peer running `script`, and checks the script's end. */
const againstPeer = async (
  script: (conn: Peer.PeerConnection) => Promise<void>,
  args: ReadonlyArray<string>
): Promise<Result> => {
  const peer = await Peer.start(script)
  try {
    const r = await ImapCli.run(args, ImapCli.peerEnv(peer.port))
    await peer.finished()
    return r
  } finally {
    await peer.stop()
  }
}

describe("server text from a scripted peer", { timeout: 30_000 }, () => {
  it("list shows a name with ESC, BEL, CR and LF (quoted or a literal) on one line, escaped", async () => {
    const literalName = "two\r\nlines\u001b[2J"
    const r = await againstPeer(
      async (conn) => {
        await Peer.login(conn)
        const [tag] = await conn.command()
        await conn.sendRaw(
          `* LIST (\\HasNoChildren) "/" "evil\u001b]0;pwned\u0007box"\r\n` +
            `* LIST () "/" {${Buffer.byteLength(literalName)}}\r\n${literalName}\r\n` +
            `${tag} OK List completed.\r\n`
        )
        await Peer.acceptLogout(conn)
      },
      ["list"]
    )
    expect(r.code, r.stderr).toBe(0)
    expectNoRawControl(r)
    expect(lines(r.stdout)).toEqual(["evil\\x1b]0;pwned\\x07box\t\\HasNoChildren", "two lines\\x1b[2J\t-"])
  })

  it("capabilities shows capabilities holding UTF-8 for U+009B and U+202E as escapes, in lines and JSON", async () => {
    const script = async (conn: Peer.PeerConnection) => {
      await Peer.greet(conn)
      const tag = await conn.expect("LOGIN u p")
      await conn.sendRaw(
        Buffer.concat([
          Buffer.from(`${tag} OK [CAPABILITY IMAP4rev1 X-`),
          Buffer.from([0xc2, 0x9b]),
          Buffer.from("2J X-\u202e] Logged in\r\n")
        ])
      )
      await Peer.acceptLogout(conn)
    }
    const [plain, json] = [
      await againstPeer(script, ["capabilities"]),
      await againstPeer(script, ["--json", "capabilities"])
    ]
    expect(plain.code, plain.stderr).toBe(0)
    expectNoRawControl(plain)
    expect(lines(plain.stdout)).toEqual(["IMAP4REV1", "X-\\x9b2J", "X-\\u202e"])
    expect(json.code, json.stderr).toBe(0)
    expectNoRawControl(json)
    expect(JSON.parse(json.stdout)).toEqual(["IMAP4REV1", "X-\u009b2J", "X-\u202e"])
  })

  it("a NO whose text carries ESC, C1 and U+202E is one escaped line on stderr, exit 5", async () => {
    const r = await againstPeer(
      async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect("EXAMINE INBOX")
        await conn.sendRaw(
          Buffer.concat([
            Buffer.from(`${tag} NO [ALERT] \u001b]0;pwned\u0007 \u001b[2J `),
            Buffer.from([0xc2, 0x9b]),
            Buffer.from("31m \u202eevil\r\n")
          ])
        )
        await Peer.acceptLogout(conn)
      },
      ["subjects"]
    )
    expect(r.code).toBe(5)
    expectNoRawControl(r)
    expect(r.stdout).toBe("")
    expect(lines(r.stderr)).toEqual([
      "imap: EXAMINE failed: NO [ALERT] \\x1b]0;pwned\\x07 \\x1b[2J \\x9b31m \\u202eevil"
    ])
  })

  it("--trace shows an ALERT's ESC and 8-bit C1 bytes escaped, like every server line", async () => {
    const r = await againstPeer(
      async (conn) => {
        await Peer.greet(conn)
        const tag = await conn.expect("LOGIN u p")
        await conn.sendRaw(
          Buffer.concat([
            Buffer.from("* OK [ALERT] \u001b]0;pwned\u0007 "),
            Buffer.from([0x9b, 0x32, 0x4a, 0x20, 0xc2, 0x9b, 0x20, 0xe2, 0x80, 0xae]),
            Buffer.from(`\r\n${tag} OK [CAPABILITY ${Peer.basicCapabilities}] Logged in\r\n`)
          ])
        )
        await Peer.acceptLogout(conn)
      },
      ["--trace", "capabilities"]
    )
    expect(r.code, r.stderr).toBe(0)
    expectNoRawControl(r)
    expect(r.stderr).toMatch(/^S: \* OK \[ALERT\] \\x1b\]0;pwned\\x07 \\x9b2J .\\x9b .\\x80.$/m)
  })
})
