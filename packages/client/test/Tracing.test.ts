/**
 * A span per command: each operation runs in a span named after it (`ImapClient.select`), around a
 * child span for the command on the wire (`imap.SELECT`), captured here by a test Tracer; and no
 * span carries the password, whether the LOGIN that sent it was accepted or refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Cause, Effect, Exit, Option, Stream, Tracer } from "effect"
import * as Peer from "../../../test/support/ScriptedPeer.ts"

/** A tracer that keeps every span it creates, in creation order. */
const capturing = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const parentName = (span: Tracer.NativeSpan): string | undefined => {
  const parent = Option.getOrUndefined(span.parent)
  return parent?._tag === "Span" ? parent.name : undefined
}

const ended = (span: Tracer.NativeSpan) => (span.status._tag === "Ended" ? span.status.exit : undefined)

/** Everything a span exports, as text: name, attributes, events, links and its exit (errors rendered). */
const exported = (span: Tracer.NativeSpan): string => {
  const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x))
  const exit = ended(span)
  return [
    span.name,
    json([...span.attributes.entries()]),
    json(span.events),
    json(span.links.map((l) => l.attributes)),
    exit === undefined ? "" : json(exit),
    exit !== undefined && Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
  ].join("\n")
}

describe("a span per command", () => {
  it.live("runs each operation in a span named after it, around a span for the command it sends", () =>
    Effect.gen(function* () {
      const { spans, tracer } = capturing()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        await Peer.acceptSelect(conn, 1)
        const noop = await conn.expect("NOOP")
        await conn.send(`${noop} OK NOOP completed.`)
        const fetch = await conn.expect("UID FETCH 1:* (UID FLAGS)")
        await conn.send("* 1 FETCH (UID 1 FLAGS (\\Seen))", `${fetch} OK Fetch completed.`)
        const status = await conn.expect("STATUS Archive (MESSAGES)")
        await conn.send("* STATUS Archive (MESSAGES 3)", `${status} OK Status completed.`)
        await Peer.acceptLogout(conn)
      })
      yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          yield* client.select("INBOX")
          yield* client.noop()
          yield* client.fetch(SequenceSet.all("uid"), [{ _tag: "Uid" }, { _tag: "Flags" }]).pipe(Stream.runCollect)
          yield* client.status("Archive", ["MESSAGES"])
        })
      ).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(
        spans.filter((s) => s.name.startsWith("ImapClient.")).map((s) => s.name),
        ["ImapClient.login", "ImapClient.select", "ImapClient.noop", "ImapClient.fetch", "ImapClient.status"]
      )
      assert.deepStrictEqual(
        spans
          .filter((s) => s.name.startsWith("imap."))
          .map((s) => [s.name, parentName(s), s.attributes.get("imap.command")]),
        [
          ["imap.LOGIN", "ImapClient.login", "LOGIN"],
          ["imap.SELECT", "ImapClient.select", "SELECT"],
          ["imap.NOOP", "ImapClient.noop", "NOOP"],
          ["imap.UID FETCH", "ImapClient.fetch", "UID FETCH"],
          ["imap.STATUS", "ImapClient.status", "STATUS"],
          // Sent by the session's finalizer, outside any operation.
          ["imap.LOGOUT", undefined, "LOGOUT"]
        ]
      )
      assert.isTrue(spans.every((s) => s.status._tag === "Ended"))
    })
  )

  it.live("ends the span of a command the server refused with the failure", () =>
    Effect.gen(function* () {
      const { spans, tracer } = capturing()
      const peer = yield* Peer.scoped(async (conn) => {
        await Peer.login(conn)
        const select = await conn.expect("SELECT Nope")
        await conn.send(`${select} NO [NONEXISTENT] Mailbox doesn't exist: Nope`)
        await Peer.acceptLogout(conn)
      })
      const error = yield* Peer.check(
        peer,
        Effect.gen(function* () {
          const client = yield* ImapClient.make(Peer.clientOptions(peer.port))
          return yield* client.select("Nope").pipe(Effect.flip)
        })
      ).pipe(Effect.withTracer(tracer))
      assert.strictEqual(error.reason._tag, "CommandFailed")
      for (const name of ["ImapClient.select", "imap.SELECT"]) {
        const exit = ended(spans.find((s) => s.name === name)!)
        assert.isTrue(exit !== undefined && Exit.isFailure(exit), `${name} should end failed`)
        if (exit !== undefined && Exit.isFailure(exit)) assert.include(Cause.pretty(exit.cause), "NONEXISTENT")
      }
    })
  )
})

describe("secrets in spans", () => {
  // One goes as a literal (non-ASCII), the other as an atom; both must stay out of every span.
  const refused = "geheim-pässwort-1"
  const accepted = "hunter2-geheim-2"

  it.live(
    "no span's name, attributes, events, links or exit holds the password of a refused or an accepted LOGIN",
    () =>
      Effect.gen(function* () {
        const { spans, tracer } = capturing()
        const peer = yield* Peer.scoped(async (conn) => {
          await Peer.greet(conn)
          const [first, text] = await conn.command()
          if (!/^LOGIN u \{\d+\+\}$/.test(text)) throw new Error(`expected LOGIN with a literal, got ${text}`)
          await conn.line()
          await conn.send(`${first} NO [AUTHENTICATIONFAILED] Authentication failed.`)
          const second = await conn.expect(`LOGIN u ${accepted}`)
          await conn.send(`${second} OK [CAPABILITY ${Peer.basicCapabilities}] Logged in`)
          const noop = await conn.expect("NOOP")
          await conn.send(`${noop} OK NOOP completed.`)
          await Peer.acceptLogout(conn)
        })
        yield* Peer.check(
          peer,
          Effect.gen(function* () {
            const client = yield* ImapClient.make(Peer.clientOptions(peer.port, { auth: undefined }))
            const error = yield* client.login(ImapConfig.password("u", refused)).pipe(Effect.flip)
            assert.strictEqual(error.reason._tag, "AuthenticationFailed")
            yield* client.login(ImapConfig.password("u", accepted))
            yield* client.noop()
          })
        ).pipe(Effect.withTracer(tracer))
        // Both LOGINs were traced (one failed, one succeeded), so there was something to leak.
        const logins = spans.filter((s) => s.name === "ImapClient.login" || s.name === "imap.LOGIN")
        assert.deepStrictEqual(
          logins.map((s) => [s.name, ended(s)?._tag]),
          [
            ["ImapClient.login", "Failure"],
            ["imap.LOGIN", "Failure"],
            ["ImapClient.login", "Success"],
            ["imap.LOGIN", "Success"]
          ]
        )
        for (const span of spans) {
          const text = exported(span)
          assert.notInclude(text, refused, span.name)
          assert.notInclude(text, accepted, span.name)
        }
      })
  )
})
