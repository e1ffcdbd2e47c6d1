/**
 * FETCH replies servers get wrong or split, through the client and the `imap` command (as users run
 * it, against scripted servers):
 * - one message answered in two FETCH responses (flags/envelope first, the body after): the body is
 *   found, `imap fetch` prints it, and a reply without the body asked for is an error, never exit 0
 *   with empty output;
 * - a reply carrying the data asked for but not its UID: a typed ProtocolFailed (subjects exits 1
 *   and says why; watch reports it and reconnects), never a message with UID 0, never a silent skip.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Checkpoint, ImapClient, Watcher } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect, Schedule, Stream } from "effect"
import * as Peer from "./support/ScriptedPeer.ts"
import { completion, imapEnv, lines, type Result } from "./support/Subprocess.ts"

const bin = path.join(import.meta.dirname, "..", "packages", "cli", "dist", "bin.js")

/** `imap ARGS` against the scripted peer on `port`, as user `u` with password `p`. */
const imap = (port: number, args: ReadonlyArray<string>): Promise<Result> =>
  completion(
    spawn(process.execPath, [bin, ...args], {
      env: imapEnv({ host: "127.0.0.1", port, password: "p" }, "u"),
      stdio: ["pipe", "pipe", "pipe"]
    })
  )

const envelope = '("Thu, 26 Nov 2026 10:00:00 +0000" "hello" NIL NIL NIL NIL NIL NIL NIL NIL)'

/** Greeting, LOGIN, EXAMINE INBOX with `exists` messages. */
const open = async (conn: Peer.PeerConnection, exists: number) => {
  await Peer.login(conn)
  const tag = await conn.expect("EXAMINE INBOX")
  await conn.send(
    `* ${exists} EXISTS`,
    "* OK [UIDVALIDITY 7] UIDs valid",
    `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
    `${tag} OK [READ-ONLY] Examine completed.`
  )
}

/** Answers `UID FETCH 7 (UID BODY.PEEK[]<0.N>)` with `lines` and OK. */
const answerBodyFetch = async (conn: Peer.PeerConnection, ...lines: ReadonlyArray<string>) => {
  const tag = await conn.expect(/^UID FETCH 7 \(UID BODY\.PEEK\[\]<0\.\d+>\)$/)
  await conn.send(...lines, `${tag} OK Fetch completed.`)
}

describe("a message answered in several FETCH responses", { timeout: 30_000 }, () => {
  it.live("fetchBody takes the section from the response that carries it, not the first for the UID", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await open(conn, 1)
        await answerBodyFetch(
          conn,
          `* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE ${envelope})`,
          "* 1 FETCH (UID 7 BODY[]<0> {5}",
          "hello)"
        )
        await Peer.acceptLogout(conn)
      })
      const body = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.examine("INBOX")
          return yield* client.fetchBody(SequenceSet.Uid(7)).pipe(Stream.runCollect)
        })
      )
      assert.strictEqual(Buffer.concat(body).toString("utf8"), "hello")
    })
  )

  it("imap fetch prints the body that came second, and fails (exit 1) when none came", async () => {
    const peer = await Peer.start(async (conn, index) => {
      await open(conn, 1)
      if (index === 0) {
        await answerBodyFetch(
          conn,
          `* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE ${envelope})`,
          "* 1 FETCH (UID 7 BODY[]<0> {5}",
          "hello)"
        )
      } else {
        await answerBodyFetch(conn, `* 1 FETCH (UID 7 FLAGS (\\Seen) ENVELOPE ${envelope})`)
      }
      await Peer.acceptLogout(conn)
    })
    try {
      const split = await imap(peer.port, ["fetch", "7"])
      assert.strictEqual(split.code, 0, split.stderr)
      assert.strictEqual(split.stdout, "hello")
      const missing = await imap(peer.port, ["fetch", "7"])
      assert.strictEqual(missing.code, 1)
      assert.strictEqual(missing.stdout, "")
      assert.match(missing.stderr, /^imap: protocol error: the server answered UID FETCH 7 without the section/)
      await peer.finished()
    } finally {
      await peer.stop()
    }
  })
})

describe("a FETCH reply without the UID asked for", { timeout: 30_000 }, () => {
  it.live("fails a UID FETCH with ProtocolFailed instead of dropping the message", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await open(conn, 2)
        const tag = await conn.expect(/^UID FETCH 1:\* \(UID ENVELOPE\)$/)
        await conn.send(`* 1 FETCH (UID 1 ENVELOPE ${envelope})`, `* 2 FETCH (ENVELOPE ${envelope})`, `${tag} OK done`)
        await Peer.acceptLogout(conn)
      })
      const error = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.examine("INBOX")
          return yield* client
            .fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Envelope" }])
            .pipe(Stream.runCollect, Effect.flip)
        })
      )
      assert.strictEqual(error.reason._tag, "ProtocolFailed")
      assert.include(error.message, "message 2 without its UID")
    })
  )

  it("imap subjects exits 1 and says so, printing no message under UID 0", async () => {
    const peer = await Peer.start(async (conn) => {
      await open(conn, 2)
      const tag = await conn.expect(/^FETCH 1:\* \(UID FLAGS ENVELOPE RFC822\.SIZE INTERNALDATE\)$/)
      const summary = (uid: string) =>
        `FLAGS () ${uid}ENVELOPE ${envelope} RFC822.SIZE 10 INTERNALDATE "26-Nov-2026 10:00:00 +0000"`
      await conn.send(`* 1 FETCH (${summary("UID 1 ")})`, `* 2 FETCH (${summary("")})`, `${tag} OK done`)
      await Peer.acceptLogout(conn)
    })
    try {
      const r = await imap(peer.port, ["subjects"])
      assert.strictEqual(r.code, 1)
      assert.isFalse(
        lines(r.stdout).some((l) => l.startsWith("0\t")),
        r.stdout
      )
      assert.match(r.stderr, /protocol error: the server answered FETCH for message 2 without its UID/)
      await peer.finished()
    } finally {
      await peer.stop()
    }
  })

  it.live("the watcher reports it (Disconnected with ProtocolFailed) instead of skipping the message", () =>
    Effect.gen(function* () {
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const tag = await conn.expect("EXAMINE INBOX")
        await conn.send("* 1 EXISTS", "* OK [UIDVALIDITY 7] Ok", "* OK [UIDNEXT 2] Ok", `${tag} OK [READ-ONLY] Ok`)
        const fetch = await conn.expect(/^UID FETCH 1:\* \(UID FLAGS ENVELOPE RFC822\.SIZE INTERNALDATE\)$/)
        await conn.send(`* 1 FETCH (FLAGS () ENVELOPE ${envelope} RFC822.SIZE 10)`, `${fetch} OK done`)
        await Peer.acceptLogout(conn)
      })
      const events = yield* Watcher.watchEvents({
        client: Peer.clientOptions(peer.port),
        sinceUid: 0,
        reconnect: Schedule.recurs(0)
      }).pipe(Stream.take(1), Stream.runCollect, Effect.provide(Checkpoint.layerMemory))
      yield* Peer.finished(peer)
      const first = events[0]
      assert.strictEqual(first?._tag, "Disconnected")
      if (first?._tag === "Disconnected") {
        assert.strictEqual(first.error.reason._tag, "ProtocolFailed")
        assert.include(first.error.message, "without its UID")
      }
    })
  )
})
