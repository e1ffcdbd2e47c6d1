/**
 * Every log line of `imap` goes to stderr, under any `--log-level`, so stdout holds only data:
 * with `--log-level debug` against Dovecot every stdout line of `--json subjects` is a JSON object
 * and the protocol lines are on stderr (the password redacted), and `fetch` still writes the message
 * byte for byte; the warning about plaintext injected after STARTTLS's OK (CVE-2011-0411; a
 * scripted peer that really upgrades) is on stderr at the default level, with stdout clean.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as ImapCli from "./support/ImapCli.ts"
import * as Peer from "./support/ScriptedPeer.ts"
import { imapEnv, lines } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()
const scratch = mkdtempSync(path.join(os.tmpdir(), "imap-cli-logging-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const message = (n: number) =>
  `From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: logged ${n}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <logging-${n}@example.com>\r\n\r\nbody ${n}\r\n`

describe("imap --log-level debug against Dovecot", { timeout: 60_000 }, () => {
  it("--json subjects: every stdout line is JSON; the debug lines, password redacted, are on stderr", async () => {
    const user = freshUser("cli-log-json")
    await server.importMany(user, "INBOX", [message(1), message(2)])
    const r = await ImapCli.run(["--log-level", "debug", "--json", "subjects"], imapEnv(server, user))
    expect(r.code, r.stderr).toBe(0)
    const objects = lines(r.stdout).map((l) => JSON.parse(l))
    expect(objects.map((o) => o.subject)).toEqual(["logged 1", "logged 2"])
    expect(r.stderr).toMatch(/^imap: debug: S: \* OK /m)
    expect(r.stderr).toMatch(/^imap: debug: C: \S+ (LOGIN|AUTHENTICATE) .*<redacted>/m)
    expect(r.stderr).toMatch(/^imap: debug: C: \S+ UID FETCH|^imap: debug: C: \S+ FETCH/m)
    expect(r.stderr).not.toContain(server.password)
  })

  it("fetch writes the message byte for byte, the debug lines on stderr", async () => {
    const user = freshUser("cli-log-fetch")
    await server.importMany(user, "INBOX", [message(3)])
    const r = await ImapCli.run(["--log-level", "debug", "fetch", "1"], imapEnv(server, user))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(message(3))
    expect(r.stderr).toMatch(/^imap: debug: S: \* 1 FETCH /m)
  })
})

describe("the STARTTLS plaintext-injection warning", { timeout: 30_000 }, () => {
  it("is on stderr and stdout holds only the capabilities", async () => {
    const { cert } = await Peer.certificate()
    const caFile = path.join(scratch, "peer-ca.pem")
    writeFileSync(caFile, cert)
    const peer = await Peer.start(async (conn) => {
      await Peer.greet(conn, "IMAP4rev1 STARTTLS")
      const tag = await conn.expect("STARTTLS")
      // A man in the middle appends a response to the OK, in the same segment.
      await conn.sendRaw(`${tag} OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 XINJECTED\r\n`)
      await conn.startTls()
      const caps = await conn.expect("CAPABILITY")
      await conn.send("* CAPABILITY IMAP4rev1 IDLE XSECURE", `${caps} OK Capability completed.`)
      await Peer.acceptLogin(conn, "IMAP4rev1 IDLE XSECURE")
      await Peer.acceptLogout(conn)
    })
    try {
      const r = await ImapCli.run(
        ["--tls", "starttls", "--ca-file", caFile, "capabilities"],
        ImapCli.peerEnv(peer.port)
      )
      await peer.finished()
      expect(r.code, r.stderr).toBe(0)
      expect(lines(r.stdout)).toEqual(["IMAP4REV1", "IDLE", "XSECURE"])
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(/^imap: warning: discarded \d+ bytes\/responses sent in clear text after STARTTLS$/)
      ])
    } finally {
      await peer.stop()
    }
  })
})
