/**
 * `imap` refuses a value IMAP cannot carry before connecting: exit 2 and one `imap: ...` line that
 * names the flag or argument once, while a listening scripted peer sees no connection at all (a UID
 * outside 1..4294967295, a part number past it, `--since-uid 4294967295`, an invalid `--flags`, a
 * `--mailbox` with CR LF). A message with NUL bytes for a server without BINARY is the server's
 * lack, exit 5 with nothing appended; Dovecot, which has BINARY, stores it. Search text with CR LF
 * needs no check: it goes as a literal, and Dovecot answers the search.
 */
import { describe, expect, it } from "vitest"
import * as ImapCli from "./support/ImapCli.ts"
import * as Peer from "./support/ScriptedPeer.ts"
import { imapEnv, lines, type Result } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()

const plainMessage = "Subject: usage\r\n\r\nbody\r\n"

/** One `imap: ...` line on stderr matching `pattern`, and no prefix said twice (`x: x: ...`). */
const expectOneErrorLine = (r: Result, pattern: RegExp) => {
  const err = lines(r.stderr)
  expect(err, r.stderr).toHaveLength(1)
  expect(err[0]).toMatch(/^imap: /)
  expect(err[0]).toMatch(pattern)
  expect(err[0]).not.toMatch(/(\S+): \1: /)
}

describe("values IMAP cannot carry", { timeout: 30_000 }, () => {
  it.each([
    [["fetch", "99999999999"], /argument <uid>.*Expected a UID from 1 to 4294967295, got 99999999999/],
    [["fetch", "4294967296"], /Expected a UID from 1 to 4294967295, got 4294967296/],
    [["fetch", "1", "--part", "4294967296.1"], /^imap: --part: not a section: 4294967296\.1$/],
    [["watch", "--since-uid", "4294967295"], /--since-uid.*Expected a UID from 0 to 4294967294, got 4294967295/],
    [["append", "--flags", "Seen,a\r\nb"], /^imap: --flags: not a flag or keyword: "a\\r\\nb" \(an atom: /],
    [["append", "--flags", "(x)"], /^imap: --flags: not a flag or keyword: "\(x\)"/],
    [["--mailbox", "INBOX\r\nA1 DELETE x", "subjects"], /^imap: --mailbox: .* U\+000D, .*\(RFC 9051 5\.1\)$/],
    [["--mailbox", "", "search"], /^imap: --mailbox: the mailbox name is empty$/]
  ])("imap %j: exit 2 before connecting", async (args, pattern) => {
    const peer = await Peer.start(async () => {
      throw new Error("the CLI connected")
    })
    try {
      const r = await ImapCli.run(args, ImapCli.peerEnv(peer.port), plainMessage)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stdout).toBe("")
      expectOneErrorLine(r, pattern)
      expect(peer.connections()).toBe(0)
    } finally {
      await peer.stop()
    }
  })
})

describe("a message with NUL bytes", { timeout: 30_000 }, () => {
  const withNul = "Subject: nul\r\n\r\nbefore\u0000after\r\n"

  it("for a server without BINARY: exit 5, no APPEND sent", async () => {
    const peer = await Peer.start(async (conn) => {
      await Peer.login(conn)
      await Peer.acceptLogout(conn)
    })
    try {
      const r = await ImapCli.run(["append"], ImapCli.peerEnv(peer.port), withNul)
      await peer.finished()
      expect(r.code, r.stderr).toBe(5)
      expect(r.stdout).toBe("")
      expectOneErrorLine(r, /^imap: APPEND of a message with NUL bytes needs the server capability BINARY$/)
      expect(peer.received.some((l) => /APPEND/i.test(l))).toBe(false)
    } finally {
      await peer.stop()
    }
  })

  it("for Dovecot, which has BINARY: stored, its UID printed", async () => {
    const user = freshUser("cli-append-nul")
    const r = await ImapCli.run(["append"], imapEnv(server, user), withNul)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe("1\n")
  })
})

describe("values any string may be", { timeout: 30_000 }, () => {
  it("search text with CR LF goes as a literal: Dovecot answers the search, nothing injected", async () => {
    const user = freshUser("cli-search-crlf")
    await server.importMany(user, "INBOX", [plainMessage])
    const env = imapEnv(server, user)
    const [crlf, all] = await Promise.all([
      ImapCli.run(["search", "--subject", "usage\r\nA1 EXPUNGE"], env),
      ImapCli.run(["search"], env)
    ])
    expect(crlf.code, crlf.stderr).toBe(0)
    expect(crlf.stdout).toBe("")
    expect(all.stdout).toBe("1\n")
  })
})
