/**
 * One client connection, from greeting to close: commands read whole (a `+` sent for each
 * synchronising literal), parsed by `CommandParser`, recorded, checked against refusals and
 * faults, then run; the commands that talk back and forth (AUTHENTICATE, IDLE, STARTTLS, LOGOUT)
 * are run here, the rest by `SessionCommands.execute`. Responses go out through `ResponseEncoder`.
 */
import type { Command, FetchAttributes, Response } from "@pkg/protocol"
import { CommandParser, ResponseEncoder } from "@pkg/protocol/testing"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { value as redacted } from "effect/Redacted"
import type * as tls from "node:tls"
import type { Refusal, ServerBehaviour } from "../Behaviour.ts"
import type { Faults } from "./Faults.ts"
import { Closed, type Io, Signal } from "./Io.ts"
import * as Sasl from "./Sasl.ts"
import { bad, no, type Reply, Session } from "./Session.ts"
import * as SessionCommands from "./SessionCommands.ts"
import type { Store } from "./Store.ts"

/** A command as the server received it. */
export interface Received {
  /** 1 for the server's first connection, 2 for the next, ... */
  readonly connection: number
  readonly tag: string
  readonly command: Command.Command
}

/** What a connection shares with its server. */
export interface ServerContext {
  readonly store: Store
  readonly behaviour: ServerBehaviour
  readonly faults: Faults
  readonly tlsContext: tls.SecureContext | undefined
  readonly sessions: Set<Session>
  readonly record: (r: Received) => void
}

const encoder = new TextEncoder()

class Conn {
  readonly session: Session
  private outbox: Array<{ bytes: Uint8Array; fetch: boolean }> = []
  readonly changed = new Signal()
  readonly io: Io
  readonly ctx: ServerContext
  readonly id: number
  constructor(io: Io, ctx: ServerContext, id: number, secure: boolean) {
    this.io = io
    this.ctx = ctx
    this.id = id
    const encodeWith = (order: ReadonlyArray<keyof FetchAttributes> | undefined) =>
      order === undefined ? ResponseEncoder.encode : ResponseEncoder.encodeWith({ fetchOrder: order })
    this.session = new Session({
      store: ctx.store,
      behaviour: ctx.behaviour,
      secure,
      hasTls: ctx.tlsContext !== undefined,
      send: (r, order) => this.outbox.push({ bytes: encodeWith(order)(r), fetch: r._tag === "Fetch" })
    })
    this.session.onChange = () => this.changed.fire()
    this.session.kick = (text) => {
      if (io.closed) return
      io.socket.end(ResponseEncoder.encode({ _tag: "UntaggedStatus", status: "BYE", code: undefined, text }))
      io.closed = true
      this.changed.fire()
      io.arrived.fire()
    }
  }

  send(r: Response): void {
    this.session.send(r)
  }

  tagged(tag: string, reply: Reply): void {
    this.send({ _tag: "Tagged", tag, status: reply.status, code: reply.code, text: reply.text })
  }

  /** Writes what is queued, applying Slow and CutMidLiteral. */
  readonly drain: Effect.Effect<void, Closed> = Effect.suspend(() => {
    const out = this.outbox
    this.outbox = []
    const { faults } = this.ctx
    const io = this.io
    return Effect.forEach(
      out,
      (o) =>
        Effect.gen(function* () {
          const slow = faults.take("Slow")
          if (slow !== undefined) yield* Effect.sleep(slow.delay)
          const hasLiteral = o.fetch && /\{\d+\}\r\n/.test(new TextDecoder("latin1").decode(o.bytes))
          if (hasLiteral && faults.take("CutMidLiteral") !== undefined) yield* io.writeHalfLiteral(o.bytes)
          else yield* io.write(o.bytes)
        }),
      { discard: true }
    )
  })

  /** `* BYE` and close. */
  bye(text: string, code?: string): Effect.Effect<never, Closed> {
    this.send({
      _tag: "UntaggedStatus",
      status: "BYE",
      code: code === undefined ? undefined : { _tag: "Other", name: code, text: undefined },
      text
    })
    return Effect.andThen(Effect.andThen(this.drain, this.io.end), Effect.fail(new Closed()))
  }

  refuse(tag: string, r: Pick<Refusal, "status" | "code" | "text" | "close">): Effect.Effect<void, Closed> {
    if (r.status === "BYE") return this.bye(r.text, r.code)
    this.send({
      _tag: "Tagged",
      tag,
      status: r.status,
      code: r.code === undefined ? undefined : { _tag: "Other", name: r.code, text: undefined },
      text: r.text
    })
    return r.close === true
      ? Effect.andThen(Effect.andThen(this.drain, this.io.end), Effect.fail(new Closed()))
      : this.drain
  }
}

/** Reads one whole command, answering `+` to each synchronising literal it announces. */
const readCommand = (c: Conn): Effect.Effect<Uint8Array, Closed> =>
  Effect.gen(function* () {
    let answered = -1
    for (;;) {
      const frame = CommandParser.frame(c.io.buffer)
      if (frame._tag === "Complete") return c.io.take(frame.length)
      if (frame._tag === "NeedsContinuation" && frame.offset !== answered) {
        answered = frame.offset
        c.send({ _tag: "Continuation", text: c.ctx.behaviour.literalContinuation })
        yield* c.drain
      }
      yield* c.io.more
    }
  })

const greet = (c: Conn): Effect.Effect<void, Closed> =>
  Effect.gen(function* () {
    const refusal = c.ctx.faults.refusal(c.ctx.behaviour.refusals, "Greeting")
    if (refusal !== undefined) {
      c.send({ _tag: "UntaggedStatus", status: refusal.status, code: undefined, text: refusal.text })
      yield* c.drain
      return yield* Effect.andThen(c.io.end, Effect.fail(new Closed()))
    }
    const bye = c.ctx.faults.take("Bye", (f) => f.on === "Greeting")
    if (bye !== undefined) return yield* c.bye(bye.text)
    const b = c.ctx.behaviour
    c.send({
      _tag: "UntaggedStatus",
      status: "OK",
      code: b.greetingCapabilities ? { _tag: "Capability", capabilities: c.session.capabilities() } : undefined,
      text: b.greeting
    })
    yield* c.drain
  })

/** AUTHENTICATE (RFC 9051 6.2.2) with SASL-IR or a `+` exchange; refused tokens answered as the behaviour says. */
const authenticate = (c: Conn, tag: string, cmd: Command.Authenticate): Effect.Effect<Reply, Closed> =>
  Effect.gen(function* () {
    const mechanism = cmd.mechanism.toUpperCase()
    if (c.session.state !== "NotAuthenticated") return bad("Already authenticated.")
    if (!c.session.has(`AUTH=${mechanism}`)) return no("Unsupported authentication mechanism.")
    let response = cmd.initialResponse === undefined ? undefined : redacted(cmd.initialResponse)
    if (response === undefined) {
      c.send({ _tag: "Continuation", text: "" })
      yield* c.drain
      response = yield* c.io.line
      if (response === "*") return bad("Authentication aborted.")
    }
    const credentials = Sasl.decode(mechanism, response)
    if (credentials === undefined) return bad("Invalid SASL response.")
    const reply = SessionCommands.authenticate(c.session, credentials)
    if (reply.status === "OK" || credentials._tag !== "Token") return reply
    if (c.ctx.behaviour.oauthFailure === "microsoft") return no("AUTHENTICATE failed.")
    c.send({ _tag: "Continuation", text: Sasl.gmailFailureChallenge })
    yield* c.drain
    yield* c.io.line
    void tag
    return no("Invalid credentials (Failure)", { _tag: "Status", code: "AUTHENTICATIONFAILED" })
  })

/** The refusal of a login over the per-user connection limit (Gmail's `Too many simultaneous connections`). */
const overLimit = (c: Conn): Refusal | undefined => {
  const limit = c.ctx.behaviour.maxConnectionsPerUser
  const account = c.session.account
  if (limit === undefined || account === undefined) return undefined
  let n = 0
  for (const s of c.ctx.sessions) if (s.account === account) n++
  return n > limit.limit ? { on: "Login", ...limit.reply } : undefined
}

/**
 * IDLE (RFC 2177): `+`, then changes pushed as they come (after the notification delay and any
 * DelayExists), until DONE; cut by CutMidIdle, ended by the behaviour's IDLE limit.
 */
const idle = (c: Conn): Effect.Effect<Reply, Closed> =>
  Effect.gen(function* () {
    const b = c.ctx.behaviour
    if (!c.session.has("IDLE")) return bad("IDLE is not supported")
    c.send({ _tag: "Continuation", text: b.idleContinuation })
    yield* c.drain
    if (c.ctx.faults.take("CutMidIdle") !== undefined) return yield* c.io.cut
    const started = Date.now()
    for (;;) {
      // The race below waits for the first wait to succeed: a closed input fails, so check here.
      if (c.io.closed) return yield* Effect.fail(new Closed())
      const lf = c.io.buffer.indexOf(0x0a)
      if (lf >= 0) {
        const line = (yield* c.io.line).trim().toUpperCase()
        if (line !== "DONE") return bad("Expected DONE.")
        return { status: "OK", text: "Idle completed." }
      }
      if (c.session.hasPending && c.ctx.faults.take("WithholdExists") === undefined) {
        const extra = c.ctx.faults.take("DelayExists")
        yield* Effect.sleep(
          Duration.sum(Duration.fromInputUnsafe(b.notificationDelay), Duration.fromInputUnsafe(extra?.delay ?? 0))
        )
        c.session.flush(undefined)
        yield* c.drain
        continue
      }
      const limit = b.idleLimit
      const left =
        limit === undefined
          ? undefined
          : Duration.toMillis(Duration.fromInputUnsafe(limit.after)) - (Date.now() - started)
      if (left !== undefined && left <= 0) {
        if (limit?.bye !== undefined) return yield* c.bye(limit.bye)
        return yield* c.io.cut
      }
      const keepalive = b.idleKeepalive
      const waits: Array<Effect.Effect<void, Closed>> = [c.io.more, c.changed.wait]
      if (left !== undefined) waits.push(Effect.sleep(left))
      if (keepalive !== undefined)
        waits.push(
          Effect.andThen(Effect.sleep(keepalive.every), () => {
            c.send({ _tag: "UntaggedStatus", status: "OK", code: undefined, text: keepalive.text })
            return c.drain
          })
        )
      // While WithholdExists is armed, changes wait for the next command: only input ends the wait.
      yield* Effect.raceAll(c.session.hasPending ? waits.filter((w) => w !== c.changed.wait) : waits)
    }
  })

/** Runs one parsed command, writing its responses and tagged reply. */
const run = (c: Conn, tag: string, cmd: Command.Command, pipelined: boolean): Effect.Effect<void, Closed> =>
  Effect.gen(function* () {
    const { faults, behaviour } = c.ctx
    const refusal = faults.refusal(behaviour.refusals, cmd._tag)
    if (refusal !== undefined) return yield* c.refuse(tag, refusal)
    if (faults.take("Stall", (f) => f.on === cmd._tag || f.on === "*") !== undefined) return yield* Effect.never
    const bye = faults.take("Bye", (f) => f.on === cmd._tag || f.on === "*")
    if (bye !== undefined) return yield* c.bye(bye.text)
    const garbage = faults.take("Garbage", (f) => f.on === cmd._tag || f.on === "*")
    if (garbage !== undefined) c.session.send({ _tag: "Unknown", raw: encoder.encode(`${garbage.line}\r\n`) })
    c.session.currentTag = tag
    let reply: Reply
    switch (cmd._tag) {
      case "Logout":
        c.send({ _tag: "UntaggedStatus", status: "BYE", code: undefined, text: behaviour.logoutBye })
        c.tagged(tag, { status: "OK", text: "Logout completed." })
        yield* c.drain
        return yield* Effect.andThen(c.io.end, Effect.fail(new Closed()))
      case "StartTls": {
        const context = c.ctx.tlsContext
        if (context === undefined || c.session.secure || c.session.state !== "NotAuthenticated") {
          reply = bad("STARTTLS not available.")
          break
        }
        c.tagged(tag, { status: "OK", text: "Begin TLS negotiation now." })
        yield* c.drain
        yield* c.io.upgrade(context)
        c.session.secure = true
        return
      }
      case "Authenticate":
        reply = yield* authenticate(c, tag, cmd)
        break
      case "Idle":
        reply = yield* idle(c)
        break
      default:
        reply = SessionCommands.execute(c.session, cmd)
    }
    if ((cmd._tag === "Login" || cmd._tag === "Authenticate") && reply.status === "OK") {
      const over = overLimit(c)
      if (over !== undefined) {
        c.session.account = undefined
        c.session.state = "NotAuthenticated"
        return yield* c.refuse(tag, over)
      }
      if (behaviour.dropPipelinedAfterLogin && pipelined) c.io.take(c.io.buffer.length)
    }
    c.session.flush(cmd._tag, cmd._tag === "Append" && !behaviour.announceOwnAppend)
    if (faults.take("CutBeforeTagged", (f) => f.on === cmd._tag || f.on === "*") !== undefined) {
      yield* c.drain
      return yield* c.io.cut
    }
    c.tagged(tag, reply)
    yield* c.drain
  })

/** Serves one connection until it closes; never fails. */
export const serve = (io: Io, ctx: ServerContext, id: number, secure: boolean): Effect.Effect<void> => {
  const c = new Conn(io, ctx, id, secure)
  ctx.sessions.add(c.session)
  const cutAfter = ctx.faults.take("CutAfterBytes")
  if (cutAfter !== undefined) io.cutAfter = cutAfter.bytes
  return Effect.gen(function* () {
    yield* greet(c)
    for (;;) {
      const bytes = yield* readCommand(c)
      const pipelined = c.io.buffer.length > 0
      let parsed: CommandParser.ParsedCommand
      try {
        parsed = CommandParser.parse(bytes, { utf8Accept: c.session.enabled.has("UTF8=ACCEPT") })
      } catch (e) {
        const tag = /^([^ \r\n]+) /.exec(new TextDecoder().decode(bytes.subarray(0, 64)))?.[1] ?? "*"
        c.tagged(tag, bad(`Error in IMAP command: ${e instanceof Error ? e.message : String(e)}`))
        yield* c.drain
        continue
      }
      ctx.record({ connection: id, tag: parsed.tag, command: parsed.command })
      yield* run(c, parsed.tag, parsed.command, pipelined)
    }
  }).pipe(
    Effect.catchTag("Closed", () => Effect.void),
    Effect.ensuring(
      Effect.sync(() => {
        c.session.close()
        ctx.sessions.delete(c.session)
        if (!io.closed) io.socket.destroy()
      })
    )
  )
}
