/**
 * `imap fleet add|remove|status` against a fleet database (a SQLite file), as a user types them:
 * add needs a host and a user and a secret source it can store (a prompt is refused, exit 2) and
 * watches every --mailbox and MAILBOX given (another command refuses a second --mailbox); status
 * lists each mailbox with its state, as text or JSON, and never shows a secret; remove tombstones a
 * mailbox (shown as removing) and refuses one the fleet does not watch (exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as ImapCli from "./support/ImapCli.ts"
import { imapEnv } from "./support/Subprocess.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-cli-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const db = `sqlite:${path.join(dir, "fleet.db")}`
const server = { host: "127.0.0.1", port: 1143, password: "pw-never-shown" }
const env = (extra: Record<string, string | undefined> = {}) => imapEnv(server, "ann", { IMAP_FLEET_DB: db, ...extra })

describe("imap fleet", () => {
  it("add, status, remove: a fleet's registry from the command line", async () => {
    const noSecret = await ImapCli.run(["fleet", "add", "ann"], env({ IMAP_PASSWORD: undefined }))
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toMatch(/never stores a password|no password/)

    const noHost = await ImapCli.run(["fleet", "add", "ann"], env({ IMAP_HOST: undefined }))
    expect(noHost.code).toBe(2)
    expect(noHost.stderr).toContain("Missing required flag: --host")

    const secretFile = path.join(dir, "pw")
    writeFileSync(secretFile, "pw-never-shown\n")
    const added = await ImapCli.run(
      ["fleet", "add", "ann", "INBOX", "Sent", "--password-file", secretFile],
      env({ IMAP_PASSWORD: undefined })
    )
    expect(added.stderr).toContain("added ann: watching INBOX, Sent")
    expect(added.code).toBe(0)
    const withEnv = await ImapCli.run(["fleet", "add", "bob", "--user", "bob"], env())
    expect(withEnv.code).toBe(0)
    const repeated = await ImapCli.run(
      ["fleet", "add", "cy", "--user", "cy", "--mailbox", "INBOX", "--mailbox", "Sent", "Drafts"],
      env()
    )
    expect(repeated.stderr).toContain("added cy: watching INBOX, Sent, Drafts")
    expect(repeated.code).toBe(0)
    const oneOnly = await ImapCli.run(["subjects", "--mailbox", "INBOX", "--mailbox", "Sent"], env())
    expect(oneOnly.code).toBe(2)
    expect(oneOnly.stderr).toContain("--mailbox given 2 times: this command works on one mailbox")

    const text = await ImapCli.run(["fleet", "status"], env())
    expect(text.code).toBe(0)
    expect(text.stdout.trim().split("\n")).toEqual([
      "mailbox\tann\tINBOX\t-\tadded\t-\t-",
      "mailbox\tann\tSent\t-\tadded\t-\t-",
      "mailbox\tbob\tINBOX\t-\tadded\t-\t-",
      "mailbox\tcy\tDrafts\t-\tadded\t-\t-",
      "mailbox\tcy\tINBOX\t-\tadded\t-\t-",
      "mailbox\tcy\tSent\t-\tadded\t-\t-"
    ])
    const json = await ImapCli.run(["fleet", "status", "--json"], env())
    expect(
      JSON.parse(json.stdout).mailboxes.map((m: { account: string; mailbox: string }) => `${m.account}/${m.mailbox}`)
    ).toEqual(["ann/INBOX", "ann/Sent", "bob/INBOX", "cy/Drafts", "cy/INBOX", "cy/Sent"])
    expect(json.stdout + text.stdout).not.toContain("pw-never-shown")

    const removed = await ImapCli.run(["fleet", "remove", "ann", "Sent"], env())
    expect(removed.code).toBe(0)
    const after = await ImapCli.run(["fleet", "status"], env())
    expect(after.stdout).toContain("mailbox\tann\tSent\t-\tremoving\t-\t-")
    const again = await ImapCli.run(["fleet", "remove", "ann", "Sent"], env())
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("ann Sent is not watched by this fleet")
  })
})
