/**
 * `pnpm bench:client`: end-to-end FETCH throughput and peak memory of this client against imapflow
 * and a raw-socket floor, all against one private Dovecot in the same run.
 *
 * Scenarios (mailboxes filled by `doveadm import` with generated 2–4 KB messages, seeded):
 * - env10k / env50k: `UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)` over 10,000 and
 *   50,000 messages (two users);
 * - body2k: `UID FETCH 1:2000 (BODY.PEEK[])` (on the 10,000-message mailbox).
 *
 * Contestants, each in a fresh child process per run (`node bench/client.ts --child NAME SCENARIO
 * CONFIG`) so that its peak RSS is its own:
 * - effect-imap: `ImapClient.make` + `examine` + `fetch(...)` consumed with `Stream.runForEach`;
 * - imapflow: `connect` + `mailboxOpen(readOnly)` + the `fetch(range, query, { uid: true })` iterator;
 * - socket+decoder: `@effect/platform-node`'s socket pulled in an Effect loop into `ResponseDecoder`,
 *   FETCH responses counted: the socket and parser this client is built on, without the client;
 * - floor: `node:net`, LOGIN, ENABLE CONDSTORE (both clients enable it, so Dovecot adds MODSEQ to every
 *   FETCH for all three), EXAMINE, the same UID FETCH, and only counting bytes until the tagged OK.
 * The timed span is the FETCH alone: from issuing it to the last message consumed (connect, login and
 * EXAMINE are not in it). Each child runs the FETCH once cold (the main table: what a fresh process,
 * a CLI command, pays, JIT warm-up included) and then `--repeat` more times on the same connection
 * (the warm table: what a long-running program pays once its code is compiled).
 * Peak RSS: the kernel's high-water mark (`VmHWM`) for the whole child (Node and module load
 * included), read right after the first FETCH; the Δ column is that peak minus the RSS just before it.
 * Two deliberate departures from the obvious: (1) no `process.memoryUsage.rss()` sampler in the child:
 * `rss()` now and then stalls for milliseconds while GC threads hold the mm lock, and a CPU profile of
 * effect-imap on env50k put 80 ms (3%) of its FETCH into that timer callback, more than for the others
 * (VmHWM is the exact peak anyway); (2) not `process.resourceUsage().maxRSS`: on Linux a child
 * inherits the forking parent's figure through exec, here the parent that generated the mail.
 *
 * Method: one untimed warm-up round (Dovecot builds its caches, the OS its page cache), then `--runs`
 * rounds; within a round every scenario runs each contestant once, the order rotating per round.
 * The table shows medians.
 *
 * Options: --runs N (5), --repeat N (3 warm FETCHes per child; 0 for none), --json, --only
 * SCENARIO[,SCENARIO], --profile DIR (after the runs, one more run per contestant and scenario under
 * `node --cpu-prof`, profiles written to DIR), --node-arg=ARG (repeatable: a Node/V8 option given to
 * every child alike, for diagnostics such as `--node-arg=--max-semi-space-size=8`), --pin (Dovecot on
 * CPU 1 and every contestant on CPU 0, with `taskset`: separates what a client costs from its
 * competition with the server for a small machine's cores; a diagnostic, not the default).
 */
import { execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { mkdir } from "node:fs/promises"
import * as net from "node:net"
import * as path from "node:path"
import type { Command } from "@pkg/protocol"
// The session comes from the compiled package; its connection is found by a registered symbol.
import { completion } from "../test/support/Subprocess.ts"
import {
  describeMachine,
  fixed,
  loginRaw,
  MB,
  machine,
  median,
  openImapflow,
  populate,
  quote,
  startDovecot,
  table,
  thousands
} from "./support.ts"

// ---------------------------------------------------------------------------------------------
// Scenarios and contestants

interface Scenario {
  readonly name: string
  readonly user: string
  readonly from: number
  /** undefined for `*`. */
  readonly to: number | undefined
  readonly expected: number
  readonly body: boolean
  readonly description: string
}

const USER_10K = "bench10k"
const USER_50K = "bench50k"
const ENVELOPE_ITEMS = "(UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)"

const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "env10k",
    user: USER_10K,
    from: 1,
    to: undefined,
    expected: 10_000,
    body: false,
    description: `UID FETCH 1:* ${ENVELOPE_ITEMS}, 10,000 messages`
  },
  {
    name: "env50k",
    user: USER_50K,
    from: 1,
    to: undefined,
    expected: 50_000,
    body: false,
    description: `UID FETCH 1:* ${ENVELOPE_ITEMS}, 50,000 messages`
  },
  {
    name: "body2k",
    user: USER_10K,
    from: 1,
    to: 2000,
    expected: 2000,
    body: true,
    description: "UID FETCH 1:2000 (BODY.PEEK[]), 2,000 messages of 2–4 KB"
  }
]

const contestantNames = ["effect-imap", "imapflow", "socket+decoder", "floor"] as const
type ContestantName = (typeof contestantNames)[number]
const isContestant = (s: string | undefined): s is ContestantName => contestantNames.some((c) => c === s)

interface ChildConfig {
  readonly host: string
  readonly port: number
  readonly password: string
  /** FETCHes after the first, on the same connection (the warm figures). */
  readonly repeat: number
}

/** What a child reports (one JSON line on stdout): the first FETCH, then the repeats' times. */
interface Sample {
  readonly ms: number
  readonly cpuMs: number
  readonly count: number
  /** Bytes read from the socket during the FETCH. */
  readonly bytes: number
  /** Body bytes delivered to the consumer (body2k), as a check. */
  readonly payload: number
  readonly rssBefore: number
  /**
   * The kernel's high-water mark for this process (`VmHWM` in /proc/self/status) right after the
   * first FETCH, in bytes. Not `process.resourceUsage().maxRSS`: Linux carries that over from the
   * forking parent through exec.
   */
  readonly maxRss: number
  /** Times (and CPU) of the FETCHes repeated on the same connection after the first. */
  readonly warmMs: ReadonlyArray<number>
  readonly warmCpuMs: ReadonlyArray<number>
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

const rangeText = (s: Scenario) => `${s.from}:${s.to ?? "*"}`

// ---------------------------------------------------------------------------------------------
// Child: one contestant, one scenario, one run

/** One FETCH, from issuing it to the last message consumed. */
interface Fetched {
  readonly ms: number
  /** This process's CPU time (user + system, all threads) during the FETCH: less sensitive to load. */
  readonly cpuMs: number
  readonly count: number
  readonly bytes: number
  readonly payload: number
}

/**
 * What a contestant does with one connection: the FETCH `1 + repeat` times. `afterFirst` runs
 * right after the first (cold) FETCH, before the repeats: the child reads its peak RSS there.
 */
type Runner = (
  config: ChildConfig,
  scenario: Scenario,
  repeat: number,
  afterFirst: () => void
) => Promise<{ readonly rssBefore: number; readonly runs: ReadonlyArray<Fetched> }>

// Each contestant loads only its own modules (dynamic imports): the floor's RSS is Node plus this
// bench file (type-stripped, as for everyone), and neither client pays for the other's code.
const runOurs: Runner = async (config, scenario, repeat, afterFirst) => {
  const { ImapClient, ImapConfig } = await import("@pkg/client")
  const { Command: C, SequenceSet } = await import("@pkg/protocol")
  // Deep imports, as a memory-conscious app would write them: the `effect` barrel alone costs ~11 MB.
  const Effect = await import("effect/Effect")
  const Stream = await import("effect/Stream")
  const set =
    scenario.to === undefined
      ? SequenceSet.from("uid", SequenceSet.Uid(scenario.from))
      : SequenceSet.range("uid", SequenceSet.Uid(scenario.from), SequenceSet.Uid(scenario.to))
  const items: Command.FetchItems = scenario.body
    ? [C.Attr.uid, C.Attr.bodySection({ part: [] }, { peek: true })]
    : [C.Attr.uid, C.Attr.flags, C.Attr.envelope, C.Attr.rfc822Size, C.Attr.internalDate]
  const program = Effect.scoped(
    Effect.gen(function* () {
      const session = yield* ImapClient.make({
        host: config.host,
        port: config.port,
        tls: "none",
        auth: ImapConfig.password(scenario.user, config.password)
      })
      yield* session.examine("INBOX")
      const rssBefore = process.memoryUsage.rss()
      const runs: Array<Fetched> = []
      for (let i = 0; i <= repeat; i++) {
        const bytes0 = yield* session.bytesReceived
        let count = 0
        let payload = 0
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        yield* session.fetch(set, items).pipe(
          Stream.runForEach((m) =>
            Effect.sync(() => {
              count++
              if (scenario.body) payload += m.attributes.body?.[0]?.data?.length ?? 0
            })
          )
        )
        const ms = performance.now() - t0
        const cpuMs = cpuSince(cpu0)
        const bytes = (yield* session.bytesReceived) - bytes0
        runs.push({ ms, cpuMs, count, bytes, payload })
        if (i === 0) afterFirst()
      }
      return { rssBefore, runs }
    })
  )
  return Effect.runPromise(program)
}

const runImapflow: Runner = async (config, scenario, repeat, afterFirst) => {
  const client = await openImapflow(config.host, config.port, scenario.user, config.password)
  // Not in imapflow's public types, but a plain net.Socket at run time: read its byte counter.
  const socket: unknown = Reflect.get(client, "socket")
  if (!(socket instanceof net.Socket)) throw new Error("imapflow has no net.Socket")
  const rssBefore = process.memoryUsage.rss()
  const query = scenario.body
    ? { uid: true, source: true }
    : { uid: true, flags: true, envelope: true, size: true, internalDate: true }
  const runs: Array<Fetched> = []
  for (let i = 0; i <= repeat; i++) {
    const bytes0 = socket.bytesRead
    let count = 0
    let payload = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for await (const m of client.fetch(rangeText(scenario), query, { uid: true })) {
      count++
      if (scenario.body) payload += m.source?.length ?? 0
    }
    const ms = performance.now() - t0
    runs.push({ ms, cpuMs: cpuSince(cpu0), count, bytes: socket.bytesRead - bytes0, payload })
    if (i === 0) afterFirst()
  }
  await client.logout()
  return { rssBefore, runs }
}

const runFloor: Runner = async (config, scenario, repeat, afterFirst) => {
  const conn = await loginRaw(config.host, config.port, scenario.user, config.password)
  await conn.command("ENABLE CONDSTORE")
  await conn.command("EXAMINE INBOX")
  const rssBefore = process.memoryUsage.rss()
  const items = scenario.body ? "(BODY.PEEK[])" : ENVELOPE_ITEMS
  const runs: Array<Fetched> = []
  for (let i = 0; i <= repeat; i++) {
    const tag = `F${i + 1}`
    const done = Buffer.from(`\r\n${tag} `)
    let bytes = 0
    let tail = Buffer.alloc(0)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      conn.socket.once("error", reject)
      conn.takeOver((chunk) => {
        bytes += chunk.length
        // The tagged reply is the last line: look for CRLF + tag at the end of what has arrived. Nothing
        // is parsed; only a chunk that happened to end in a body line `F1 ...` could fool this, and the
        // generated bodies have none.
        const end = chunk.length >= 512 ? chunk.subarray(chunk.length - 512) : Buffer.concat([tail, chunk])
        if (end[end.length - 1] === 0x0a) {
          const from = end.lastIndexOf(done, end.length - 3)
          if (from >= 0 && end.indexOf(0x0a, from + 2) === end.length - 1) {
            const line = end.subarray(from + 2).toString("latin1")
            if (!line.startsWith(`${tag} OK`)) return reject(new Error(line.trim()))
            conn.socket.off("error", reject)
            return resolve()
          }
        }
        tail = Buffer.from(end.subarray(Math.max(0, end.length - 256)))
      })
      conn.socket.write(`${tag} UID FETCH ${rangeText(scenario)} ${items}\r\n`)
    })
    const ms = performance.now() - t0
    // The floor does not count messages (that would be parsing): it reports the expected count, and the
    // two clients' counts are what is checked.
    runs.push({ ms, cpuMs: cpuSince(cpu0), count: scenario.expected, bytes, payload: 0 })
    if (i === 0) afterFirst()
  }
  conn.close()
  return { rssBefore, runs }
}

/**
 * The mandated stack with nothing of the client on it: `@effect/platform-node`'s socket pulled in an
 * Effect loop, every chunk through `ResponseDecoder`, FETCH responses counted. No command queue,
 * dispatch, state, Stream or consumer fiber: what any client built on this socket and parser pays
 * at least, so the gap between it and effect-imap is what the client itself adds.
 */
const runStack: Runner = async (config, scenario, repeat, afterFirst) => {
  const NodeSocket = await import("@effect/platform-node/NodeSocket")
  const Effect = await import("effect/Effect")
  const { ResponseDecoder } = await import("@pkg/protocol")
  const encoder = new TextEncoder()
  const items = scenario.body ? "(BODY.PEEK[])" : ENVELOPE_ITEMS
  const program = Effect.scoped(
    Effect.gen(function* () {
      const socket = yield* NodeSocket.makeNet({ host: config.host, port: config.port, noDelay: true })
      const { pull } = yield* socket.reader
      const writer = yield* socket.writer
      const decoder = ResponseDecoder.make()
      let count = 0
      let payload = 0
      let received = 0
      // Reads until the tagged reply to `tag` (undefined: the greeting), counting FETCH responses.
      const readUntil = (tag: string | undefined) =>
        Effect.gen(function* () {
          for (;;) {
            for (const chunk of yield* pull) {
              const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk
              received += bytes.length
              for (const r of decoder.push(bytes)) {
                if (r._tag === "Fetch") {
                  count++
                  if (scenario.body) payload += r.attributes.body?.[0]?.data?.length ?? 0
                  continue
                }
                const reply =
                  tag === undefined
                    ? r._tag === "UntaggedStatus"
                      ? r
                      : undefined
                    : r._tag === "Tagged" && r.tag === tag
                      ? r
                      : undefined
                if (reply === undefined) continue
                if (reply.status !== "OK") throw new Error(`${tag ?? "greeting"}: ${reply.status} ${reply.text}`)
                return
              }
            }
          }
        })
      const command = (tag: string, text: string) =>
        Effect.andThen(writer.write(encoder.encode(`${tag} ${text}\r\n`)), readUntil(tag))
      yield* readUntil(undefined)
      yield* command("L", `LOGIN ${quote(scenario.user)} ${quote(config.password)}`)
      yield* command("E", "ENABLE CONDSTORE")
      yield* command("X", "EXAMINE INBOX")
      const rssBefore = process.memoryUsage.rss()
      const runs: Array<Fetched> = []
      for (let i = 0; i <= repeat; i++) {
        count = 0
        payload = 0
        const received0 = received
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        yield* command(`F${i + 1}`, `UID FETCH ${rangeText(scenario)} ${items}`)
        const ms = performance.now() - t0
        runs.push({ ms, cpuMs: cpuSince(cpu0), count, bytes: received - received0, payload })
        if (i === 0) afterFirst()
      }
      return { rssBefore, runs }
    })
  )
  return Effect.runPromise(program)
}

/** VmHWM of this process in bytes (0 where /proc is missing). */
const highWaterRss = (): number => {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]
    return kb === undefined ? 0 : Number(kb) * 1024
  } catch {
    return 0
  }
}

const child = async (name: ContestantName, scenario: Scenario, config: ChildConfig): Promise<void> => {
  const runners: Record<ContestantName, Runner> = {
    "effect-imap": runOurs,
    imapflow: runImapflow,
    "socket+decoder": runStack,
    floor: runFloor
  }
  const run = runners[name]
  let maxRss = 0
  const { rssBefore, runs } = await run(config, scenario, config.repeat, () => {
    maxRss = highWaterRss()
  })
  const [first, ...rest] = runs
  if (first === undefined) throw new Error("no FETCH ran")
  const sample: Sample = {
    ...first,
    rssBefore,
    maxRss,
    warmMs: rest.map((r) => r.ms),
    warmCpuMs: rest.map((r) => r.cpuMs)
  }
  if (rest.some((r) => r.count !== first.count || r.payload !== first.payload)) {
    throw new Error(`${name}: a repeated FETCH read something else than the first`)
  }
  process.stdout.write(`${JSON.stringify(sample)}\n`)
  // Do not wait for lingering timers or sockets of a client: the measurement is done.
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------
// Parent

/** --pin: every contestant runs on CPU 0 (Dovecot is moved to CPU 1 by `pinDovecot`). */
let pinned = false

/**
 * Moves the Dovecot started with `configPath` (its master, every process it has forked, and through
 * inheritance every `imap` process it forks later) to CPU 1.
 */
const pinDovecot = (configPath: string): void => {
  const pids = (args: ReadonlyArray<string>): Array<string> => {
    try {
      return execFileSync("pgrep", args, { encoding: "utf8" }).trim().split("\n").filter(Boolean)
    } catch {
      return [] // pgrep exits 1 when nothing matches
    }
  }
  const all = pids(["-f", `dovecot -c ${configPath}`])
  if (all.length === 0) throw new Error("--pin: cannot find the Dovecot master")
  for (let i = 0; i < all.length; i++) all.push(...pids(["-P", all[i]!]))
  for (const pid of all) execFileSync("taskset", ["-a", "-p", "-c", "1", pid], { stdio: "ignore" })
}

const spawnChild = (
  name: ContestantName,
  scenario: Scenario,
  config: ChildConfig,
  nodeArgs: ReadonlyArray<string> = []
): Promise<Sample> => {
  const args = [...nodeArgs, import.meta.filename, "--child", name, scenario.name, JSON.stringify(config)]
  const proc = pinned ? spawn("taskset", ["-c", "0", process.execPath, ...args]) : spawn(process.execPath, args)
  return completion(proc).then(({ code, stdout, stderr }) => {
    const line = stdout.trim().split("\n").pop() ?? ""
    if (code !== 0 || !line.startsWith("{")) {
      throw new Error(`${name} ${scenario.name} exited with ${code}: ${stderr.trim() || stdout.trim()}`)
    }
    return JSON.parse(line) as Sample
  })
}

const parent = async (): Promise<void> => {
  const args = process.argv.slice(2)
  const option = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const runs = Number(option("runs") ?? 5)
  if (!Number.isInteger(runs) || runs <= 0) throw new Error("--runs needs a positive integer")
  const repeat = Number(option("repeat") ?? 3)
  if (!Number.isInteger(repeat) || repeat < 0) throw new Error("--repeat needs a whole number")
  const json = args.includes("--json")
  // Node/V8 options for every child alike (e.g. --node-arg=--max-semi-space-size=8): diagnostics.
  const nodeArgs = args.filter((a) => a.startsWith("--node-arg=")).map((a) => a.slice("--node-arg=".length))
  const only = option("only")?.split(",")
  const profileDir = option("profile")
  const selected = scenarios.filter((s) => only === undefined || only.includes(s.name))
  if (selected.length === 0) throw new Error(`--only: no scenario among ${scenarios.map((s) => s.name).join(", ")}`)
  const log = (line: string) => {
    if (!json) console.log(line)
    else console.error(line)
  }

  const benchStart = performance.now()
  const loadAtStart = (await machine()).load
  const dovecot = await startDovecot()
  try {
    const config: ChildConfig = { host: dovecot.host, port: dovecot.port, password: dovecot.password, repeat }
    const users = [...new Set(selected.map((s) => s.user))]
    const sizes: Record<string, number> = { [USER_10K]: 10_000, [USER_50K]: 50_000 }
    const t0 = performance.now()
    const imported = await Promise.all(
      users.map((u, i) => populate(dovecot, u, "INBOX", sizes[u] ?? 0, 0xbe7c + i).then((r) => ({ user: u, ...r })))
    )
    const populateMs = performance.now() - t0
    for (const r of imported) {
      log(
        `# populated ${r.user}: ${thousands(sizes[r.user] ?? 0)} messages, ${fixed(r.bytes / MB)} MB in ${fixed(r.ms / 1000, 1)} s`
      )
    }
    log(`# population: ${fixed(populateMs / 1000, 1)} s wall (excluded from the measurements)`)
    if (args.includes("--pin")) {
      pinDovecot(dovecot.configPath)
      pinned = true
      log("# pinned: Dovecot on CPU 1, every contestant on CPU 0")
    }

    const results = new Map<string, Array<Sample>>()
    const key = (c: ContestantName, s: Scenario) => `${s.name}/${c}`
    const order = (round: number): Array<ContestantName> =>
      contestantNames.map((_, i) => contestantNames[(i + round) % contestantNames.length] as ContestantName)

    const w0 = performance.now()
    for (const s of selected) for (const c of order(0)) await spawnChild(c, s, config, nodeArgs)
    log(`# warm-up round: ${fixed((performance.now() - w0) / 1000, 1)} s`)
    for (let round = 0; round < runs; round++) {
      for (const s of selected) {
        for (const c of order(round)) {
          const sample = await spawnChild(c, s, config, nodeArgs)
          const list = results.get(key(c, s)) ?? []
          list.push(sample)
          results.set(key(c, s), list)
        }
      }
      log(`# round ${round + 1}/${runs} done (${fixed((performance.now() - benchStart) / 1000, 1)} s since start)`)
    }

    if (profileDir !== undefined) {
      await mkdir(profileDir, { recursive: true })
      for (const s of selected) {
        for (const c of contestantNames) {
          const dir = path.resolve(profileDir)
          await spawnChild(c, s, config, [
            ...nodeArgs,
            "--cpu-prof",
            `--cpu-prof-dir=${dir}`,
            `--cpu-prof-name=${s.name}-${c}.cpuprofile`
          ])
        }
      }
      log(`# CPU profiles written to ${profileDir}`)
    }

    // -------------------------------------------------------------------------------------------
    // Report

    const m = await machine()
    interface Row {
      readonly scenario: string
      readonly contestant: ContestantName
      readonly count: number
      readonly medianMs: number
      readonly bestMs: number
      readonly cpuMs: number
      readonly cpuVsImapflow: number
      readonly messagesPerSec: number
      readonly mbPerSec: number
      readonly throughputVsImapflow: number
      readonly timeVsFloor: number
      readonly peakRssMB: number
      readonly rssDeltaMB: number
      readonly wireMB: number
      readonly runsMs: ReadonlyArray<number>
    }
    const rows: Array<Row> = []
    interface WarmRow {
      readonly scenario: string
      readonly contestant: ContestantName
      readonly medianMs: number
      readonly cpuMs: number
      readonly messagesPerSec: number
      readonly throughputVsImapflow: number
      readonly timeVsFloor: number
      readonly coldOverWarm: number
    }
    const warmRows: Array<WarmRow> = []
    // A run's warm figure is the median of its repeats; the table shows the median over runs.
    const warmOf = (xs: ReadonlyArray<Sample>, pick: (x: Sample) => ReadonlyArray<number>) =>
      median(xs.map((x) => median(pick(x))))
    const problems: Array<string> = []
    for (const s of selected) {
      const floorSamples = results.get(key("floor", s)) ?? []
      const floorMs = median(floorSamples.map((x) => x.ms))
      const floorBytes = median(floorSamples.map((x) => x.bytes))
      const imapflowMs = median((results.get(key("imapflow", s)) ?? []).map((x) => x.ms))
      const imapflowCpu = median((results.get(key("imapflow", s)) ?? []).map((x) => x.cpuMs))
      for (const c of contestantNames) {
        const xs = results.get(key(c, s)) ?? []
        const ms = median(xs.map((x) => x.ms))
        for (const x of xs) {
          if (x.count !== s.expected) problems.push(`${c} ${s.name}: ${x.count} messages, not ${s.expected}`)
        }
        if (c !== "floor" && s.body) {
          const payloads = new Set(xs.map((x) => x.payload))
          if (payloads.size !== 1) problems.push(`${c} ${s.name}: body bytes differ between runs`)
        }
        rows.push({
          scenario: s.name,
          contestant: c,
          count: xs[0]?.count ?? 0,
          medianMs: ms,
          bestMs: Math.min(...xs.map((x) => x.ms)),
          cpuMs: median(xs.map((x) => x.cpuMs)),
          cpuVsImapflow: imapflowCpu / median(xs.map((x) => x.cpuMs)),
          messagesPerSec: s.expected / (ms / 1000),
          mbPerSec: floorBytes / MB / (ms / 1000),
          throughputVsImapflow: imapflowMs / ms,
          timeVsFloor: ms / floorMs,
          peakRssMB: median(xs.map((x) => x.maxRss)) / MB,
          rssDeltaMB: median(xs.map((x) => x.maxRss - x.rssBefore)) / MB,
          wireMB: median(xs.map((x) => x.bytes)) / MB,
          runsMs: xs.map((x) => x.ms)
        })
      }
      if (repeat > 0) {
        const warm = (c: ContestantName) => warmOf(results.get(key(c, s)) ?? [], (x) => x.warmMs)
        for (const c of contestantNames) {
          const xs = results.get(key(c, s)) ?? []
          const ms = warm(c)
          warmRows.push({
            scenario: s.name,
            contestant: c,
            medianMs: ms,
            cpuMs: warmOf(xs, (x) => x.warmCpuMs),
            messagesPerSec: s.expected / (ms / 1000),
            throughputVsImapflow: warm("imapflow") / ms,
            timeVsFloor: ms / warm("floor"),
            coldOverWarm: median(xs.map((x) => x.ms)) / ms
          })
        }
      }
      const ours = results.get(key("effect-imap", s)) ?? []
      const theirs = results.get(key("imapflow", s)) ?? []
      if (s.body && ours[0] !== undefined && theirs[0] !== undefined && ours[0].payload !== theirs[0].payload) {
        problems.push(`${s.name}: effect-imap read ${ours[0].payload} body bytes, imapflow ${theirs[0].payload}`)
      }
    }
    const totalS = (performance.now() - benchStart) / 1000

    if (json) {
      console.log(
        JSON.stringify(
          {
            machine: m,
            loadAtStart,
            runs,
            repeat,
            nodeArgs,
            populateMs,
            totalS,
            results: rows,
            warm: warmRows,
            problems
          },
          null,
          2
        )
      )
    } else {
      log("")
      log(describeMachine(m))
      log(
        `Runs: ${runs} per contestant per scenario (+1 warm-up), medians shown. Total ${fixed(totalS, 0)} s, of which ` +
          `population ${fixed(populateMs / 1000, 1)} s. Load average at start ${fixed(loadAtStart)}, at end ${fixed(m.load)}.`
      )
      if (nodeArgs.length > 0) log(`Every child ran with: node ${nodeArgs.join(" ")}`)
      if (pinned) log("Pinned (--pin): Dovecot on CPU 1, every contestant on CPU 0.")
      log("")
      for (const s of selected) log(`- ${s.name}: ${s.description}`)
      log("")
      log(
        table(
          [
            "scenario",
            "contestant",
            "median ms",
            "best ms",
            "msgs/s",
            "MB/s",
            "throughput vs imapflow",
            "time vs floor",
            "client CPU ms",
            "CPU: imapflow / this",
            "peak RSS MB",
            "RSS Δ MB",
            "wire MB",
            "runs ms"
          ],
          "llrrrrrrrrrrrl",
          rows.map((r) => [
            r.scenario,
            r.contestant,
            fixed(r.medianMs),
            fixed(r.bestMs),
            thousands(r.messagesPerSec),
            fixed(r.mbPerSec),
            `${fixed(r.throughputVsImapflow, 2)}x`,
            `${fixed(r.timeVsFloor, 2)}x`,
            fixed(r.cpuMs),
            `${fixed(r.cpuVsImapflow, 2)}x`,
            fixed(r.peakRssMB),
            fixed(r.rssDeltaMB),
            fixed(r.wireMB, 2),
            r.runsMs.map((x) => fixed(x, 0)).join(" ")
          ])
        )
      )
      log("")
      log(
        "MB = MiB. MB/s: the floor's wire bytes over each contestant's time. Throughput vs imapflow: imapflow's median"
      )
      log(
        "time / this one's (higher is better). Time vs floor: this one's median time / the floor's (1.00 = the floor)."
      )
      log(
        "Client CPU: the child's user+system CPU time during the FETCH (median), less sensitive to other load than wall"
      )
      log("time; the floor's shows what reading the bytes alone costs.")
      log("Peak RSS: whole child process (Node + modules + the first FETCH); RSS Δ: peak minus RSS just before it.")
      if (repeat > 0) {
        log("")
        log(`Warm: the same FETCH repeated ${repeat} times on the same connection after the first (JIT warmed up);`)
        log("per run the median of the repeats, then the median over runs.")
        log("")
        log(
          table(
            [
              "scenario",
              "contestant",
              "warm median ms",
              "msgs/s",
              "throughput vs imapflow",
              "time vs floor",
              "client CPU ms",
              "first / warm"
            ],
            "llrrrrrr",
            warmRows.map((r) => [
              r.scenario,
              r.contestant,
              fixed(r.medianMs),
              thousands(r.messagesPerSec),
              `${fixed(r.throughputVsImapflow, 2)}x`,
              `${fixed(r.timeVsFloor, 2)}x`,
              fixed(r.cpuMs),
              `${fixed(r.coldOverWarm, 2)}x`
            ])
          )
        )
      }
      for (const p of problems) log(`WARNING: ${p}`)
    }
    if (problems.length > 0) process.exitCode = 1
  } finally {
    await dovecot.stop()
  }
}

if (process.argv[2] === "--child") {
  const name = process.argv[3]
  const scenario = scenarios.find((s) => s.name === process.argv[4])
  if (!isContestant(name) || scenario === undefined)
    throw new Error(`bad child arguments: ${process.argv.slice(3).join(" ")}`)
  await child(name, scenario, JSON.parse(process.argv[5] ?? "{}") as ChildConfig)
} else {
  await parent()
}
