/**
 * `imap watch` (the built CLI, as a subprocess) whose stdout is read slowly: the process does not
 * queue a large replay in memory. Its stdout waits for the pipe to drain, the watcher's hand-off
 * waits for it, and the FETCH stops reading the socket, so the server's write blocks; once the
 * reader catches up, every message is printed once, in UID order. A scripted server, because what
 * is shown is the server's side of TCP backpressure (Dovecot's writes cannot be watched).
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Peer from "./support/ScriptedPeer.ts"

const bin = path.join(import.meta.dirname, "..", "packages", "cli", "dist", "bin.js")

const fetched = (uid: number) =>
  `* ${uid} FETCH (UID ${uid} FLAGS () ENVELOPE ("Thu, 26 Nov 2026 10:00:00 +0000" "subject number ${uid}" NIL NIL NIL NIL NIL NIL NIL "<${uid}@example.com>") RFC822.SIZE 2048 INTERNALDATE "26-Nov-2026 10:00:00 +0000")\r\n`

describe("imap watch with a slow reader of its output", { timeout: 60_000 }, () => {
  it("holds the server's replay in TCP, not in memory, then prints every message once, in order", async () => {
    const count = 30_000
    let flushed = false
    let replyBytes = 0
    const peer = await Peer.start(async (conn) => {
      await Peer.login(conn)
      const examine = await conn.expect("EXAMINE INBOX")
      await conn.send(
        `* ${count} EXISTS`,
        "* OK [UIDVALIDITY 7] UIDs valid",
        `* OK [UIDNEXT ${count + 1}] Predicted next UID`,
        `${examine} OK [READ-ONLY] Examine completed.`
      )
      const fetch = await conn.expect(/^UID FETCH 1:\* /)
      let lines = ""
      for (let uid = 1; uid <= count; uid++) lines += fetched(uid)
      replyBytes = lines.length
      await conn.sendRaw(`${lines}${fetch} OK Fetch completed.\r\n`)
      flushed = true
      const idle = await Peer.acceptIdle(conn)
      await Peer.acceptDone(conn, idle, 30_000)
      await Peer.acceptLogout(conn)
    })
    try {
      const env: NodeJS.ProcessEnv = {}
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("IMAP_")) env[k] = v
      Object.assign(env, { IMAP_HOST: "127.0.0.1", IMAP_PORT: String(peer.port), IMAP_USER: "u" })
      Object.assign(env, { IMAP_PASSWORD: "p", IMAP_TLS: "none" })
      const child = spawn(process.execPath, [bin, "watch", "--since-uid", "0"], {
        env,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
      // Nobody reads the output for a while: the pipe fills, and everything behind it must wait.
      child.stdout.pause()
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const flushedWhileBehind = flushed
      let out = ""
      const printed = new Promise<void>((resolve) => {
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString("utf8")
          if (out.split("\n").length > count) resolve()
        })
      })
      child.stdout.resume()
      await printed
      child.kill("SIGTERM")
      expect(await exited).toBe(0)
      await peer.finished()
      expect(replyBytes).toBeGreaterThan(6_000_000)
      expect(flushedWhileBehind).toBe(false)
      const uids = out
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => Number(l.split("\t")[0]))
      expect(uids.length).toBe(count)
      expect(uids.every((uid, i) => uid === i + 1)).toBe(true)
    } finally {
      await peer.stop()
    }
  })
})
