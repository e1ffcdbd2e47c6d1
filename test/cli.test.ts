/**
 * The `imap` command end to end: `node packages/cli/dist/bin.js` (what users run) as a subprocess against the
 * run's Dovecot, as a user would run it. Every command in both output formats, the exit codes,
 * TLS (implicit, STARTTLS, private CA, --insecure), --trace redaction, and `watch` (IDLE delivery,
 * SIGINT, restart from a checkpoint).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { freePort } from "./support/FreePort.ts"
import * as ImapCli from "./support/ImapCli.ts"
import { imapEnv, lines, type Result } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"

const server = dovecot()
const scratch = mkdtempSync(path.join(os.tmpdir(), "imap-cli-test-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const envFor = (user: string, extra?: Record<string, string | undefined>) => imapEnv(server, user, extra)

const imap = (
  user: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string | undefined>; readonly input?: string | Uint8Array } = {}
): Promise<Result> => ImapCli.run(args, envFor(user, options.env), options.input)

const startWatch = (user: string, args: ReadonlyArray<string>) => ImapCli.startWatch(args, envFor(user))

let sequence = 0
const message = (
  subject: string,
  options: { readonly from?: string; readonly body?: string; readonly date?: string } = {}
) =>
  `From: ${options.from ?? "Alice <alice@example.com>"}\r\nTo: bob@example.com\r\nSubject: ${subject}\r\n` +
  `Date: ${options.date ?? "Thu, 26 Nov 2026 10:00:00 +0000"}\r\nMessage-ID: <cli-${++sequence}@example.com>\r\n\r\n` +
  `${options.body ?? `body of ${subject}`}\r\n`

const multipart =
  "From: Carol <carol@example.com>\r\nTo: bob@example.com\r\nSubject: with attachment\r\n" +
  "Date: Fri, 27 Nov 2026 09:30:00 +0000\r\nMIME-Version: 1.0\r\n" +
  'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
  "--b1\r\nContent-Type: text/plain\r\n\r\nthe text part\r\n" +
  "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n" +
  "--b1--\r\n"

/** A local port nothing listens on. */
/** One `imap: ...` line and no stack trace. */
const expectOneErrorLine = (r: Result, pattern: RegExp) => {
  const err = lines(r.stderr)
  expect(err, r.stderr).toHaveLength(1)
  expect(err[0]).toMatch(/^imap: /)
  expect(err[0]).toMatch(pattern)
}

describe("imap reading commands", { timeout: 60_000 }, () => {
  it("capabilities: one per line, or a JSON array; the password may come from --password-file", async () => {
    const user = freshUser("cli-caps")
    const passwordFile = path.join(scratch, "password")
    writeFileSync(passwordFile, `${server.password}\n`)
    const [plain, json] = await Promise.all([
      imap(user, ["capabilities", "--password-file", passwordFile], { env: { IMAP_PASSWORD: undefined } }),
      imap(user, ["capabilities", "--json"])
    ])
    expect(plain.code, plain.stderr).toBe(0)
    expect(lines(plain.stdout)).toContain("IMAP4REV1")
    expect(lines(plain.stdout)).toContain("IDLE")
    expect(json.code, json.stderr).toBe(0)
    expect(lines(json.stdout)).toHaveLength(1)
    expect(JSON.parse(json.stdout)).toEqual(lines(plain.stdout))
  })

  it("list: mailboxes with attributes, and with --status their counts", async () => {
    const user = freshUser("cli-list")
    await server.importMany(user, "INBOX", [message("one"), message("two")])
    await server.createMailbox(user, "Archive")
    const [plain, json] = await Promise.all([imap(user, ["list"]), imap(user, ["list", "--status", "--json"])])
    expect(plain.code, plain.stderr).toBe(0)
    expect(
      lines(plain.stdout)
        .map((l) => l.split("\t")[0])
        .sort()
    ).toEqual(["Archive", "INBOX"])
    expect(json.code, json.stderr).toBe(0)
    const boxes = lines(json.stdout).map((l) => JSON.parse(l))
    const inbox = boxes.find((b) => b.name === "INBOX")
    expect(inbox.status).toMatchObject({ messages: 2, unseen: 2, uidNext: 3 })
    expect(inbox.delimiter).toBeTypeOf("string")
    expect(Array.isArray(inbox.attributes)).toBe(true)
    expect(boxes.find((b) => b.name === "Archive").status.messages).toBe(0)
  })

  it("subjects: UID, date, sender and decoded subject per line; --json --limit gives the last N; nothing is marked seen", async () => {
    const user = freshUser("cli-subjects")
    await server.importMany(user, "INBOX", [
      message("=?UTF-8?Q?caf=C3=A9?= au lait", { date: "Thu, 26 Nov 2026 10:00:00 +0000" }),
      message("second", { from: "Bob <bob@example.com>", date: "Thu, 26 Nov 2026 11:30:00 +0000" }),
      message("third", { from: "carol@example.com", date: "Fri, 27 Nov 2026 08:15:00 +0000" })
    ])
    const [plain, json, seen] = await Promise.all([
      imap(user, ["subjects"]),
      imap(user, ["--json", "subjects", "--limit", "2"]),
      imap(user, ["subjects", "--limit", "1"])
    ])
    expect(plain.code, plain.stderr).toBe(0)
    expect(lines(plain.stdout)).toEqual([
      "1\t2026-11-26 10:00\tAlice <alice@example.com>\tcafé au lait",
      "2\t2026-11-26 11:30\tBob <bob@example.com>\tsecond",
      "3\t2026-11-27 08:15\tcarol@example.com\tthird"
    ])
    expect(json.code, json.stderr).toBe(0)
    const objects = lines(json.stdout).map((l) => JSON.parse(l))
    expect(objects.map((o) => o.uid)).toEqual([2, 3])
    expect(objects[0]).toEqual({
      uid: 2,
      uidValidity: expect.any(Number),
      seq: 2,
      subject: "second",
      from: [{ name: "Bob", address: "bob@example.com" }],
      date: "2026-11-26T11:30:00.000Z",
      flags: expect.any(Array),
      size: expect.any(Number)
    })
    expect(seen.stdout).toMatch(/^3\t/)
    // EXAMINE and a FETCH without BODY[]: still unseen.
    const unseen = await imap(user, ["search", "--unseen"])
    expect(lines(unseen.stdout)).toEqual(["1", "2", "3"])
  })

  it("subjects: words in charsets libmime decodes (KOI8-R, ISO-2022-JP, windows-1251) beside UTF-8 and Latin-1 ones", async () => {
    // The built `imap` is one bundled file in which libmime is loaded on the first word TextDecoder
    // does not cover: these subjects show it loads there and decodes. Without NODE_PATH, which
    // pnpm's shims point at every hoisted package (libmime too), as a user's shell has it.
    const user = freshUser("cli-charsets")
    await server.importMany(user, "INBOX", [
      message("=?KOI8-R?B?8NLJ18XU?="),
      message("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="),
      message("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?="),
      message("=?UTF-8?Q?caf=C3=A9?= =?ISO-8859-1?Q?cr=E8me?=")
    ])
    const r = await imap(user, ["subjects"], { env: { NODE_PATH: undefined } })
    expect(r.code, r.stderr).toBe(0)
    expect(lines(r.stdout).map((l) => l.split("\t")[3])).toEqual(["Привет", "テスト", "Привет", "cafécrème"])
  })

  it("fetch: the raw message, one part, or the header, byte for byte", async () => {
    const user = freshUser("cli-fetch")
    const plainMessage = message("raw bytes", { body: "line one\r\nline two" })
    await server.importMany(user, "INBOX", [plainMessage, multipart])
    const [raw, header, text, part2, part1mime, missing] = await Promise.all([
      imap(user, ["fetch", "1"]),
      imap(user, ["fetch", "1", "--headers"]),
      imap(user, ["fetch", "1", "--part", "TEXT"]),
      imap(user, ["fetch", "2", "--part", "2"]),
      imap(user, ["fetch", "2", "--part", "1.MIME"]),
      imap(user, ["fetch", "99"])
    ])
    expect(raw.code, raw.stderr).toBe(0)
    expect(raw.stdout).toBe(plainMessage)
    expect(header.stdout).toBe(`${plainMessage.split("\r\n\r\n")[0]}\r\n\r\n`)
    expect(text.stdout).toBe("line one\r\nline two\r\n")
    expect(part2.stdout).toBe("aGVsbG8=")
    expect(part1mime.stdout).toBe("Content-Type: text/plain\r\n\r\n")
    expect(missing.code).toBe(1)
    expectOneErrorLine(missing, /no message with UID 99/)
  })

  it("search: UIDs matching every criterion given (none: all), or a JSON array", async () => {
    const user = freshUser("cli-search")
    await server.importMany(user, "INBOX", [
      message("invoice march", { from: "Billing <billing@shop.example>", date: "Sun, 01 Mar 2026 10:00:00 +0000" }),
      message("hello", { body: "x".repeat(5000) }),
      message("invoice april", { from: "Billing <billing@shop.example>" })
    ])
    await imap(user, ["append", "--flags", "Seen,Flagged"], { input: message("flagged one") })
    const run = (...args: Array<string>) => imap(user, ["search", ...args]).then((r) => lines(r.stdout))
    const today = new Date().toISOString().slice(0, 10)
    const [all, fromAndSubject, largerUnseen, seenFlagged] = await Promise.all([
      imap(user, ["search", "--json"]),
      run("--from", "billing", "--subject", "april"),
      run("--larger", "4000", "--unseen"),
      run("--seen", "--flagged")
    ])
    expect(all.code, all.stderr).toBe(0)
    expect(lines(all.stdout)).toEqual(["[1,2,3,4]"])
    expect(fromAndSubject).toEqual(["3"])
    expect(largerUnseen).toEqual(["2"])
    expect(seenFlagged).toEqual(["4"])
    // INTERNALDATE is the time of import: everything is from today, nothing from before 2000.
    const [since, before] = await Promise.all([
      run("--since", today, "--from", "billing"),
      run("--before", "2000-01-01")
    ])
    expect(since).toEqual(["1", "3"])
    expect(before).toEqual([])
  })
})

describe("imap append", { timeout: 60_000 }, () => {
  it("appends a file or stdin, prints the new UID, sets flags, and the bytes come back unchanged", async () => {
    const user = freshUser("cli-append")
    const file = path.join(scratch, `append-${user}.eml`)
    const fromFile = message("from a file")
    writeFileSync(file, fromFile)
    const first = await imap(user, ["append", file])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe("1\n")
    const second = await imap(user, ["--json", "append", "--flags", "\\Flagged,$Label"], {
      input: message("from stdin")
    })
    expect(second.code, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout)).toEqual({ mailbox: "INBOX", uid: 2, uidValidity: expect.any(Number) })
    const [back, flags] = await Promise.all([imap(user, ["fetch", "1"]), imap(user, ["--json", "subjects"])])
    expect(back.stdout).toBe(fromFile)
    const second_ = JSON.parse(lines(flags.stdout)[1]!)
    expect(second_.flags).toEqual(expect.arrayContaining(["\\Flagged", "$Label"]))
  })

  it("converts a message with bare LF line ends to CRLF", async () => {
    const user = freshUser("cli-append-lf")
    const r = await imap(user, ["append"], { input: "Subject: unix\n\nfrom an editor\n" })
    expect(r.code, r.stderr).toBe(0)
    expect((await imap(user, ["fetch", "1"])).stdout).toBe("Subject: unix\r\n\r\nfrom an editor\r\n")
  })
})

describe("imap exit codes and errors", { timeout: 60_000 }, () => {
  it("3 when the password is wrong", async () => {
    const r = await imap(freshUser("cli-badpw"), ["capabilities"], { env: { IMAP_PASSWORD: "not-the-password" } })
    expect(r.code).toBe(3)
    expectOneErrorLine(r, /login failed/)
    expect(r.stderr).not.toContain("not-the-password")
  })

  it("4 when nothing listens on the port", async () => {
    const port = await freePort()
    const r = await imap(freshUser("cli-refused"), ["--port", String(port), "list"])
    expect(r.code).toBe(4)
    expectOneErrorLine(r, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`))
  })

  it("2 for effect/cli usage errors: an unknown flag, a bad value, a missing subcommand", async () => {
    const user = freshUser("cli-usage")
    const [unknown, badValue, badDate, none] = await Promise.all([
      imap(user, ["subjects", "--no-such-flag"]),
      imap(user, ["subjects", "--limit", "many"]),
      imap(user, ["search", "--since", "26/11/2026"]),
      imap(user, [])
    ])
    for (const r of [unknown, badValue, badDate, none]) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expectOneErrorLine(unknown, /^imap: Unrecognized flag: --no-such-flag.*\(see 'imap subjects --help'\)$/)
    expectOneErrorLine(badValue, /^imap: .*--limit/)
    expectOneErrorLine(badDate, /YYYY-MM-DD/)
  })

  it("2 for configuration errors: no host, no password without a terminal, an unreadable CA file", async () => {
    const user = freshUser("cli-config")
    const [noHost, noPassword, noCa, badPort] = await Promise.all([
      imap(user, ["list"], { env: { IMAP_HOST: undefined } }),
      imap(user, ["list"], { env: { IMAP_PASSWORD: undefined } }),
      imap(user, ["list", "--ca-file", path.join(scratch, "missing.pem")]),
      imap(user, ["list"], { env: { IMAP_PORT: "abc" } })
    ])
    expect(badPort.code).toBe(2)
    expectOneErrorLine(badPort, /^imap: IMAP_PORT is not a valid value for --port: expected .*number/)
    expect(noHost.code).toBe(2)
    expect(noHost.stderr).toMatch(/--host/)
    expect(noPassword.code).toBe(2)
    expectOneErrorLine(noPassword, /no password: set IMAP_PASSWORD/)
    expect(noCa.code).toBe(2)
    expectOneErrorLine(noCa, /cannot read CA file/)
  })

  it("2 before connecting for a bad --part, --part with --headers, an empty message, an unwritable --checkpoint", async () => {
    // Nothing listens on the port: a command that connected first would exit 4, not 2.
    const user = freshUser("cli-precheck")
    const env = { IMAP_PORT: String(await freePort()) }
    const [badPart, both, empty, checkpoint] = await Promise.all([
      imap(user, ["fetch", "1", "--part", "bogus"], { env }),
      imap(user, ["fetch", "1", "--part", "1", "--headers"], { env }),
      imap(user, ["append"], { env, input: "" }),
      imap(user, ["watch", "--checkpoint", path.join(scratch, "no-such-dir", "cp.json")], { env })
    ])
    for (const r of [badPart, both, empty, checkpoint]) expect(r.code, r.stderr).toBe(2)
    expectOneErrorLine(badPart, /--part: not a section: bogus/)
    expectOneErrorLine(both, /either --part or --headers/)
    expectOneErrorLine(empty, /the message is empty/)
    expectOneErrorLine(checkpoint, /cannot use checkpoint file .*not a writable directory/)
  })

  it("5 when the server rejects the command (no such mailbox)", async () => {
    const r = await imap(freshUser("cli-nobox"), ["--mailbox", "NoSuchBox", "subjects"])
    expect(r.code).toBe(5)
    expectOneErrorLine(r, /EXAMINE failed: NO/)
  })

  it("--help documents the exit codes and exits 0", async () => {
    const r = await imap(freshUser("cli-help"), ["--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Exit codes:/)
    expect(r.stdout).toMatch(/3 {2}authentication failed/)
  })

  it("on a terminal without IMAP_PASSWORD, asks for the password without echoing it", async () => {
    // util-linux `script` gives the command a pseudo-terminal; the test types into it.
    const user = freshUser("cli-prompt")
    const env = envFor(user, { IMAP_PASSWORD: undefined })
    const child = spawn("script", ["-qec", `"${process.execPath}" "${ImapCli.bin}" capabilities`, "/dev/null"], { env })
    let screen = ""
    const typed = new Promise<void>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        screen += c.toString("utf8")
        if (screen.includes("Password for ")) resolve()
      })
    })
    const code = new Promise<number | null>((resolve) => child.once("close", resolve))
    await typed
    child.stdin.write(`${server.password}\r`)
    expect(await code, screen).toBe(0)
    expect(screen).toContain(`Password for ${user}@${server.host}: `)
    expect(screen).toContain("IMAP4REV1")
    expect(screen).not.toContain(server.password)
  })
})

describe("imap over TLS, and --trace", { timeout: 60_000 }, () => {
  it("implicit TLS trusting the test CA with --ca-file; 4 with a hint without it; --insecure warns", async () => {
    const user = freshUser("cli-tls")
    const tlsArgs = ["--tls", "implicit", "--port", String(server.tlsPort)]
    const [trusted, untrusted, insecure] = await Promise.all([
      imap(user, [...tlsArgs, "--ca-file", server.caPath, "list"]),
      imap(user, [...tlsArgs, "list"]),
      imap(user, [...tlsArgs, "--insecure", "list"])
    ])
    expect(trusted.code, trusted.stderr).toBe(0)
    expect(trusted.stdout).toMatch(/^INBOX/)
    expect(trusted.stderr).toBe("")
    expect(untrusted.code).toBe(4)
    expectOneErrorLine(untrusted, /TLS failed: .*--ca-file/)
    expect(insecure.code, insecure.stderr).toBe(0)
    expect(insecure.stdout).toMatch(/^INBOX/)
    expectOneErrorLine(insecure, /warning: --insecure/)
  })

  it("STARTTLS on the plain port, CA from IMAP_CA_FILE", async () => {
    const r = await imap(freshUser("cli-starttls"), ["--tls", "starttls", "list"], {
      env: { IMAP_CA_FILE: server.caPath }
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^INBOX/)
  })

  it("--trace shows the exchange on stderr with the password redacted", async () => {
    const user = freshUser("cli-trace")
    const r = await imap(user, ["--trace", "capabilities"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^S: \* OK/m)
    expect(r.stderr).toMatch(/^C: A\d+ (LOGIN|AUTHENTICATE) .*<redacted>/m)
    expect(r.stderr).toMatch(/^C: A\d+ LOGOUT/m)
    expect(r.stderr).not.toContain(server.password)
    // SASL PLAIN's initial response is the password in base64.
    expect(r.stderr).not.toContain(Buffer.from(`\0${user}\0${server.password}`).toString("base64"))
    expect(r.stdout).toContain("IMAP4REV1")
  })
})

describe("imap watch", { timeout: 60_000 }, () => {
  it("prints mail delivered while it idles, and SIGINT ends IDLE and the session cleanly with exit 0", async () => {
    const user = freshUser("cli-watch")
    await server.importMany(user, "INBOX", [message("already there")])
    const watch = startWatch(user, ["--trace", "watch"])
    await watch.watching()
    expect(watch.stderr).toMatch(/^watching INBOX \(uidvalidity \d+, last uid 1\)$/m)
    await server.deliver(user, "INBOX", message("first new", { from: "Dave <dave@example.com>" }))
    await server.deliver(user, "INBOX", message("second new"))
    await watch.outputLines(2)
    expect(await watch.stop()).toBe(0)
    expect(lines(watch.stdout).map((l) => l.split("\t")[3])).toEqual(["first new", "second new"])
    expect(lines(watch.stdout)[0]).toMatch(/^2\t.*\tDave <dave@example\.com>\tfirst new$/)
    // Interrupted while idling: DONE, the tagged OK, then LOGOUT.
    expect(watch.stderr).toMatch(/^C: DONE$[\s\S]*^S: A\d+ OK Idle[\s\S]*^C: A\d+ LOGOUT$/m)
    expect(watch.stderr).not.toContain(server.password)
  })

  it("--json prints the subjects format; --since-uid also prints older mail; SIGTERM exits 0 too", async () => {
    const user = freshUser("cli-watch-json")
    await server.importMany(user, "INBOX", [message("old 1"), message("old 2"), message("old 3")])
    const watch = startWatch(user, ["--json", "watch", "--since-uid", "1"])
    await watch.watching()
    await server.deliver(user, "INBOX", message("fresh"))
    await watch.outputLines(3)
    expect(await watch.stop("SIGTERM")).toBe(0)
    const objects = lines(watch.stdout).map((l) => JSON.parse(l))
    expect(objects.map((o) => [o.uid, o.subject])).toEqual([
      [2, "old 2"],
      [3, "old 3"],
      [4, "fresh"]
    ])
    expect(Object.keys(objects[0]).sort()).toEqual([
      "date",
      "flags",
      "from",
      "seq",
      "size",
      "subject",
      "uid",
      "uidValidity"
    ])
  })

  it("restarted with the same --checkpoint, it misses and repeats nothing", async () => {
    const user = freshUser("cli-watch-cp")
    const checkpoint = path.join(scratch, `${user}.json`)
    await server.importMany(user, "INBOX", [message("before the first run")])
    const first = startWatch(user, ["watch", "--checkpoint", checkpoint])
    await first.watching()
    await server.deliver(user, "INBOX", message("m1"))
    await server.deliver(user, "INBOX", message("m2"))
    await first.outputLines(2)
    expect(await first.stop()).toBe(0)
    // Delivered while nobody watches.
    await server.deliver(user, "INBOX", message("m3"))
    await server.deliver(user, "INBOX", message("m4"))
    const second = startWatch(user, ["watch", "--checkpoint", checkpoint])
    await second.watching()
    await second.outputLines(2)
    await server.deliver(user, "INBOX", message("m5"))
    await second.outputLines(3)
    expect(await second.stop()).toBe(0)
    const subjectsOf = (out: string) => lines(out).map((l) => l.split("\t")[3])
    expect(subjectsOf(first.stdout)).toEqual(["m1", "m2"])
    expect(subjectsOf(second.stdout)).toEqual(["m3", "m4", "m5"])
    expect(second.stderr).toMatch(/^watching INBOX \(uidvalidity \d+, last uid 5\)$/m)
  })

  it("gives up with the error's exit code when the first connection fails", async () => {
    const user = freshUser("cli-watch-fail")
    const [refused, badPassword] = await Promise.all([
      imap(user, ["--port", String(await freePort()), "watch"]),
      imap(user, ["watch"], { env: { IMAP_PASSWORD: "wrong" } })
    ])
    expect(refused.code).toBe(4)
    expectOneErrorLine(refused, /cannot connect/)
    expect(badPassword.code).toBe(3)
    expectOneErrorLine(badPassword, /login failed/)
  })
})
