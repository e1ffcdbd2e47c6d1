/**
 * `imap watch` (the built CLI, as users run it) on Dovecot, Cyrus and Courier: it prints a message
 * appended after it started exactly once and none of those already there; it survives kill -9 of the
 * server process serving its connection (reconnects, catches up, repeats nothing); and stopped with
 * SIGTERM and restarted from its --checkpoint it prints exactly the messages that arrived meanwhile.
 * Each server pushes new mail at its own pace (Cyrus through idled in milliseconds, Dovecot after its
 * 0.5 s hold, Courier on gamin's 1 s tick), so every step waits for the output it expects.
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, it } from "vitest"
import * as ImapCli from "./support/ImapCli.ts"
import { accountEnv, lines } from "./support/Subprocess.ts"
import { type Account, imapServer, serverNames } from "./support/TestServer.ts"

const scratch = mkdtempSync(path.join(os.tmpdir(), "imap-servers-watch-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let sequence = 0
const message = (subject: string) =>
  `From: Feed <feed@example.com>\r\nTo: watcher@example.com\r\nSubject: ${subject}\r\n` +
  `Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <watch-${process.pid}-${++sequence}@example.com>\r\n\r\n` +
  `body of ${subject}\r\n`

type Watch = ReturnType<typeof ImapCli.startWatch>

/** The mailbox and last UID of each `watching MAILBOX (uidvalidity N, last uid M)` line. */
const watchingLines = (watch: Watch) =>
  [...watch.stderr.matchAll(/^watching (\S+) \(uidvalidity \d+, last uid (\d+)\)$/gm)].map((m) => [m[1], Number(m[2])])

/** The UID and subject of each line `imap watch` printed. */
const printed = (watch: Watch) => lines(watch.stdout).map((l) => [Number(l.split("\t")[0]), l.split("\t")[3]])

// Concurrent: every test has a mailbox of its own, and its time is mostly the servers' IDLE pace and
// subprocess start-up, which overlap.
describe.concurrent.each(serverNames)("%s", (name) => {
  const server = imapServer(name)
  const watchOf = (account: Account, args: ReadonlyArray<string> = []) =>
    ImapCli.startWatch(["watch", ...args], accountEnv(server, account))
  const append = (account: Account, subject: string) => server.append(account, message(subject))

  it("prints a message appended after it started, exactly once, and none of those already there", async ({
    expect
  }) => {
    const account = await server.freshAccount("watch-live")
    await append(account, "already there 1")
    const last = await append(account, "already there 2")
    const watch = watchOf(account)
    let uids: Array<number> = []
    try {
      await watch.watching()
      expect(watchingLines(watch)).toEqual([[account.mailbox, last]])
      uids = [await append(account, "new one")]
      await watch.outputLines(1)
      // A second message is the barrier: a repeat of the first would have been printed before it.
      uids.push(await append(account, "newer one"))
      await watch.outputLines(2)
    } finally {
      expect(await watch.stop("SIGTERM")).toBe(0)
    }
    expect(printed(watch)).toEqual([
      [uids[0], "new one"],
      [uids[1], "newer one"]
    ])
  })

  it("survives kill -9 of the server process serving it: reconnects and prints the next message once", async ({
    expect
  }) => {
    const account = await server.freshAccount("watch-kill")
    await append(account, "already there")
    const watch = watchOf(account)
    const uids: Array<number> = []
    try {
      await watch.watching()
      uids.push(await append(account, "before the kill"))
      await watch.outputLines(1)
      const killed = await server.killServing(watch.pid)
      expect(killed.length).toBeGreaterThan(0)
      // Reconnected, caught up, idling again.
      await watch.watching(2)
      uids.push(await append(account, "after the kill"))
      await watch.outputLines(2)
      uids.push(await append(account, "barrier"))
      await watch.outputLines(3)
    } finally {
      expect(await watch.stop("SIGTERM")).toBe(0)
    }
    expect(watch.stderr).toMatch(/^imap: connection lost \(.*\); reconnecting \(attempt 1\)$/m)
    expect(printed(watch)).toEqual([
      [uids[0], "before the kill"],
      [uids[1], "after the kill"],
      [uids[2], "barrier"]
    ])
  })

  it("restarted from its --checkpoint after SIGTERM, prints exactly the messages that arrived meanwhile", async ({
    expect
  }) => {
    const account = await server.freshAccount("watch-cp")
    const checkpoint = path.join(scratch, `${name}-${path.basename(account.mailbox)}.json`)
    await append(account, "before the first run")
    const first = watchOf(account, ["--checkpoint", checkpoint])
    const uids: Array<number> = []
    try {
      await first.watching()
      uids.push(await append(account, "seen live"))
      await first.outputLines(1)
    } finally {
      expect(await first.stop("SIGTERM")).toBe(0)
    }
    // Delivered while nobody watches.
    uids.push(await append(account, "missed 1"))
    uids.push(await append(account, "missed 2"))
    const second = watchOf(account, ["--checkpoint", checkpoint])
    try {
      await second.watching()
      await second.outputLines(2)
      uids.push(await append(account, "seen live again"))
      await second.outputLines(3)
    } finally {
      expect(await second.stop("SIGTERM")).toBe(0)
    }
    expect(printed(first)).toEqual([[uids[0], "seen live"]])
    expect(printed(second)).toEqual([
      [uids[1], "missed 1"],
      [uids[2], "missed 2"],
      [uids[3], "seen live again"]
    ])
    // Caught up before it idles: the watching line follows the missed messages.
    expect(watchingLines(second)).toEqual([[account.mailbox, uids[2]]])
  })
})
