/**
 * Mailboxes and messages on Dovecot, Cyrus and Courier alike: LIST shows created mailboxes with the
 * server's hierarchy separator and LIST-STATUS/STATUS their counts (client and `imap list --status`);
 * APPEND then FETCH gives back an ASCII, an RFC 2047, an 8-bit UTF-8 and a multipart message byte for
 * byte with the decoded subject, and FETCH of UID * returns the last message; `imap subjects` prints
 * the decoded subjects; `imap search --subject` with non-ASCII text finds exactly the matching
 * message; `imap fetch UID --part 2` prints exactly the second part.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { EncodedWord, SequenceSet } from "@pkg/protocol"
import { Effect, Stream } from "effect"
import * as ImapCli from "./support/ImapCli.ts"
import { accountEnv, lines } from "./support/Subprocess.ts"
import { type Account, clientOptions, imapServer, serverNames } from "./support/TestServer.ts"

let sequence = 0
const headers = (subject: string, extra = "") =>
  `From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <servers-${process.pid}-${++sequence}@example.com>\r\n${extra}`

interface Sample {
  readonly name: string
  readonly raw: string
  /** The subject as a reader sees it. */
  readonly subject: string
}

const samples: ReadonlyArray<Sample> = [
  { name: "an ASCII message", raw: `${headers("plain ascii")}\r\nhello\r\n`, subject: "plain ascii" },
  {
    name: "an RFC 2047 subject",
    raw: `${headers("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=")}\r\nencoded words\r\n`,
    subject: "Grüße aus Köln"
  },
  {
    name: "8-bit UTF-8 headers and body",
    raw:
      headers("Straße nach Zürich", "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n") +
      "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße, € and 日本語\r\n",
    subject: "Straße nach Zürich"
  },
  {
    name: "a multipart message",
    raw:
      headers("with attachment", 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n') +
      "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nthe text part\r\n" +
      "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n" +
      "--b1--\r\n",
    subject: "with attachment"
  }
]

// Concurrent: every test has a mailbox of its own, and its time is mostly the servers' IDLE pace and
// subprocess start-up, which overlap.
describe.concurrent.each(serverNames)("%s", (name) => {
  const server = imapServer(name)
  const fresh = (prefix: string) => Effect.promise(() => server.freshAccount(prefix))
  const imap = (account: Account, args: ReadonlyArray<string>) => ImapCli.run(args, accountEnv(server, account))

  it.live("LIST shows created mailboxes with the server's separator, and LIST-STATUS/STATUS their counts", () =>
    Effect.gen(function* () {
      const account = yield* fresh("list")
      const child = `${account.mailbox}${server.separator}child`
      const client = yield* ImapClient.make(clientOptions(server, account))
      yield* client.create(child)
      yield* client.append(account.mailbox, samples[0]?.raw ?? "")
      yield* client.append(account.mailbox, samples[1]?.raw ?? "")
      const boxes = yield* client.list(`${account.mailbox}*`, { status: ["MESSAGES", "UIDNEXT", "UNSEEN"] })
      assert.deepStrictEqual(boxes.map((b) => [b.name, b.delimiter, b.status?.messages, b.status?.unseen]).sort(), [
        [account.mailbox, server.separator, 2, 2],
        [child, server.separator, 0, 0]
      ])
      const status = yield* client.status(account.mailbox)
      assert.strictEqual(status.messages, 2)
      assert.isAbove(status.uidNext ?? 0, 2)
      const cli = yield* Effect.promise(() => imap(account, ["list", "--status", "--json"]))
      assert.strictEqual(cli.code, 0, cli.stderr)
      const listed = lines(cli.stdout)
        .map((l) => JSON.parse(l))
        .filter((b) => b.name.startsWith(account.mailbox))
      assert.deepStrictEqual(listed.map((b) => [b.name, b.delimiter, b.status?.messages]).sort(), [
        [account.mailbox, server.separator, 2],
        [child, server.separator, 0]
      ])
    })
  )

  it.live.each(samples)("APPEND then FETCH gives back $name byte for byte, with its decoded subject", (sample) =>
    Effect.gen(function* () {
      const account = yield* fresh("roundtrip")
      const client = yield* ImapClient.make(clientOptions(server, account))
      const appended = yield* client.append(account.mailbox, sample.raw)
      assert.isDefined(appended.uid)
      const uid = appended.uid ?? SequenceSet.Uid(0)
      yield* client.examine(account.mailbox)
      const body = Buffer.concat(yield* client.fetchBody(uid).pipe(Stream.runCollect))
      assert.strictEqual(body.toString("hex"), Buffer.from(sample.raw, "utf8").toString("hex"))
      const fetched = yield* client
        .fetch(SequenceSet.single("uid", uid), [{ _tag: "Uid" }, { _tag: "Envelope" }])
        .pipe(Stream.runCollect)
      assert.deepStrictEqual(
        fetched.map((m) => [Number(m.attributes.uid), EncodedWord.decode(m.attributes.envelope?.subject)]),
        [[Number(uid), sample.subject]]
      )
    })
  )

  it.live("FETCH of the last message by UID (*) returns that message", () =>
    Effect.gen(function* () {
      const account = yield* fresh("last")
      const client = yield* ImapClient.make(clientOptions(server, account))
      yield* client.append(account.mailbox, samples[0]?.raw ?? "")
      const last = yield* client.append(account.mailbox, samples[1]?.raw ?? "")
      yield* client.examine(account.mailbox)
      const fetched = yield* client
        .fetch(SequenceSet.last("uid"), [{ _tag: "Uid" }, { _tag: "Envelope" }])
        .pipe(Stream.runCollect)
      assert.deepStrictEqual(
        fetched.map((m) => [Number(m.attributes.uid), EncodedWord.decode(m.attributes.envelope?.subject)]),
        [[Number(last.uid), samples[1]?.subject]]
      )
    })
  )

  it("imap subjects prints the decoded subject of each message, in UID order", async ({ expect }) => {
    const account = await server.freshAccount("subjects")
    const uids: Array<number> = []
    for (const sample of samples) uids.push(await server.append(account, sample.raw))
    const r = await imap(account, ["subjects"])
    expect(r.code, r.stderr).toBe(0)
    expect(lines(r.stdout).map((l) => [Number(l.split("\t")[0]), l.split("\t")[3]])).toEqual(
      samples.map((s, i) => [uids[i], s.subject])
    )
  })

  it("imap search --subject with non-ASCII text finds exactly the matching message", async ({ expect }) => {
    const account = await server.freshAccount("search")
    await server.append(account, `${headers("Koln without the umlaut")}\r\nno\r\n`)
    const koeln = await server.append(account, samples[1]?.raw ?? "")
    await server.append(account, `${headers("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_Berlin?=")}\r\nno\r\n`)
    const r = await imap(account, ["search", "--subject", "Köln"])
    expect(r.code, r.stderr).toBe(0)
    expect(lines(r.stdout)).toEqual([String(koeln)])
  })

  it("imap fetch UID --part 2 prints exactly the second part", async ({ expect }) => {
    const account = await server.freshAccount("part")
    await server.append(account, samples[0]?.raw ?? "")
    const uid = await server.append(account, samples[3]?.raw ?? "")
    const [part2, part1] = await Promise.all([
      imap(account, ["fetch", String(uid), "--part", "2"]),
      imap(account, ["fetch", String(uid), "--part", "1"])
    ])
    expect(part2.code, part2.stderr).toBe(0)
    expect(part2.stdout).toBe("aGVsbG8=")
    expect(part1.code, part1.stderr).toBe(0)
    expect(part1.stdout).toBe("the text part")
  })
})
