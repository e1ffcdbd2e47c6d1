/**
 * `pnpm bench:idle`: IDLE notification latency, from a writer's APPEND tagged OK to the EXISTS event
 * in a watcher, for this client, imapflow and a raw-socket floor, against one private Dovecot; and,
 * as a fourth row, to the `NewMessage` of this library's new-mail watcher (`Watcher.watch`).
 *
 * Design. Dovecot holds every change notification ~500 ms (compiled in), so one mailbox yields at
 * most one honest sample per ~0.6 s. To collect hundreds of samples quickly the bench runs `--lanes`
 * lanes in parallel; a lane is one user's INBOX with five connections:
 * - a writer (raw socket) that APPENDs a 2–4 KB message with LITERAL+ and timestamps the tagged OK
 *   with `performance.now()` when its chunk is read;
 * - three EXISTS-level watchers idling on the same INBOX at the same time: effect-imap (`ImapClient.make`,
 *   `examine`, `idle()` (the IDLE stream) consumed with `Stream.runForEach`; the time is taken when the Exists event
 *   is pulled), imapflow (`mailboxOpen` read-only, `idle()`, the `exists` event), and the floor (raw
 *   socket, EXAMINE, IDLE; the time is taken when the chunk holding `* N EXISTS` is read);
 * - the "effect-imap watcher": `Watcher.watch` (read-only, i.e. EXAMINE, `sinceUid` = the mailbox's
 *   last UID before the run, `Checkpoint.layerMemory`) consumed with `Stream.runForEach`; the time is
 *   taken when the `NewMessage` is pulled. That is after its EXISTS, ending IDLE (DONE, tagged OK)
 *   and the `UID FETCH last+1:* (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)` round trip (re-entering
 *   IDLE comes after), so it is slower than the EXISTS-level rows by design: it is what an
 *   application using the watcher gets.
 *   It has its own connection (its DONE/FETCH/IDLE traffic shares none of the other watchers'
 *   sockets) and is matched to its APPEND by UID (the writer's `APPENDUID`), cross-checked against
 *   the message count. It is started last in each lane, after the three EXISTS-level watchers are
 *   idling; `watch` has no "idling" signal, the warm-ups prove it delivers.
 *   It runs in a worker thread of this process (one thread for all lanes' watchers), not on the main
 *   event loop: its EXISTS reaches this process at the same moment as the other three's, and the
 *   work it then does before DONE goes out (0.5–2.5 ms in a traced run), and later the FETCH
 *   response it parses, would sit in front of whichever EXISTS-level watcher the loop handles next.
 *   Hosted on the main loop it about doubled their paired Δ p95/p99 (effect-imap 1.2 → 2.6 ms p99 in
 *   one run); in the worker they stay close to a `--no-watcher` run (p99 1.2–1.7 ms, within
 *   run-to-run noise). Its time is `process.hrtime` (uv_hrtime, which `performance.now()` counts from
 *   in every thread), mapped onto the main thread's `performance.now()` with one offset.
 *   `--no-watcher` leaves it out.
 *
 * Why EXAMINE, not SELECT: a read-write session that syncs the new message also writes the index
 * (\Recent), inotify reports that write to the other sessions on the mailbox, and each of them
 * re-arms its 500 ms hold; the next APPEND's EXISTS then arrives anywhere from 0 to 500 ms after the
 * OK, depending on each session's timer phase (seen in the first version of this bench: the three
 * watchers of one APPEND differed by up to 500 ms). Read-only sessions write nothing, so every
 * EXISTS leaves Dovecot 500 ms after the APPEND and the differences are the clients' own. The same
 * goes for the harness's 1 s fallback poll, which is set back to Dovecot's default (below).
 * Everything runs in this one process, so all timestamps share a clock (the watcher's too, see
 * above). Appends go out on a fixed slot grid, round-robin over the lanes (`--period` ms per lane,
 * so one slot every period/lanes ms):
 * a lane appends only after all its watchers reported its previous message (or 3 s passed), so
 * appends to one mailbox are never coalesced by Dovecot and a sample pairs exactly one APPEND (the
 * mailbox's k-th message) with the EXISTS announcing count k (the watcher: with the NewMessage of the
 * UID that APPEND got). Two warm-up appends per lane are discarded (they also prove every watcher is
 * idling).
 *
 * Caveat: the watchers of a lane get their EXISTS from their own Dovecot processes at about the same
 * moment, and this process handles their sockets one after the other: whoever is handled last
 * also waits for the others' callbacks (tens of µs). The paired columns (contestant − floor for the
 * same APPEND) show the client's own cost.
 *
 * Options: --lanes N (10), --samples N (300, per contestant), --period MS (750), --json, --split (also
 * time when each client first saw the EXISTS bytes: imapflow through a second 'data' listener on its
 * socket, effect-imap through a trace sink on its reader; both add a little work to those clients),
 * --no-watcher (only the three EXISTS-level contestants).
 * IDLE_BENCH_DEBUG=1 prints every sample (lane, message count, each watcher's latency) to stderr.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { Checkpoint, ImapClient, ImapConfig, Watcher } from "@pkg/client"
import { Cause, Effect, Fiber, Stream } from "effect"
import * as net from "node:net"
import { isMainThread, type MessagePort, parentPort, Worker, workerData } from "node:worker_threads"
import {
  describeMachine,
  type Dovecot,
  fixed,
  loginRaw,
  machine,
  median,
  messages,
  numberOption,
  openImapflow,
  percentile,
  type RawImap,
  startDovecot,
  table
} from "./support.ts"

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => numberOption(args, name, fallback)
const json = args.includes("--json")
const split = args.includes("--split")
const withWatcher = !args.includes("--no-watcher")
const lanesCount = option("lanes", 10)
const samplesWanted = option("samples", 300)
const periodMs = option("period", 750)
const rounds = Math.ceil(samplesWanted / lanesCount)
const WARMUP = 2
const TIMEOUT_MS = 3000
const log = (line: string) => (json ? console.error(line) : console.log(line))

const allContestants = ["effect-imap", "imapflow", "floor", "effect-imap watcher"] as const
type Contestant = (typeof allContestants)[number]
/** The EXISTS-level contestants (the IDLE goal is about these), then the watcher's NewMessage. */
const contestants: ReadonlyArray<Contestant> = allContestants.filter((c) => withWatcher || c !== "effect-imap watcher")
const emptyPer = <A>(make: () => A): Record<Contestant, A> => ({
  "effect-imap": make(),
  imapflow: make(),
  floor: make(),
  "effect-imap watcher": make()
})

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)))

// ---------------------------------------------------------------------------------------------
// Lanes

interface Lane {
  readonly index: number
  readonly user: string
  readonly writer: RawImap
  /** Messages in the mailbox as the writer knows it. */
  count: number
  /** The mailbox's highest UID before the first APPEND (the watcher's `sinceUid`). */
  readonly lastUidAtStart: number
  /** Per UID the writer's APPENDUID reported: the message count that APPEND made. */
  readonly countOfUid: Map<number, number>
  /** Per message count: when the writer's tagged OK was read. */
  readonly okAt: Map<number, number>
  /** Per message count: when each watcher saw `* count EXISTS`. */
  readonly seenAt: Map<number, Partial<Record<Contestant, number>>>
  /**
   * --split only: per message count, when the client's first look at the EXISTS happened (imapflow:
   * the socket chunk holding it; effect-imap: its reader's frame, through the trace sink).
   */
  readonly arrivedAt: Map<number, Partial<Record<Contestant, number>>>
  /** Wakes the writer when a watcher reports. */
  wake: (() => void) | undefined
  readonly stops: Array<() => Promise<void>>
  /** Counts this lane measured (warm-ups excluded). */
  readonly measured: Array<number>
  /** EXISTS announcing a count nobody appended (coalescing, or a stray): should stay empty. */
  readonly strays: Array<string>
}

const record = (lane: Lane, who: Contestant, count: number, at: number) => {
  const seen = lane.seenAt.get(count)
  if (seen === undefined) {
    lane.strays.push(`${who} saw ${count} EXISTS`)
    return
  }
  if (seen[who] === undefined) seen[who] = at
  lane.wake?.()
}

const arrived = (lane: Lane, who: Contestant, count: number, at: number) => {
  const seen = lane.arrivedAt.get(count) ?? {}
  if (seen[who] === undefined) seen[who] = at
  lane.arrivedAt.set(count, seen)
}

const existsIn = /\* (\d+) EXISTS\r?\n/g

/** The watcher's NewMessage, paired with its APPEND by UID (and checked against the message count). */
const recordNewMessage = (lane: Lane, uid: number, seq: number, at: number) => {
  const count = lane.countOfUid.get(uid)
  if (count === undefined) {
    lane.strays.push(`effect-imap watcher got UID ${uid} (seq ${seq}), which no APPEND reported`)
    return
  }
  if (seq !== count) lane.strays.push(`effect-imap watcher got UID ${uid} as seq ${seq}, expected ${count}`)
  record(lane, "effect-imap watcher", count, at)
}

/** `[APPENDUID validity uid]` in the APPEND's tagged OK (Dovecot has UIDPLUS). */
const appendUid = (tagged: string): number => {
  const m = /\[APPENDUID \d+ (\d+)\]/.exec(tagged)
  if (m === null) throw new Error(`no APPENDUID in: ${tagged}`)
  return Number(m[1])
}

const complete = (lane: Lane, count: number) => {
  const seen = lane.seenAt.get(count)
  return seen !== undefined && contestants.every((c) => seen[c] !== undefined)
}

/** APPENDs the lane's next message; resolves when all watchers saw it or the timeout passed. */
const appendAndWait = async (lane: Lane, body: string): Promise<number> => {
  const count = ++lane.count
  lane.seenAt.set(count, {})
  const { line, at } = await lane.writer.command("APPEND INBOX", Buffer.from(body))
  lane.okAt.set(count, at)
  lane.countOfUid.set(appendUid(line), count)
  const deadline = at + TIMEOUT_MS
  while (!complete(lane, count) && performance.now() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadline - performance.now())
      lane.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    lane.wake = undefined
  }
  return count
}

const watchFloor = async (dovecot: Dovecot, lane: Lane): Promise<() => Promise<void>> => {
  const conn = await loginRaw(dovecot.host, dovecot.port, lane.user, dovecot.password)
  await conn.command("EXAMINE INBOX")
  await new Promise<void>((resolve) => {
    conn.onLine = (line, at) => {
      if (line.startsWith("+")) return resolve()
      // `* N EXISTS`: the cheapest honest check, no general parsing.
      if (line.endsWith(" EXISTS") && line.startsWith("* ")) record(lane, "floor", Number(line.slice(2, -7)), at)
    }
    conn.socket.write("I1 IDLE\r\n")
  })
  return async () => {
    conn.socket.write("DONE\r\nI2 LOGOUT\r\n")
    await sleep(20)
    conn.close()
  }
}

const watchImapflow = async (dovecot: Dovecot, lane: Lane): Promise<() => Promise<void>> => {
  const client = await openImapflow(dovecot.host, dovecot.port, lane.user, dovecot.password)
  client.on("exists", (e) => record(lane, "imapflow", e.count, performance.now()))
  if (split) {
    // A second 'data' listener on imapflow's socket (already flowing): when the bytes came in.
    const socket: unknown = Reflect.get(client, "socket")
    if (socket instanceof net.Socket) {
      socket.on("data", (chunk: Buffer) => {
        const at = performance.now()
        for (const m of chunk.toString("latin1").matchAll(existsIn)) arrived(lane, "imapflow", Number(m[1]), at)
      })
    }
  }
  client.idle().catch(() => {})
  const deadline = performance.now() + 5000
  while (!client.idling && performance.now() < deadline) await sleep(5)
  if (!client.idling) throw new Error(`imapflow did not start IDLE for ${lane.user}`)
  return async () => {
    await client.logout().catch(() => {})
  }
}

const watchOurs = async (dovecot: Dovecot, lane: Lane): Promise<() => Promise<void>> => {
  let ready: () => void = () => {}
  const selected = new Promise<void>((r) => {
    ready = r
  })
  const program = Effect.scoped(
    Effect.gen(function* () {
      const session = yield* ImapClient.make({
        host: dovecot.host,
        port: dovecot.port,
        tls: "none",
        auth: ImapConfig.password(lane.user, dovecot.password),
        ...(split
          ? {
              trace: (direction: "C" | "S", line: string) => {
                const m = direction === "S" ? /^\* (\d+) EXISTS$/.exec(line) : null
                if (m !== null) arrived(lane, "effect-imap", Number(m[1]), performance.now())
              }
            }
          : {})
      })
      yield* session.examine("INBOX")
      yield* Effect.sync(ready)
      yield* session.idle().pipe(
        Stream.runForEach((e) =>
          Effect.sync(() => {
            if (e._tag === "Exists") record(lane, "effect-imap", e.count, performance.now())
          })
        )
      )
    })
  )
  const fiber = Effect.runFork(program)
  fiber.addObserver((exit) => {
    if (exit._tag === "Failure" && !Cause.hasInterruptsOnly(exit.cause))
      console.error(`effect-imap watcher for ${lane.user} ended:`, exit.cause)
  })
  await selected
  return async () => {
    await Effect.runPromise(Fiber.interrupt(fiber))
  }
}

// The watcher runs in a worker thread of this process (see the header): its own event loop, the
// same monotonic clock. Messages between the threads:
type ToWatcherThread =
  | {
      readonly _tag: "Watch"
      readonly lane: number
      readonly host: string
      readonly port: number
      readonly user: string
      readonly password: string
      readonly sinceUid: number
    }
  | { readonly _tag: "Stop"; readonly lane: number }
type FromWatcherThread =
  | { readonly _tag: "Ready" }
  /** `at`: `process.hrtime` in ms (uv_hrtime, the clock `performance.now()` counts on in every thread). */
  | {
      readonly _tag: "NewMessage"
      readonly lane: number
      readonly uid: number
      readonly seq: number
      readonly at: number
    }
  | { readonly _tag: "Ended"; readonly lane: number; readonly cause: string }
  | { readonly _tag: "Stopped"; readonly lane: number }

const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6

/** The worker thread: one `Watcher.watch` fiber per lane, each NewMessage posted with its time. */
const watcherThread = (port: MessagePort) => {
  const fibers = new Map<number, Fiber.Fiber<void, unknown>>()
  const post = (m: FromWatcherThread) => port.postMessage(m)
  port.on("message", (m: ToWatcherThread) => {
    if (m._tag === "Stop") {
      const fiber = fibers.get(m.lane)
      if (fiber === undefined) return post({ _tag: "Stopped", lane: m.lane })
      Effect.runPromise(Fiber.interrupt(fiber)).finally(() => post({ _tag: "Stopped", lane: m.lane }))
      return
    }
    const program = Watcher.watch({
      client: { host: m.host, port: m.port, tls: "none", auth: ImapConfig.password(m.user, m.password) },
      mailbox: "INBOX",
      readOnly: true,
      sinceUid: m.sinceUid
    }).pipe(
      Stream.runForEach((n) =>
        Effect.sync(() => post({ _tag: "NewMessage", lane: m.lane, uid: n.uid, seq: n.seq, at: hrNow() }))
      ),
      Effect.provide(Checkpoint.layerMemory)
    )
    const fiber = Effect.runFork(program)
    fibers.set(m.lane, fiber)
    fiber.addObserver((exit) => {
      if (exit._tag === "Failure" && !Cause.hasInterruptsOnly(exit.cause))
        post({ _tag: "Ended", lane: m.lane, cause: Cause.pretty(exit.cause) })
    })
  })
  post({ _tag: "Ready" })
}

interface WatcherHost {
  readonly watch: (dovecot: Dovecot, lane: Lane) => () => Promise<void>
  readonly close: () => Promise<void>
}

/** Starts the worker thread (this same file) and routes its NewMessages to the lanes. */
const startWatcherThread = async (lanes: ReadonlyArray<Lane>): Promise<WatcherHost> => {
  // performance.now() = uv_hrtime − this thread's origin: one constant offset maps the worker's
  // hrtime readings onto this thread's clock (sampled back to back; the best of a few).
  let offset = 0
  let window = Number.POSITIVE_INFINITY
  for (let i = 0; i < 20; i++) {
    const before = performance.now()
    const hr = hrNow()
    const after = performance.now()
    if (after - before < window) {
      window = after - before
      offset = (before + after) / 2 - hr
    }
  }
  const worker = new Worker(new URL(import.meta.url), { workerData: { watcherThread: true } })
  const stopped = new Map<number, () => void>()
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("error", (e) => {
      console.error("the watcher thread failed:", e)
      reject(e)
    })
    worker.on("message", (m: FromWatcherThread) => {
      if (m._tag === "Ready") return resolve()
      const lane = lanes[m.lane]
      if (lane === undefined) return
      if (m._tag === "NewMessage") recordNewMessage(lane, m.uid, m.seq, m.at + offset)
      else if (m._tag === "Ended") console.error(`effect-imap Watcher.watch for ${lane.user} ended:`, m.cause)
      else stopped.get(m.lane)?.()
    })
  })
  await ready
  const send = (m: ToWatcherThread) => worker.postMessage(m)
  return {
    watch: (dovecot, lane) => {
      send({
        _tag: "Watch",
        lane: lane.index,
        host: dovecot.host,
        port: dovecot.port,
        user: lane.user,
        password: dovecot.password,
        sinceUid: lane.lastUidAtStart
      })
      return () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000)
          stopped.set(lane.index, () => {
            clearTimeout(timer)
            resolve()
          })
          send({ _tag: "Stop", lane: lane.index })
        })
    },
    close: async () => {
      await worker.terminate()
    }
  }
}

/** The mailbox's highest UID, from the writer (`STATUS INBOX (UIDNEXT)` − 1). */
const lastUid = async (writer: RawImap): Promise<number> => {
  let uidNext: number | undefined
  writer.onLine = (line) => {
    const m = /^\* STATUS .*\(UIDNEXT (\d+)\)/.exec(line)
    if (m !== null) uidNext = Number(m[1])
  }
  await writer.command("STATUS INBOX (UIDNEXT)")
  writer.onLine = undefined
  if (uidNext === undefined) throw new Error("no UIDNEXT in the writer's STATUS response")
  return uidNext - 1
}

// ---------------------------------------------------------------------------------------------
// Run

/**
 * The test harness sets `mailbox_idle_check_interval = 1 secs` (a fallback poll, for tests). Each
 * IDLE session polls on its own phase, and a poll that comes before the 500 ms inotify hold ends
 * delivers the EXISTS early: the three watchers of one APPEND would then differ by up to 500 ms for
 * reasons that are the server's, not the clients'. Dovecot's own default (30 s) is what production
 * servers run, so the bench's private Dovecot goes back to it (config rewritten, `doveadm reload`;
 * new sessions pick it up).
 */
const useDefaultIdleCheckInterval = async (dovecot: Dovecot): Promise<void> => {
  const conf = await readFile(dovecot.configPath, "utf8")
  const changed = conf.replace(/^mailbox_idle_check_interval = .*$/m, "mailbox_idle_check_interval = 30 secs")
  if (changed === conf) throw new Error("mailbox_idle_check_interval not found in the harness's dovecot.conf")
  await writeFile(dovecot.configPath, changed)
  const doveadm = ["/usr/bin/doveadm", "/usr/sbin/doveadm"].find((p) => existsSync(p)) ?? "doveadm"
  execFileSync(doveadm, ["-c", dovecot.configPath, "reload"], { stdio: "ignore" })
  // The master re-reads its config asynchronously; new logins after this see the new value.
  await sleep(300)
}

const main = async () => {
  const benchStart = performance.now()
  const loadAtStart = (await machine()).load
  const dovecot = await startDovecot()
  await useDefaultIdleCheckInterval(dovecot)
  const lanes: Array<Lane> = []
  let watcherHost: WatcherHost | undefined
  try {
    const next = messages(0x1d1e)
    const setupStart = performance.now()
    for (let i = 0; i < lanesCount; i++) {
      const user = `idle${i + 1}`
      // One message up front: the mailbox exists and every watcher SELECTs a non-empty INBOX.
      await dovecot.deliver(user, "INBOX", next(0))
      const writer = await loginRaw(dovecot.host, dovecot.port, user, dovecot.password)
      lanes.push({
        index: i,
        user,
        writer,
        count: 1,
        lastUidAtStart: await lastUid(writer),
        countOfUid: new Map(),
        okAt: new Map(),
        seenAt: new Map(),
        arrivedAt: new Map(),
        wake: undefined,
        stops: [],
        measured: [],
        strays: []
      })
    }
    if (withWatcher) watcherHost = await startWatcherThread(lanes)
    await Promise.all(
      lanes.map(async (lane) => {
        // The start order rotates per lane: Dovecot may notify a mailbox's sessions in the order they
        // were opened, and no contestant should always be first (or last) to hear of a message.
        const starts = [watchFloor, watchImapflow, watchOurs]
        for (let k = 0; k < starts.length; k++) {
          const start = starts[(lane.index + k) % starts.length] as (typeof starts)[number]
          lane.stops.push(await start(dovecot, lane))
        }
        // Last: the three EXISTS-level watchers are idling before the watcher's session starts.
        if (watcherHost !== undefined) lane.stops.push(watcherHost.watch(dovecot, lane))
      })
    )
    await Promise.all(
      lanes.map(async (lane) => {
        for (let w = 0; w < WARMUP; w++) {
          const count = await appendAndWait(lane, next(lane.count))
          if (!complete(lane, count)) {
            const seen = lane.seenAt.get(count) ?? {}
            const missing = contestants.filter((c) => seen[c] === undefined)
            throw new Error(`${lane.user}: warm-up EXISTS ${count} not seen by ${missing.join(", ")}`)
          }
        }
      })
    )
    const setupMs = performance.now() - setupStart
    log(
      `# ${lanesCount} lanes x ${rounds} appends, one slot every ${fixed(periodMs / lanesCount, 0)} ms ` +
        `(setup and ${WARMUP} warm-ups per lane: ${fixed(setupMs / 1000, 1)} s)`
    )

    // The slot grid: lane s % L may append at t0 + s * period / L if its previous sample is done.
    const slotMs = periodMs / lanesCount
    const busy = new Set<Lane>()
    const inFlight: Array<Promise<void>> = []
    let skipped = 0
    const t0 = performance.now()
    for (let s = 0; lanes.some((l) => l.measured.length < rounds || busy.has(l)); s++) {
      await sleep(t0 + s * slotMs - performance.now())
      const lane = lanes[s % lanesCount] as Lane
      if (lane.measured.length >= rounds) continue
      if (busy.has(lane)) {
        skipped++
        continue
      }
      busy.add(lane)
      inFlight.push(
        appendAndWait(lane, next(lane.count)).then((count) => {
          lane.measured.push(count)
          busy.delete(lane)
        })
      )
    }
    await Promise.all(inFlight)
    const measureMs = performance.now() - t0

    // -------------------------------------------------------------------------------------------
    // Report

    const latencies = emptyPer((): Array<number> => [])
    const paired = emptyPer((): Array<number> => [])
    const misses = emptyPer(() => 0)
    for (const lane of lanes) {
      for (const count of lane.measured) {
        const ok = lane.okAt.get(count)
        const seen = lane.seenAt.get(count) ?? {}
        if (ok === undefined) continue
        for (const c of contestants) {
          const at = seen[c]
          if (at === undefined) misses[c]++
          else latencies[c].push(at - ok)
          const floorAt = seen.floor
          if (at !== undefined && floorAt !== undefined) paired[c].push(at - floorAt)
        }
      }
    }
    if (process.env.IDLE_BENCH_DEBUG !== undefined) {
      for (const lane of lanes) {
        for (const count of lane.measured) {
          const ok = lane.okAt.get(count) ?? Number.NaN
          const seen = lane.seenAt.get(count) ?? {}
          console.error(
            `${lane.user} #${count} ok=${fixed(ok, 1)} ${contestants.map((c) => `${c}=${fixed((seen[c] ?? Number.NaN) - ok, 2)}`).join(" ")}`
          )
        }
      }
    }
    // --split: where each client's time goes, first look at the bytes -> event, and the first look
    // relative to the floor's (server, kernel and event-loop order: not the client's parsing).
    const splitRows = (["effect-imap", "imapflow"] as const).map((c) => {
      const inside: Array<number> = []
      const before: Array<number> = []
      for (const lane of lanes) {
        for (const count of lane.measured) {
          const first = lane.arrivedAt.get(count)?.[c]
          const seen = lane.seenAt.get(count) ?? {}
          const event = seen[c]
          const floorAt = seen.floor
          if (first !== undefined && event !== undefined) inside.push(event - first)
          if (first !== undefined && floorAt !== undefined) before.push(first - floorAt)
        }
      }
      return { contestant: c, inside, before }
    })
    const strays = lanes.flatMap((l) => l.strays.map((s) => `${l.user}: ${s}`))
    const floorLat = latencies.floor
    const rows = contestants.map((c) => {
      const xs = latencies[c]
      const d = paired[c]
      return {
        contestant: c,
        samples: xs.length,
        misses: misses[c],
        p50: percentile(xs, 50),
        p95: percentile(xs, 95),
        p99: percentile(xs, 99),
        max: percentile(xs, 100),
        p50VsFloor: percentile(xs, 50) - percentile(floorLat, 50),
        p95VsFloor: percentile(xs, 95) - percentile(floorLat, 95),
        p99VsFloor: percentile(xs, 99) - percentile(floorLat, 99),
        pairedMedian: median(d),
        pairedP95: percentile(d, 95),
        pairedP99: percentile(d, 99),
        pairedMax: percentile(d, 100)
      }
    })
    const m = await machine()
    const totalS = (performance.now() - benchStart) / 1000
    if (json) {
      console.log(
        JSON.stringify(
          {
            machine: m,
            loadAtStart,
            lanes: lanesCount,
            rounds,
            periodMs,
            skipped,
            measureMs,
            totalS,
            results: rows,
            split: split
              ? splitRows.map((r) => ({
                  contestant: r.contestant,
                  insideP50: percentile(r.inside, 50),
                  insideP99: percentile(r.inside, 99),
                  beforeP50: percentile(r.before, 50),
                  beforeP99: percentile(r.before, 99)
                }))
              : undefined,
            strays
          },
          null,
          2
        )
      )
    } else {
      log("")
      log(describeMachine(m))
      log(
        `${lanesCount} lanes (users) x ${rounds} APPENDs = ${lanesCount * rounds} samples per contestant in ${fixed(measureMs / 1000, 1)} s ` +
          `(${skipped} slots skipped: previous sample not done); total ${fixed(totalS, 0)} s. ` +
          `Load average at start ${fixed(loadAtStart)}, at end ${fixed(m.load)}.`
      )
      log("")
      log(
        table(
          [
            "contestant",
            "samples",
            "missed",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "p50 − floor",
            "p95 − floor",
            "p99 − floor",
            "paired Δ p50",
            "paired Δ p95",
            "paired Δ p99",
            "paired Δ max"
          ],
          "lrrrrrrrrrrrrr",
          rows.map((r) => [
            r.contestant === "effect-imap watcher" ? "effect-imap watcher (NewMessage)" : r.contestant,
            String(r.samples),
            String(r.misses),
            fixed(r.p50, 2),
            fixed(r.p95, 2),
            fixed(r.p99, 2),
            fixed(r.max, 2),
            fixed(r.p50VsFloor, 2),
            fixed(r.p95VsFloor, 2),
            fixed(r.p99VsFloor, 2),
            fixed(r.pairedMedian, 2),
            fixed(r.pairedP95, 2),
            fixed(r.pairedP99, 2),
            fixed(r.pairedMax, 2)
          ])
        )
      )
      if (split) {
        log("")
        log(
          table(
            [
              "contestant",
              "samples",
              "bytes seen → event p50",
              "p95",
              "p99",
              "max",
              "bytes seen − floor event p50",
              "p95",
              "p99",
              "max"
            ],
            "lrrrrrrrrr",
            splitRows.map((r) => [
              r.contestant,
              String(r.inside.length),
              ...[50, 95, 99, 100].map((p) => fixed(percentile(r.inside, p), 3)),
              ...[50, 95, 99, 100].map((p) => fixed(percentile(r.before, p), 3))
            ])
          )
        )
        log("")
        log(
          "Split (--split): bytes seen = imapflow's socket 'data' chunk holding the EXISTS, or effect-imap's reader frame"
        )
        log("(trace sink); → event: the client's own work after that. − floor event: how much later than the floor's")
        log(
          "handling the bytes were first looked at (server timer, kernel, and the order this process served the sockets)."
        )
      }
      log("")
      log("Latency: writer's APPEND tagged OK read -> the contestant's EXISTS event, in ms; it includes Dovecot's")
      log("fixed ~500 ms notification hold. X − floor: that percentile minus the floor's. Paired Δ: per APPEND, this")
      log("contestant's time minus the floor's for the same message (negative: it was handled before the floor).")
      log("The IDLE goal (p99 within 2 ms of the floor, no worse than imapflow) is about the EXISTS-level rows")
      log("(effect-imap, imapflow, floor) only.")
      if (withWatcher) {
        log("effect-imap watcher (NewMessage): `Watcher.watch` (EXAMINE, sinceUid, memory checkpoints) on its own")
        log("connection, in a worker thread; APPEND OK -> the NewMessage for that UID: its EXISTS, DONE and IDLE's")
        log("tagged OK, then the UID FETCH (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE) round trip. Slower by design")
        log("(it is what an application using the watcher gets): its − floor and paired columns are the cost of")
        log("fetching the envelope, not IDLE latency, and the IDLE goal does not apply to it.")
      }
      for (const s of strays) log(`WARNING: ${s}`)
    }
    if (strays.length > 0 || contestants.some((c) => misses[c] > 0)) process.exitCode = 1
  } finally {
    for (const lane of lanes) {
      for (const stop of lane.stops) await stop().catch(() => {})
      lane.writer.close()
    }
    await watcherHost?.close()
    await dovecot.stop()
  }
}

if (!isMainThread && parentPort !== null && Reflect.get(Object(workerData), "watcherThread") === true) {
  watcherThread(parentPort)
} else {
  await main()
  // Lingering client timers must not keep the bench alive.
  process.exit(process.exitCode ?? 0)
}
