/**
 * The command queue's rules without a socket: which commands may pipeline behind which
 * (`mayTakeTurn`, and the order a queue of commands goes out in), that whatever a command holds is
 * given back exactly once whichever way it ends, what IDLE's hold of the queue does when another
 * command is queued, when the reader may pause, which untagged responses reach subscribers, which
 * BYE ends the session, and what a BYE or a dropped connection does to each waiting and pending
 * command (over an in-memory transport: the connection's own reader and writer, no socket).
 * test/CommandQueue.test.ts proves the same queue against a scripted peer on a real socket.
 */
import { assert, describe, it } from "@effect/vitest"
import { Command, Framer, ResponseParser, type UntaggedData } from "@pkg/protocol"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, SubscriptionRef } from "effect"
import * as Commands from "../src/Commands.ts"
import * as ImapConnection from "../src/ImapConnection.ts"
import { ConnectionClosed, fromReason, type ImapError } from "../src/ImapError.ts"
import * as CommandQueue from "../src/internal/CommandQueue.ts"
import * as ReaderGate from "../src/internal/ReaderGate.ts"
import * as Unsolicited from "../src/internal/Unsolicited.ts"
import * as SessionState from "../src/SessionState.ts"
import type { Transport } from "../src/Transport.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** One response line as the reader would see it. */
const untagged = (line: string): UntaggedData => {
  const r = ResponseParser.parse(encoder.encode(`${line}\r\n`))
  if (r._tag === "Tagged" || r._tag === "Continuation") throw new Error(`not untagged: ${line}`)
  return r
}

const closedError = fromReason(new ConnectionClosed({ message: "connection closed" }))

interface Req extends CommandQueue.Queueable {
  readonly name: string
}

/** A request named like the command; exclusive when `!` ends the name, holding (IDLE) when `~` does. */
const req = (spec: string): Req => {
  const name = spec.replace(/[!~]$/, "")
  return { name, exclusive: spec.endsWith("!") || spec.endsWith("~"), hold: spec.endsWith("~") ? {} : undefined }
}

const granted = (e: CommandQueue.Entry<Req>) => Deferred.isDoneUnsafe(e.turn)

/** The error a command's outcome failed with, if it did. */
const errorOf = <A>(exit: Exit.Exit<A, ImapError>): ImapError | undefined =>
  Exit.isFailure(exit)
    ? Cause.findErrorOption(exit.cause).pipe((o) => (o._tag === "Some" ? o.value : undefined))
    : undefined

const failureOf = <A>(d: Deferred.Deferred<A, ImapError>): ImapError | undefined =>
  Deferred.isDoneUnsafe(d) ? errorOf(Effect.runSync(Effect.exit(Deferred.await(d)))) : undefined

/**
 * Queues `specs` at once, then plays the server: each round, every command granted a turn is written
 * and sent, then every sent command is answered. Returns the names sent in each round: commands in
 * one round were all on the wire before any of their replies.
 */
const rounds = (specs: ReadonlyArray<string>): ReadonlyArray<ReadonlyArray<string>> => {
  const queue = CommandQueue.make<Req>()
  const entries = specs.map((s) => queue.enqueue(req(s)))
  const out: Array<Array<string>> = []
  const sent = new Set<CommandQueue.Entry<Req>>()
  while (sent.size < entries.length) {
    const round: Array<CommandQueue.Entry<Req>> = []
    // A writer finishing may grant the next turn at once: keep writing until nothing new is granted.
    for (let progress = true; progress; ) {
      progress = false
      for (const e of entries) {
        if (granted(e) && !sent.has(e)) {
          sent.add(e)
          round.push(e)
          queue.sent(e, queue.nextTag())
          queue.written(e)
          progress = true
        }
      }
    }
    if (round.length === 0) throw new Error("no command could go out")
    out.push(round.map((e) => e.request.name))
    for (const e of round) queue.answered(queue.find(e.tag!)!)
  }
  return out
}

describe("the pipelining rule", () => {
  const free = { writing: false, inFlight: 0, exclusiveInFlight: false }
  const table: ReadonlyArray<[string, boolean, CommandQueue.Occupancy, boolean]> = [
    ["a command, nothing in flight", false, free, true],
    ["an exclusive command, nothing in flight", true, free, true],
    ["a command behind one awaiting its reply", false, { ...free, inFlight: 1 }, true],
    ["a command behind three awaiting their replies", false, { ...free, inFlight: 3 }, true],
    ["an exclusive command behind one awaiting its reply", true, { ...free, inFlight: 1 }, false],
    ["a command while another writes", false, { writing: true, inFlight: 1, exclusiveInFlight: false }, false],
    [
      "an exclusive command while another writes",
      true,
      { writing: true, inFlight: 1, exclusiveInFlight: false },
      false
    ],
    [
      "a command behind an exclusive one awaiting its reply",
      false,
      { ...free, inFlight: 1, exclusiveInFlight: true },
      false
    ],
    ["an exclusive command behind an exclusive one", true, { ...free, inFlight: 1, exclusiveInFlight: true }, false]
  ]
  for (const [name, exclusive, occupancy, expected] of table) {
    it(`${name}: ${expected ? "goes" : "waits"}`, () => {
      assert.strictEqual(CommandQueue.mayTakeTurn({ exclusive }, occupancy), expected)
    })
  }
})

describe("the order a queue goes out in (`!` exclusive, `~` IDLE)", () => {
  const table: ReadonlyArray<[ReadonlyArray<string>, ReadonlyArray<ReadonlyArray<string>>]> = [
    [["NOOP", "STATUS", "FETCH"], [["NOOP", "STATUS", "FETCH"]]],
    [
      ["STATUS", "SELECT!", "NOOP"],
      [["STATUS"], ["SELECT"], ["NOOP"]]
    ],
    [
      ["SELECT!", "NOOP", "STATUS"],
      [["SELECT"], ["NOOP", "STATUS"]]
    ],
    [
      ["SELECT!", "EXAMINE!"],
      [["SELECT"], ["EXAMINE"]]
    ],
    [
      ["FETCH", "IDLE~", "NOOP"],
      [["FETCH"], ["IDLE"], ["NOOP"]]
    ],
    [
      ["LOGIN!", "CAPABILITY", "LIST", "LOGOUT!"],
      [["LOGIN"], ["CAPABILITY", "LIST"], ["LOGOUT"]]
    ],
    // FIFO: a command behind a waiting exclusive one waits too, though it could pipeline.
    [
      ["NOOP", "SELECT!", "STATUS", "NOOP"],
      [["NOOP"], ["SELECT"], ["STATUS", "NOOP"]]
    ]
  ]
  for (const [specs, expected] of table) {
    it(`${specs.join(" ")} -> ${expected.map((r) => `[${r.join(" ")}]`).join(" ")}`, () => {
      assert.deepStrictEqual(rounds(specs), expected)
    })
  }

  it("grants no turn while a writer holds the wire, and the next one as soon as it lets go", () => {
    const queue = CommandQueue.make<Req>()
    const a = queue.enqueue(req("APPEND"))
    const b = queue.enqueue(req("NOOP"))
    assert.deepStrictEqual([granted(a), granted(b)], [true, false])
    queue.sent(a, queue.nextTag())
    assert.isFalse(granted(b))
    queue.written(a)
    assert.isTrue(granted(b))
  })

  it("tags are A1, A2, ... and never reused, even for a command that never went out", () => {
    const queue = CommandQueue.make<Req>()
    assert.deepStrictEqual([queue.nextTag(), queue.nextTag(), queue.nextTag()], ["A1", "A2", "A3"])
  })
})

describe("one release path", () => {
  it("a turn granted to a caller that went away passes to the next command", () => {
    const queue = CommandQueue.make<Req>()
    const select = queue.enqueue(req("SELECT!"))
    const noop = queue.enqueue(req("NOOP"))
    queue.withdraw(select)
    assert.isTrue(granted(noop))
  })

  it("a command withdrawn while waiting never gets a turn, and does not hold up the one behind it", () => {
    const queue = CommandQueue.make<Req>()
    const first = queue.enqueue(req("SELECT!"))
    const gaveUp = queue.enqueue(req("STATUS"))
    const next = queue.enqueue(req("NOOP"))
    queue.withdraw(gaveUp)
    queue.sent(first, queue.nextTag())
    queue.written(first)
    queue.answered(first)
    assert.deepStrictEqual([granted(gaveUp), granted(next)], [false, true])
  })

  it("giving back twice counts once: an exclusive command still waits for the one in flight", () => {
    const queue = CommandQueue.make<Req>()
    const a = queue.enqueue(req("NOOP"))
    const b = queue.enqueue(req("NOOP"))
    for (const e of [a, b]) {
      queue.sent(e, queue.nextTag())
      queue.written(e)
    }
    queue.answered(a)
    queue.answered(a)
    queue.withdraw(a)
    queue.written(a)
    const select = queue.enqueue(req("SELECT!"))
    assert.isFalse(granted(select))
    queue.answered(b)
    assert.isTrue(granted(select))
  })

  it("a reply that arrives while its writer still writes frees its place, not the wire", () => {
    const queue = CommandQueue.make<Req>()
    const append = queue.enqueue(req("APPEND"))
    const noop = queue.enqueue(req("NOOP"))
    queue.sent(append, queue.nextTag())
    queue.answered(append)
    assert.isFalse(granted(noop))
    queue.written(append)
    assert.isTrue(granted(noop))
  })
})

describe("IDLE's hold of the queue", () => {
  it("is told when another command is queued, and no longer once it let go", () => {
    const queue = CommandQueue.make<Req>()
    const idle = queue.enqueue(req("IDLE~"))
    queue.sent(idle, queue.nextTag())
    let wanted = 0
    queue.hold(idle, () => wanted++)
    assert.strictEqual(wanted, 0)
    const noop = queue.enqueue(req("NOOP"))
    assert.strictEqual(wanted, 1)
    assert.isFalse(granted(noop))
    queue.unhold(idle)
    queue.enqueue(req("NOOP"))
    assert.strictEqual(wanted, 1)
  })

  it("is told at once when a command was queued between IDLE going out and its `+`", () => {
    const queue = CommandQueue.make<Req>()
    const idle = queue.enqueue(req("IDLE~"))
    queue.sent(idle, queue.nextTag())
    queue.enqueue(req("NOOP"))
    let wanted = 0
    queue.hold(idle, () => wanted++)
    assert.strictEqual(wanted, 1)
  })

  it("a queued IDLE does not need the reader, any other command does; a holding IDLE awaits no reply", () => {
    const queue = CommandQueue.make<Req>()
    const fetch = queue.enqueue(req("FETCH"))
    queue.sent(fetch, queue.nextTag())
    queue.written(fetch)
    queue.enqueue(req("IDLE~"))
    assert.isFalse(queue.needsReader())
    queue.enqueue(req("NOOP"))
    assert.isTrue(queue.needsReader())

    const alone = CommandQueue.make<Req>()
    const idle = alone.enqueue(req("IDLE~"))
    alone.sent(idle, alone.nextTag())
    assert.strictEqual(alone.awaitingReply(), 1)
    alone.hold(idle, () => {})
    assert.strictEqual(alone.awaitingReply(), 0)
    alone.unhold(idle)
    assert.strictEqual(alone.awaitingReply(), 1)
  })
})

describe("routing to pending commands", () => {
  it("untagged data goes to the oldest collector that claims it; nobody's is reported unclaimed", () => {
    const queue = CommandQueue.make<Req>()
    const got: Array<string> = []
    const collector = (name: string, tag: string): Req => ({
      name,
      collect: (r) => {
        if (r._tag !== tag) return false
        got.push(name)
        return true
      }
    })
    for (const r of [collector("SEARCH", "Search"), collector("SEARCH2", "Search"), collector("STATUS", "Status")]) {
      const e = queue.enqueue(r)
      queue.sent(e, queue.nextTag())
      queue.written(e)
    }
    assert.isTrue(queue.claim(untagged("* SEARCH 1 2")))
    assert.isTrue(queue.claim(untagged("* STATUS a (MESSAGES 1)")))
    assert.isFalse(queue.claim(untagged("* 3 EXISTS")))
    assert.deepStrictEqual(got, ["SEARCH", "STATUS"])
  })

  it("a `+` goes to the writer waiting for one; with none waiting it is reported", () => {
    const queue = CommandQueue.make<Req>()
    const append = queue.enqueue(req("APPEND"))
    queue.sent(append, queue.nextTag())
    assert.isFalse(queue.continueWith("ready"))
    const texts: Array<string | undefined> = []
    append.continuation = (t) => texts.push(t)
    assert.isTrue(queue.continueWith("ready"))
    assert.isFalse(queue.continueWith("again"))
    assert.deepStrictEqual(texts, ["ready"])
  })
})

describe("what the connection's death does to each command", () => {
  it("fails every pending command, wakes a writer waiting for `+`, and refuses every waiting one its turn", () => {
    const queue = CommandQueue.make<Req>()
    const append = queue.enqueue(req("APPEND"))
    queue.sent(append, queue.nextTag())
    const continuation: Array<string | undefined> = []
    append.continuation = (t) => continuation.push(t)
    queue.written(append)
    const status = queue.enqueue(req("STATUS"))
    queue.sent(status, queue.nextTag())
    queue.written(status)
    const select = queue.enqueue(req("SELECT!"))
    const behind = queue.enqueue(req("NOOP"))
    queue.fail(closedError)
    assert.deepStrictEqual(continuation, [undefined])
    for (const e of [append, status]) assert.strictEqual(failureOf(e.done), closedError)
    for (const e of [select, behind]) assert.strictEqual(failureOf(e.turn), closedError)
    assert.deepStrictEqual(queue.pendingNames(), [])
    assert.isFalse(queue.needsReader())
  })

  it("a command queued after the death is refused its turn at once, with the same error", () => {
    const queue = CommandQueue.make<Req>()
    queue.fail(closedError)
    queue.fail(fromReason(new ConnectionClosed({ message: "second" })))
    assert.strictEqual(failureOf(queue.enqueue(req("NOOP")).turn), closedError)
  })
})

describe("when the reader may pause", () => {
  const alive = { dead: false, needsReader: false, awaitingReply: 1 }
  const table: ReadonlyArray<[string, ReaderDemand, number, number, boolean]> = [
    ["a paused stream, the only command", alive, 1, 0, true],
    ["a subscriber behind, nothing pending", { ...alive, awaitingReply: 0 }, 0, 1, true],
    ["a subscriber behind, a command awaiting its reply", alive, 0, 1, false],
    ["nobody behind", alive, 0, 0, false],
    ["a paused stream, and another command queued", { ...alive, needsReader: true }, 1, 0, false],
    ["a paused stream, and another command awaiting its reply", { ...alive, awaitingReply: 2 }, 1, 0, false],
    ["two paused streams, both pending", { ...alive, awaitingReply: 2 }, 2, 0, true],
    ["a paused stream on a dead connection", { ...alive, dead: true }, 1, 0, false]
  ]
  for (const [name, demand, pausers, full, expected] of table) {
    it(`${name}: ${expected ? "pauses" : "reads on"}`, () => {
      assert.strictEqual(ReaderGate.mayPause(demand, pausers, full), expected)
    })
  }
})

type ReaderDemand = ReaderGate.Demand

describe("the reader's gate", () => {
  const stream = {}
  it.live("a reader woken by `open` decides again only once the opener has done what it opened the gate for", () =>
    Effect.gen(function* () {
      // A stream paused, one command pending: the reader parks. A second command opens the gate and
      // becomes pending only after `open` returns (as `run` does): the reader must then read on.
      let awaitingReply = 1
      let left = 0
      const wentOn = Deferred.makeUnsafe<void>()
      const gate = ReaderGate.make(() => ({ dead: false, needsReader: false, awaitingReply }), {
        stop: () => {},
        go: () => {
          left++
          Deferred.doneUnsafe(wentOn, Exit.void)
        }
      })
      gate.pause(stream)
      const reader = Deferred.await(wentOn)
      gate.pass()
      assert.isTrue(gate.isParked())
      gate.open()
      awaitingReply = 2
      yield* reader.pipe(Effect.timeout("1 second"))
      assert.strictEqual(left, 1)
      assert.isFalse(gate.isParked())
    })
  )

  it.live("a parked reader stays parked while pausing is still safe after it was woken", () =>
    Effect.gen(function* () {
      const wentOn = Deferred.makeUnsafe<void>()
      const gate = ReaderGate.make(() => ({ dead: false, needsReader: false, awaitingReply: 1 }), {
        stop: () => {},
        go: () => Deferred.doneUnsafe(wentOn, Exit.void)
      })
      gate.pause(stream)
      const reader = Deferred.await(wentOn)
      gate.pass()
      gate.open()
      yield* Effect.yieldNow
      assert.isTrue(gate.isParked())
      gate.resume(stream)
      yield* reader.pipe(Effect.timeout("1 second"))
    })
  )
})

describe("which untagged responses reach subscribers", () => {
  const table: ReadonlyArray<[string, boolean, SessionState.StateName, boolean]> = [
    ["* 3 EXISTS", false, "Selected", true],
    ["* 3 EXISTS", true, "Selected", true],
    ["* 3 EXISTS", true, "Authenticated", false],
    ["* 2 EXPUNGE", true, "Selected", true],
    ["* VANISHED 4:5", true, "Selected", true],
    ["* 1 RECENT", true, "Selected", true],
    ["* FLAGS (\\Seen \\Deleted)", true, "Selected", true],
    ["* 1 FETCH (FLAGS (\\Seen))", false, "Selected", true],
    ["* 1 FETCH (FLAGS (\\Seen))", true, "Selected", false],
    ["* OK [ALERT] disk full", true, "Selected", true],
    ["* BYE shutting down", true, "Authenticated", true],
    ["* BYE shutting down", false, "NotAuthenticated", true],
    ["* SEARCH 1 2", true, "Selected", false],
    ["* SEARCH 1 2", false, "Selected", true],
    ["* CAPABILITY IMAP4rev1 IDLE", true, "Authenticated", false],
    ["* OK [UIDNEXT 5] next", true, "Selected", false]
  ]
  for (const [line, consumed, state, expected] of table) {
    it(`${line}, ${consumed ? "consumed" : "unclaimed"}, ${state}: ${expected ? "published" : "kept"}`, () => {
      assert.strictEqual(Unsolicited.isPublished(untagged(line), consumed, state), expected)
    })
  }
})

describe("which BYE ends the session", () => {
  const table: ReadonlyArray<[string, boolean, ReadonlyArray<string>, boolean]> = [
    ["* BYE shutting down", false, [], true],
    ["* BYE shutting down", false, ["NOOP", "UID FETCH"], true],
    ["* BYE LOGOUT received", false, ["LOGOUT"], false],
    ["* BYE LOGOUT received", false, ["NOOP", "LOGOUT"], false],
    ["* BYE shutting down", true, [], false],
    ["* OK still here", false, [], false],
    ["* NO [ALERT] over quota", false, [], false]
  ]
  for (const [line, consumed, pending, expected] of table) {
    it(`${line}, ${consumed ? "consumed" : "unclaimed"}, pending [${pending.join(", ")}]: ${expected ? "ends it" : "does not"}`, () => {
      assert.strictEqual(
        Unsolicited.endsSession(untagged(line), consumed, () => pending),
        expected
      )
    })
  }

  it("LOGOUT pending is what makes a BYE expected", () => {
    assert.deepStrictEqual(
      [[], ["NOOP"], ["LOGOUT"], ["SELECT", "LOGOUT"]].map((names) => Unsolicited.isByeExpected(names)),
      [false, false, true, true]
    )
  })
})

/**
 * A transport in memory: `serve` hands the reader lines, `drop` ends the stream with `error`, and
 * every write is kept as text.
 */
const memoryTransport = () => {
  const inbound: Array<Uint8Array> = []
  const written: Array<string> = []
  let reader: { readonly onData: (chunk: Uint8Array) => void; readonly onEnd: (error: ImapError) => void } | undefined
  let paused = false
  let dropped: ImapError | undefined
  const deliver = () => {
    if (reader === undefined) return
    while (!paused && inbound.length > 0) reader.onData(inbound.shift()!)
    if (inbound.length === 0 && dropped !== undefined) reader.onEnd(dropped)
  }
  const transport: Transport = {
    pull: Effect.die("the handshake is not run over a memory transport"),
    listen: (onData, onEnd) => {
      reader = { onData, onEnd }
      deliver()
    },
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
      deliver()
    },
    write: (chunks) => Effect.sync(() => written.push(...chunks.map((c) => decoder.decode(c).trimEnd()))),
    upgrade: Effect.void,
    destroy: () => {},
    secure: false
  }
  return {
    transport,
    written,
    serve: (...lines: ReadonlyArray<string>) => {
      for (const l of lines) inbound.push(encoder.encode(`${l}\r\n`))
      deliver()
    },
    drop: (error: ImapError) => {
      dropped = error
      deliver()
    }
  }
}

/** A connection over a memory transport, Authenticated, and a way to start commands on it. */
const connected = Effect.gen(function* () {
  const peer = memoryTransport()
  const connection = yield* ImapConnection.make(
    peer.transport,
    Framer.make(),
    SessionState.authenticated,
    ["IMAP4rev1", "IDLE"],
    {
      commandTimeout: Duration.seconds(5),
      trace: undefined
    }
  )
  const start = (command: Command.Command, extra?: Parameters<typeof Commands.request>[2]) =>
    Effect.forkChild(connection.run(Commands.request(connection, command, extra)), { startImmediately: true })
  /** Lets the connection's fibers run until `n` writes reached the peer (or fails the test). */
  const written = (n: number) =>
    Effect.gen(function* () {
      for (let waited = 0; peer.written.length < n; waited++) {
        if (waited > 2000) return yield* Effect.die(`expected ${n} writes, got ${JSON.stringify(peer.written)}`)
        yield* Effect.sleep(1)
      }
    })
  return { peer, connection, start, written }
})

const reasonOf = (exit: Exit.Exit<unknown, ImapError>) => errorOf(exit)?.reason

/** IDLE by `runHeld` (as the IDLE loop sends it): the fiber ends once `+` came; `held` is then set. */
const startHeld = (connection: ImapConnection.ImapConnection) =>
  Effect.gen(function* () {
    const release = Deferred.makeUnsafe<void>()
    let held: ImapConnection.Held | undefined
    const request = Commands.request(connection, Command.idle, { hold: { release, done: encoder.encode("DONE\r\n") } })
    const idle = yield* Effect.forkChild(
      connection.runHeld(request, (h) => {
        held = h
      }),
      { startImmediately: true }
    )
    return { idle, release, held: () => held }
  })

describe("a BYE or a dropped connection, over an in-memory transport", () => {
  it.live("an unexpected BYE fails the command awaiting its reply and the one waiting behind it with ServerBye", () =>
    Effect.gen(function* () {
      const { peer, connection, start, written } = yield* connected
      const status = yield* start(Command.status("a", ["MESSAGES"]))
      const select = yield* start(Command.select("INBOX"))
      yield* written(1)
      assert.deepStrictEqual(peer.written, ["A1 STATUS a (MESSAGES)"])
      peer.serve("* BYE server shutting down")
      const [s, q] = [yield* Fiber.await(status), yield* Fiber.await(select)]
      for (const exit of [s, q]) {
        const reason = reasonOf(exit)
        assert.strictEqual(reason?._tag, "ServerBye")
        if (reason?._tag === "ServerBye") assert.strictEqual(reason.text, "server shutting down")
      }
      assert.isTrue(connection.isClosed())
      assert.strictEqual(connection.currentState()._tag, "Logout")
      assert.deepStrictEqual(peer.written, ["A1 STATUS a (MESSAGES)"])
    }).pipe(Effect.scoped)
  )

  it.live(
    "a dropped connection fails the command awaiting its reply and the one waiting behind it with the drop's error",
    () =>
      Effect.gen(function* () {
        const { peer, start, written } = yield* connected
        const noop = yield* start(Command.noop)
        const select = yield* start(Command.select("INBOX"))
        yield* written(1)
        peer.drop(closedError)
        for (const exit of [yield* Fiber.await(noop), yield* Fiber.await(select)]) {
          assert.strictEqual(reasonOf(exit)?._tag, "ConnectionClosed")
        }
      }).pipe(Effect.scoped)
  )

  it.live("a BYE fails every one of several commands waiting behind an exclusive one, none left hanging", () =>
    Effect.gen(function* () {
      const { peer, start, written } = yield* connected
      const select = yield* start(Command.select("INBOX"))
      yield* written(1)
      const queued = [
        yield* start(Command.noop),
        yield* start(Command.status("a", ["MESSAGES"])),
        yield* start(Command.noop),
        yield* start(Command.list("", "*"))
      ]
      peer.serve("* BYE server shutting down")
      for (const fiber of [select, ...queued]) {
        const exit = yield* Fiber.await(fiber).pipe(Effect.timeout("1 second"))
        assert.strictEqual(reasonOf(exit)?._tag, "ServerBye")
      }
      assert.deepStrictEqual(peer.written, ["A1 SELECT INBOX"])
    }).pipe(Effect.scoped)
  )

  it.live("a caller holding the session state's permit delays its publication and never breaks the reader", () =>
    Effect.gen(function* () {
      const { peer, connection, start, written } = yield* connected
      const select = yield* start(Command.select("INBOX"), {
        onTagged: () => SessionState.selected(SessionState.emptyMailbox("INBOX"))
      })
      yield* written(1)
      peer.serve("A1 OK [READ-WRITE] SELECT completed")
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(select)))
      const holding = Deferred.makeUnsafe<void>()
      const release = Deferred.makeUnsafe<void>()
      yield* Effect.forkChild(
        SubscriptionRef.updateEffect(connection.state, (s) =>
          Deferred.succeed(holding, undefined).pipe(Effect.andThen(Deferred.await(release)), Effect.as(s))
        ),
        { startImmediately: true }
      )
      yield* Deferred.await(holding)
      // The reader publishes the new count from inside the socket's data event, the permit held.
      peer.serve("* 3 EXISTS")
      assert.isFalse(connection.isClosed())
      yield* Deferred.succeed(release, undefined)
      const exists = () => {
        const state = SubscriptionRef.getUnsafe(connection.state)
        return state._tag === "Selected" ? state.mailbox.exists : -1
      }
      for (let waited = 0; exists() !== 3 && waited < 2000; waited++) yield* Effect.sleep(1)
      assert.strictEqual(exists(), 3)
    }).pipe(Effect.scoped)
  )

  it.live("LOGOUT's own BYE fails nothing: LOGOUT gets its OK", () =>
    Effect.gen(function* () {
      const { peer, connection, start, written } = yield* connected
      const logout = yield* start(Command.logout)
      yield* written(1)
      peer.serve("* BYE logging out", "A1 OK LOGOUT completed")
      const exit = yield* Fiber.await(logout)
      assert.isTrue(Exit.isSuccess(exit))
      assert.isFalse(connection.isClosed())
    }).pipe(Effect.scoped)
  )

  it.live("an IDLE holding the queue is released by a command queued behind it: DONE, then the command", () =>
    Effect.gen(function* () {
      const { peer, connection, start, written } = yield* connected
      const { held, idle, release } = yield* startHeld(connection)
      yield* written(1)
      peer.serve("+ idling")
      assert.isUndefined(yield* Fiber.join(idle))
      assert.isFalse(Deferred.isDoneUnsafe(release))
      const noop = yield* start(Command.noop)
      assert.isTrue(Deferred.isDoneUnsafe(release))
      const finished = yield* Effect.forkChild(held()!.finish, { startImmediately: true })
      yield* written(2)
      peer.serve("A1 OK IDLE terminated")
      yield* written(3)
      peer.serve("A2 OK NOOP completed")
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(finished)))
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(noop)))
      assert.deepStrictEqual(peer.written, ["A1 IDLE", "DONE", "A2 NOOP"])
    }).pipe(Effect.scoped)
  )

  it.live("an IDLE the server ends itself sends no DONE; a BYE while idling fails it with ServerBye", () =>
    Effect.gen(function* () {
      const { peer, connection, written } = yield* connected
      const first = yield* startHeld(connection)
      yield* written(1)
      peer.serve("+ idling", "A1 OK IDLE ended by the server")
      assert.isUndefined(yield* Fiber.join(first.idle))
      assert.strictEqual((yield* Deferred.await(first.held()!.done)).tag, "A1")
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(first.held()!.finish)))
      const second = yield* startHeld(connection)
      yield* written(2)
      peer.serve("+ idling")
      assert.isUndefined(yield* Fiber.join(second.idle))
      peer.serve("* BYE idle for too long")
      assert.strictEqual(reasonOf(yield* Effect.exit(Deferred.await(second.held()!.done)))?._tag, "ServerBye")
      assert.deepStrictEqual(peer.written, ["A1 IDLE", "A2 IDLE"])
    }).pipe(Effect.scoped)
  )
})
