/**
 * `pnpm bench:scale`: what N idle connections cost one process. For each N (`--n`, default 1,000,
 * 5,000, 10,000), plaintext and TLS, and each contestant (bench/ScaleChild.ts: effect-imap IDLE
 * sessions, effect-imap watchers, imapflow, a raw-socket floor), a fresh child process holds one
 * IDLE connection per user against a private Dovecot and the bench measures:
 * - bring-up: from the first connect until every connection is idling (`--concurrency` at a time);
 * - memory after forced GCs: RSS and V8 heap in use, over the child's own baseline (its modules
 *   loaded, no connection) per connection, and between consecutive N (marginal per connection);
 * - CPU with no traffic: the child's user+system time (all threads, /proc/PID/stat) over
 *   `--quiet-seconds` (60) in which no byte moves on any socket, its context switches (wake-ups),
 *   and Dovecot's CPU over the same window;
 * - a burst: one APPEND to each of `--burst` (100) mailboxes sampled evenly, all at once from other
 *   connections; whether every one was seen (EXISTS, or the watcher's NewMessage) and the latency
 *   from the APPEND's tagged OK (it includes Dovecot's ~0.5 s notification hold).
 *
 * Mailboxes: one user per connection (`s1`..`sN`, Dovecot's static passdb and userdb: any name logs
 * in, its home is created on first use), so each connection watches its own INBOX, as an app
 * watching N accounts would. Every user's INBOX is created once before the contestants run.
 *
 * Dovecot is set up for it (test/support/Dovecot.ts `scale` limits): `service imap { client_limit }`
 * (`--per-process`, 1000) sessions per imap process instead of one process each, enough imap
 * processes for the largest N, two long-lived login processes that may each hold every connection
 * (they proxy TLS), a 4 GB address-space cap; `mailbox_idle_check_interval` back to Dovecot's default
 * 30 s (the harness polls every second) and `imap_idle_notify_interval` 30 minutes, so the quiet
 * window has no `* OK Still here` on any socket. As root the inotify limits are raised if lower
 * (instances 1024, watches 1,048,576): every imap process holds an inotify instance, and the test
 * servers of others on this machine run as the same user.
 *
 * Options: --n 1000,5000 --only sessions,imapflow --tls (TLS only) --plain (plaintext only)
 * --quiet-seconds S --settle-seconds S (a pause after the bring-up before the window, default 0)
 * --burst K --concurrency C --per-process P --json --save FILE (the results as JSON, rewritten after
 * each contestant) --report FILE (the tables of a saved run, nothing run) --node-arg=ARG (repeatable: a
 * Node/V8 option for every child alike)
 */
import { execFileSync, fork } from "node:child_process"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { type Contestant, contestants, type FromChild, hrNow, type Memory, type StartMessage } from "./ScaleChild.ts"
import {
  describeMachine,
  type Dovecot,
  fixed,
  loginRaw,
  machine,
  numberOption,
  percentile,
  type RawImap,
  startDovecot,
  table,
  thousands
} from "./support.ts"

const args = process.argv.slice(2)
const json = args.includes("--json")
const listOption = (name: string): Array<string> | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? (args[i + 1] ?? "").split(",").filter((s) => s !== "") : undefined
}
const ns = (listOption("n") ?? ["1000", "5000", "10000"]).map(Number)
if (ns.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("--n needs positive integers")
const only = listOption("only") ?? [...contestants]
for (const c of only) if (!contestants.includes(c as Contestant)) throw new Error(`--only: unknown ${c}`)
const chosen = contestants.filter((c) => only.includes(c))
const modes: ReadonlyArray<boolean> = args.includes("--tls")
  ? [true]
  : args.includes("--plain")
    ? [false]
    : [false, true]
const quietSeconds = numberOption(args, "quiet-seconds", 60)
const settleSeconds = args.includes("--settle-seconds") ? Number(args[args.indexOf("--settle-seconds") + 1]) : 0
if (!Number.isFinite(settleSeconds) || settleSeconds < 0) throw new Error("--settle-seconds needs a number >= 0")
const burstSize = numberOption(args, "burst", 100)
const concurrency = numberOption(args, "concurrency", 50)
const perProcess = numberOption(args, "per-process", 1000)
// Node/V8 options for every child alike, e.g. --node-arg=--min-semi-space-size=16
// --node-arg=--max-semi-space-size=16: V8's young generation held at one size, so the marginal
// between two N is the connections' cost and not also the nursery growing towards its cap.
const nodeArgs = args.filter((a) => a.startsWith("--node-arg=")).map((a) => a.slice("--node-arg=".length))
const save = args.includes("--save") ? args[args.indexOf("--save") + 1] : undefined
const log = (line: string) => (json ? console.error(line) : console.log(line))
const KB = 1024
const MB = 1024 * 1024
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
const userOf = (i: number) => `s${i + 1}`

// ---------------------------------------------------------------------------------------------
// The machine and the server

const INOTIFY = { max_user_instances: 1024, max_user_watches: 1_048_576 }

/** Raises (never lowers) the inotify limits as root; returns what it did, for the report. */
const raiseInotifyLimits = (): string => {
  const done: Array<string> = []
  for (const [name, wanted] of Object.entries(INOTIFY)) {
    const file = `/proc/sys/fs/inotify/${name}`
    const current = Number(readFileSync(file, "utf8").trim())
    if (current >= wanted) done.push(`${name} ${current}`)
    else if (process.getuid?.() === 0) {
      execFileSync("sysctl", ["-q", "-w", `fs.inotify.${name}=${wanted}`])
      done.push(`${name} ${current} -> ${wanted}`)
    } else done.push(`${name} ${current} (not root: left as is)`)
  }
  return done.join(", ")
}

const startServer = (maxN: number): Promise<Dovecot> =>
  startDovecot({
    mailboxIdleCheckInterval: "30 secs",
    idleNotifyInterval: "30 mins",
    imapClientLimit: perProcess,
    // Each contestant's sessions end before the next starts, but Dovecot may still be closing them.
    imapProcessLimit: 2 * Math.ceil(maxN / perProcess) + 16,
    scale: {
      loginProcesses: 2,
      loginClientLimit: maxN + burstSize + 100,
      vszLimit: "4G"
    }
  })

/** CPU ticks (user + system, all threads) of a process, from /proc/PID/stat. */
const cpuTicks = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** Context switches of all a process's threads: how often it was woken (or preempted). */
const contextSwitches = (pid: number): number => {
  let total = 0
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, "utf8")
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(m[1])
    }
  } catch {}
  return total
}

const masterPid = (dovecot: Dovecot): number =>
  Number(readFileSync(path.join(dovecot.dir, "run", "master.pid"), "utf8").trim())

/** Dovecot's master and its children (login, imap, auth, anvil, log...). */
const dovecotPids = (dovecot: Dovecot): Array<number> => {
  const master = masterPid(dovecot)
  const pids = [master]
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === master) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

const doveadm = ["/usr/bin/doveadm", "/usr/sbin/doveadm"].find((p) => existsSync(p)) ?? "doveadm"

/** Sessions Dovecot still counts (anvil, through `doveadm who`). */
const sessionsOpen = (dovecot: Dovecot): number => {
  const out = execFileSync(doveadm, ["-c", dovecot.configPath, "who", "-1"], { encoding: "utf8" })
  // A header line, then one per connection.
  return out.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("username ")).length
}

const waitForNoSessions = async (dovecot: Dovecot): Promise<void> => {
  const deadline = performance.now() + 120_000
  while (sessionsOpen(dovecot) > 0 && performance.now() < deadline) await sleep(500)
}

/** Runs `f` over `items`, `limit` at a time. */
const pool = async <A>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < items.length) await f(items[next++] as A)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** Every user's INBOX created once (home, index), so no contestant pays Dovecot's first-use cost. */
const prepareUsers = async (dovecot: Dovecot, n: number): Promise<void> => {
  const indices = Array.from({ length: n }, (_, i) => i)
  await pool(indices, 50, async (i) => {
    const conn = await loginRaw(dovecot.host, dovecot.port, userOf(i), dovecot.password)
    await conn.command("SELECT INBOX")
    await conn.command("LOGOUT").catch(() => {})
    conn.close()
  })
}

// ---------------------------------------------------------------------------------------------
// One contestant at one N

interface Burst {
  readonly sent: number
  readonly seen: number
  /** Latencies in ms, APPEND tagged OK -> the contestant saw it. */
  readonly latencies: ReadonlyArray<number>
}

interface Result {
  readonly contestant: Contestant
  readonly tls: boolean
  readonly n: number
  readonly up: number
  readonly failures: number
  readonly firstFailure: string | undefined
  readonly bringUpMs: number
  readonly baseline: Memory
  readonly memory: Memory
  readonly quietSeconds: number
  readonly cpuMs: number
  readonly wakeups: number
  readonly dovecotCpuMs: number
  readonly burst: Burst
  /** The 1-minute load average when this run started. */
  readonly load: number
}

/** Evenly spaced indices: the sampled mailboxes. */
const sample = (n: number, k: number): Array<number> =>
  Array.from({ length: Math.min(k, n) }, (_, j) => Math.floor((j * n) / Math.min(k, n)))

const runOne = async (
  dovecot: Dovecot,
  contestant: Contestant,
  tls: boolean,
  n: number,
  load: number
): Promise<Result> => {
  const child = fork(path.join(import.meta.dirname, "ScaleChild.ts"), [], {
    execArgv: ["--expose-gc", ...nodeArgs],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const pid = child.pid as number
  const seen = new Map<number, number>()
  let baseline: Memory | undefined
  let up: Extract<FromChild, { _tag: "Up" }> | undefined
  let wake: () => void = () => {}
  child.on("message", (m: FromChild) => {
    if (m._tag === "Baseline") baseline = m.memory
    else if (m._tag === "Up") up = m
    else if (!seen.has(m.index)) seen.set(m.index, m.at)
    wake()
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  let died = false
  void exited.then(() => {
    died = true
    wake()
  })
  const until = async (done: () => boolean, ms: number) => {
    const deadline = performance.now() + ms
    while (!done() && !died && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }
  try {
    const start: StartMessage = {
      _tag: "Start",
      contestant,
      host: dovecot.host,
      port: tls ? dovecot.tlsPort : dovecot.port,
      tls,
      caPath: dovecot.caPath,
      users: Array.from({ length: n }, (_, i) => userOf(i)),
      password: dovecot.password,
      concurrency
    }
    child.send(start)
    await until(() => up !== undefined, 10 * 60_000)
    if (up === undefined || baseline === undefined)
      throw new Error(`${contestant} N=${n}: the child ended before all were up`)
    // A pause before the window, for work the bring-up leaves behind (V8's memory reducer, sweeping).
    await sleep(settleSeconds * 1000)
    // Quiet: nobody sends anything; the child's and Dovecot's CPU over the window.
    const servers = dovecotPids(dovecot)
    const serverTicks = () => servers.reduce((t, p) => t + cpuTicks(p), 0)
    const cpu0 = cpuTicks(pid)
    const switches0 = contextSwitches(pid)
    const server0 = serverTicks()
    await sleep(quietSeconds * 1000)
    const cpuMs = ((cpuTicks(pid) - cpu0) * 1000) / TICKS
    const wakeups = contextSwitches(pid) - switches0
    const dovecotCpuMs = ((serverTicks() - server0) * 1000) / TICKS
    const burst = await runBurst(dovecot, n, seen, until)
    return {
      ...{ contestant, tls, n, up: up.up, failures: up.failures, firstFailure: up.firstFailure },
      ...{ bringUpMs: up.ms, baseline, memory: up.memory, quietSeconds, cpuMs, wakeups, dovecotCpuMs, burst, load }
    }
  } finally {
    if (!died) child.send({ _tag: "Exit" })
    await Promise.race([exited, sleep(10_000)])
    if (!died) child.kill("SIGKILL")
    await waitForNoSessions(dovecot)
  }
}

/** One APPEND to each sampled mailbox, all at once; waits until each was seen, or 15 s. */
const runBurst = async (
  dovecot: Dovecot,
  n: number,
  seen: ReadonlyMap<number, number>,
  until: (done: () => boolean, ms: number) => Promise<void>
): Promise<Burst> => {
  const indices = sample(n, burstSize)
  const writers: Array<RawImap> = []
  try {
    await pool(indices, 50, async (i) => {
      writers[i] = await loginRaw(dovecot.host, dovecot.port, userOf(i), dovecot.password)
    })
    // performance.now() and hrtime count the same monotonic clock from different origins.
    const offset = hrNow() - performance.now()
    const message = Buffer.from(
      "From: burst@example.com\r\nTo: me@example.com\r\nSubject: burst\r\nMessage-ID: <burst@example.com>\r\n\r\nnew mail\r\n"
    )
    const okAt = new Map<number, number>()
    await Promise.all(
      indices.map(async (i) => {
        const { at } = await (writers[i] as RawImap).command("APPEND INBOX", message)
        okAt.set(i, at + offset)
      })
    )
    await until(() => indices.every((i) => seen.has(i)), 15_000)
    const latencies = indices.flatMap((i) => {
      const at = seen.get(i)
      return at === undefined ? [] : [at - (okAt.get(i) as number)]
    })
    return { sent: indices.length, seen: latencies.length, latencies }
  } finally {
    for (const w of writers) w?.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const perConnection = (r: Result, key: keyof Memory) => (r.memory[key] - r.baseline[key]) / r.n

const mainTable = (results: ReadonlyArray<Result>): string =>
  table(
    [
      "contestant",
      "N",
      "up",
      "bring-up s",
      "RSS MB",
      "heap MB",
      "RSS KB/conn",
      "heap KB/conn",
      "young gen MB",
      "quiet CPU s",
      "% of a core",
      "wake-ups/s",
      "Dovecot CPU s",
      "burst seen",
      "p50 ms",
      "p95 ms",
      "max ms",
      "load"
    ],
    "lrrrrrrrrrrrrrrrrr",
    results.map((r) => [
      r.contestant,
      thousands(r.n),
      `${thousands(r.up)}${r.failures > 0 ? ` (${r.failures} failed)` : ""}`,
      fixed(r.bringUpMs / 1000, 1),
      fixed(r.memory.rss / MB, 1),
      fixed(r.memory.heapUsed / MB, 1),
      fixed(perConnection(r, "rss") / KB, 1),
      fixed(perConnection(r, "heapUsed") / KB, 1),
      fixed(r.memory.young / MB, 0),
      fixed(r.cpuMs / 1000, 2),
      fixed((100 * r.cpuMs) / (r.quietSeconds * 1000), 2),
      fixed(r.wakeups / r.quietSeconds, 1),
      fixed(r.dovecotCpuMs / 1000, 2),
      `${r.burst.seen}/${r.burst.sent}`,
      fixed(percentile(r.burst.latencies, 50), 0),
      fixed(percentile(r.burst.latencies, 95), 0),
      fixed(percentile(r.burst.latencies, 100), 0),
      fixed(r.load, 1)
    ])
  )

const marginalTable = (results: ReadonlyArray<Result>): string => {
  const rows: Array<Array<string>> = []
  const sizes = [...new Set(results.map((r) => r.n))].sort((a, b) => a - b)
  for (const c of chosen) {
    // Each step, and the widest span: one step's marginal also carries where V8's heap steps fall.
    const spans = sizes.slice(1).map((to, i) => [sizes[i] as number, to] as const)
    if (sizes.length > 2) spans.push([sizes[0] as number, sizes[sizes.length - 1] as number])
    for (const [from, to] of spans) {
      const a = results.find((r) => r.contestant === c && r.n === from)
      const b = results.find((r) => r.contestant === c && r.n === to)
      const flow = (n: number) => results.find((r) => r.contestant === "imapflow" && r.n === n)
      if (a === undefined || b === undefined) continue
      const marginal = (x: Result, y: Result, key: keyof Memory) => (y.memory[key] - x.memory[key]) / (y.up - x.up)
      const [fa, fb] = [flow(from), flow(to)]
      const rss = marginal(a, b, "rss")
      const flowRss = fa !== undefined && fb !== undefined ? marginal(fa, fb, "rss") : Number.NaN
      rows.push([
        c,
        `${thousands(from)} → ${thousands(to)}`,
        fixed(rss / KB, 1),
        fixed(marginal(a, b, "heapUsed") / KB, 1),
        // V8's committed heap without the nursery: the old generation's pages, holes included.
        fixed((marginal(a, b, "heapTotal") - marginal(a, b, "young")) / KB, 1),
        `${fixed(a.memory.young / MB, 0)} → ${fixed(b.memory.young / MB, 0)}`,
        fixed(marginal(a, b, "external") / KB, 1),
        Number.isFinite(flowRss) ? `${fixed(rss / flowRss, 2)}x` : "–",
        // CPU ms per second of quiet, per 1,000 more connections.
        fixed(((b.cpuMs / b.quietSeconds - a.cpuMs / a.quietSeconds) * 1000) / (b.up - a.up), 2)
      ])
    }
  }
  return table(
    [
      "contestant",
      "N",
      "RSS KB/conn",
      "heap KB/conn",
      "old gen committed KB/conn",
      "young gen MB",
      "external KB/conn",
      "RSS vs imapflow",
      "quiet CPU ms/s per 1,000 conns"
    ],
    "llrrrrrrr",
    rows
  )
}

const gitCommit = (): string => {
  try {
    return execFileSync("git", ["log", "-1", "--format=%h %cI %s"], { encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

/** `--report FILE`: the tables of a run saved with `--save`, without running anything. */
const report = (file: string) => {
  const saved = JSON.parse(readFileSync(file, "utf8")) as { readonly commit: string; readonly results: Array<Result> }
  console.log(`Commit measured: ${saved.commit}`)
  for (const tls of [false, true]) {
    const rows = saved.results.filter((r) => r.tls === tls)
    if (rows.length === 0) continue
    console.log(`\n${tls ? "TLS (implicit, port 993-style)" : "Plaintext"}\n`)
    console.log(mainTable(rows))
    console.log("")
    console.log(marginalTable(rows))
  }
}

const main = async () => {
  const reportFile = args.includes("--report") ? args[args.indexOf("--report") + 1] : undefined
  if (reportFile !== undefined) return report(reportFile)
  const started = performance.now()
  const maxN = Math.max(...ns)
  const inotify = raiseInotifyLimits()
  const before = await machine()
  // Read now: the checkout may move while a long run goes on (the children load the built dist/).
  const commit = gitCommit()
  const dovecot = await startServer(maxN)
  const results: Array<Result> = []
  try {
    const t0 = performance.now()
    await prepareUsers(dovecot, maxN)
    log(`${thousands(maxN)} users' INBOXes created in ${fixed((performance.now() - t0) / 1000, 1)} s`)
    for (const tls of modes) {
      for (const n of ns) {
        for (const contestant of chosen) {
          const load = (await machine()).load
          const r = await runOne(dovecot, contestant, tls, n, load)
          results.push(r)
          // Kept as it goes: a long run that fails late still leaves its figures.
          if (save !== undefined) writeFileSync(save, JSON.stringify({ machine: before, commit, results }, null, 2))
          log(
            `${tls ? "TLS" : "plain"} ${contestant} N=${n}: ${r.up} up in ${fixed(r.bringUpMs / 1000, 1)} s, ` +
              `RSS ${fixed(r.memory.rss / MB)} MB (${fixed(perConnection(r, "rss") / KB)} KB/conn), ` +
              `heap ${fixed(r.memory.heapUsed / MB)} MB (${fixed(perConnection(r, "heapUsed") / KB)} KB/conn), ` +
              `CPU ${fixed(r.cpuMs / 1000, 2)} s in ${quietSeconds} s, burst ${r.burst.seen}/${r.burst.sent} ` +
              `p50 ${fixed(percentile(r.burst.latencies, 50), 0)} ms, load ${fixed(load, 1)}` +
              (r.firstFailure === undefined ? "" : `; first failure: ${r.firstFailure}`)
          )
        }
      }
    }
  } finally {
    await dovecot.stop()
  }
  const after = await machine()
  if (json) {
    console.log(JSON.stringify({ machine: before, commit, results }, null, 2))
    return
  }
  const minutes = (performance.now() - started) / 60_000
  console.log(`\n${describeMachine(before)}`)
  console.log(`Commit measured: ${commit} (packages/*/dist as built from it)`)
  console.log(
    `Load average at start ${fixed(before.load)}, at end ${fixed(after.load)}; ${fixed(minutes)} min in all. ` +
      `inotify: ${inotify}. Dovecot: ${perProcess} sessions per imap process, quiet window ${quietSeconds} s ` +
      `after ${settleSeconds} s, ` +
      `burst ${burstSize} mailboxes, bring-up ${concurrency} connections at a time. ` +
      (nodeArgs.length === 0 ? "Node's defaults." : `Node options of every child: ${nodeArgs.join(" ")}.`)
  )
  for (const tls of modes) {
    const rows = results.filter((r) => r.tls === tls)
    console.log(`\n${tls ? "TLS (implicit, port 993-style)" : "Plaintext"}\n`)
    console.log(mainTable(rows))
    console.log("")
    console.log(marginalTable(rows))
  }
}

await main().catch(async (error) => {
  console.error(error)
  process.exitCode = 1
})
