/**
 * CONDSTORE/QRESYNC resync against a real Dovecot and @pkg/testing's server: what ENABLE asks for (only what the server
 * offers), and `changedSince` in a session opened after another connection changed the mailbox
 * (the reconnect case): exactly the changed messages with their new flags and MODSEQ, and with
 * QRESYNC the UIDs expunged meanwhile as VANISHED (EARLIER).
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { type FetchData, SequenceSet } from "@pkg/protocol"
import { Effect } from "effect"
import { backend, backendNames } from "./support/Backend.ts"

// The same tests on Dovecot and on @pkg/testing's in-process server (test/support/Backend.ts).
describe.each(backendNames)("on %s", (name) => {
  const server = backend(name)

  const message = (subject: string) =>
    `From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`

  const optionsFor = (user: string, extra?: Partial<ImapConfig.ImapClientOptions>): ImapConfig.ImapClientOptions => ({
    host: server.host,
    port: server.port,
    tls: "none",
    auth: ImapConfig.password(user, server.password),
    ...extra
  })

  const uid = (n: number) => SequenceSet.single("uid", SequenceSet.Uid(n))
  const uids = (...ns: ReadonlyArray<number>) =>
    SequenceSet.fromNumbers("uid", [SequenceSet.Uid(ns[0]!), ...ns.slice(1).map(SequenceSet.Uid)])

  /** A mailbox of four messages (UIDs 1-4) for a user nobody else uses. */
  const mailboxOfFour = Effect.gen(function* () {
    const user = server.freshUser("changes")
    yield* Effect.promise(() => server.importMany(user, "INBOX", ["one", "two", "three", "four"].map(message)))
    return user
  })

  /** UID, flags (\Recent is per session, not a change) and MODSEQ of each FETCH, by UID. */
  const summary = (data: ReadonlyArray<FetchData>) =>
    data
      .map((r) => [
        Number(r.attributes.uid),
        (r.attributes.flags ?? []).filter((f) => f !== "\\Recent").sort(),
        r.attributes.modSeq
      ])
      .sort((a, b) => Number(a[0]) - Number(b[0]))

  /** The UIDs of VANISHED uid-sets (1,3 and 5:7). */
  const vanishedUids = (sets: ReadonlyArray<SequenceSet.SequenceSet<"uid">>) =>
    sets.flatMap((s) => SequenceSet.expand(s, SequenceSet.MAX).map(Number)).sort((a, b) => a - b)

  describe("ENABLE", () => {
    it.live("asks only for what Dovecot offers: CONDSTORE and QRESYNC, not UTF8=ACCEPT", () =>
      Effect.gen(function* () {
        const sent: Array<string> = []
        const client = yield* ImapClient.make(
          optionsFor(server.freshUser("enable"), { trace: (direction, line) => direction === "C" && sent.push(line) })
        )
        const capabilities = yield* client.capabilities
        // The premise: this Dovecot offers the first two of the defaults and not the third.
        assert.deepStrictEqual(
          ImapConfig.defaultEnable.map((c) => capabilities.has(c)),
          [true, true, false]
        )
        assert.deepStrictEqual(
          sent.filter((l) => / ENABLE /.test(l)).map((l) => l.replace(/^\S+ /, "")),
          ["ENABLE CONDSTORE QRESYNC"]
        )
        assert.deepStrictEqual([...(yield* client.enabled)].sort(), ["CONDSTORE", "QRESYNC"])
      })
    )
  })

  describe("changedSince, in a session opened after the changes", () => {
    it.live("reports exactly the messages another connection flagged, with their new flags and MODSEQ", () =>
      Effect.gen(function* () {
        const user = yield* mailboxOfFour
        const writer = yield* ImapClient.make(optionsFor(user))
        const before = (yield* writer.select("INBOX")).highestModSeq
        assert.isDefined(before)
        const flagged = yield* writer.store(uid(2), "add", ["\\Flagged"])
        const seen = yield* writer.store(uid(4), "add", ["\\Seen", "\\Answered"])
        const modSeqOf = (r: { readonly updated: ReadonlyArray<FetchData> }) => r.updated[0]?.attributes.modSeq

        const reader = yield* ImapClient.make(optionsFor(user))
        yield* reader.select("INBOX")
        const { changed, vanished } = yield* reader.changedSince(SequenceSet.all("uid"), before!)
        assert.deepStrictEqual(summary(changed), [
          [2, ["\\Flagged"], modSeqOf(flagged)],
          [4, ["\\Answered", "\\Seen"], modSeqOf(seen)]
        ])
        assert.isAbove(Number(modSeqOf(seen)), Number(before))
        assert.deepStrictEqual(vanished, [])
      })
    )

    it.live(
      "with QRESYNC enabled, reports the UIDs another connection expunged as VANISHED (EARLIER), when asked",
      () =>
        Effect.gen(function* () {
          const user = yield* mailboxOfFour
          const writer = yield* ImapClient.make(optionsFor(user))
          const before = (yield* writer.select("INBOX")).highestModSeq
          assert.isDefined(before)
          yield* writer.store(uids(1, 3), "add", ["\\Deleted"])
          yield* writer.expunge(uids(1, 3))

          const reader = yield* ImapClient.make(optionsFor(user))
          assert.isTrue((yield* reader.enabled).has("QRESYNC"))
          assert.strictEqual((yield* reader.select("INBOX")).exists, 2)
          const resync = yield* reader.changedSince(SequenceSet.all("uid"), before!, { vanished: true })
          assert.deepStrictEqual(vanishedUids(resync.vanished), [1, 3])
          // The expunged messages' \Deleted change is not reported as a change of a message still there.
          assert.deepStrictEqual(summary(resync.changed), [])
          // Without `vanished` the server is not asked for expunges.
          const flagsOnly = yield* reader.changedSince(SequenceSet.all("uid"), before!)
          assert.deepStrictEqual(flagsOnly.vanished, [])
        })
    )
  })

  describe("changedSince, in a session that already has the mailbox selected", () => {
    it.live("reports each changed message once, and messages expunged meanwhile as vanished, not changed", () =>
      Effect.gen(function* () {
        const user = yield* mailboxOfFour
        const reader = yield* ImapClient.make(optionsFor(user))
        const before = (yield* reader.select("INBOX")).highestModSeq
        assert.isDefined(before)
        const writer = yield* ImapClient.make(optionsFor(user))
        yield* writer.select("INBOX")
        // Dovecot tells the selected session of this change before answering its UID FETCH.
        yield* writer.store(uid(2), "add", ["\\Flagged"])
        const flags = yield* reader.changedSince(SequenceSet.all("uid"), before!)
        assert.deepStrictEqual(
          summary(flags.changed).map(([u, f]) => [u, f]),
          [[2, ["\\Flagged"]]]
        )

        yield* writer.store(uids(1, 3), "add", ["\\Deleted"])
        yield* writer.expunge(uids(1, 3))
        const resync = yield* reader.changedSince(SequenceSet.all("uid"), before!, { vanished: true })
        assert.deepStrictEqual(vanishedUids(resync.vanished), [1, 3])
        assert.deepStrictEqual(
          summary(resync.changed).map(([u]) => u),
          [2]
        )
      })
    )
  })

  describe("a conditional STORE", () => {
    it.live("leaves a message changed since UNCHANGEDSINCE alone and names it in `modified`, a UID set", () =>
      Effect.gen(function* () {
        const user = yield* mailboxOfFour
        const client = yield* ImapClient.make(optionsFor(user))
        const before = (yield* client.select("INBOX")).highestModSeq
        assert.isDefined(before)
        yield* client.store(uid(2), "add", ["\\Flagged"])
        const result = yield* client.store(uids(1, 2, 3), "add", ["\\Seen"], { unchangedSince: before! })
        assert.deepStrictEqual(
          summary(result.updated).map(([u]) => u),
          [1, 3]
        )
        assert.isDefined(result.modified)
        assert.strictEqual(result.modified!.kind, "uid")
        assert.deepStrictEqual(SequenceSet.expand(result.modified!, SequenceSet.MAX).map(Number), [2])
      })
    )
  })
})
