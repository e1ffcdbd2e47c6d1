/**
 * `pnpm bench:fleet`: N watched mailboxes (`--n`, default 1,000) over two `imap serve` runners
 * against a private Dovecot, on a SQLite file and on a private Postgres (`--db sqlite,postgres`):
 * - bring-up: from registering the N mailboxes until every one reports "watching";
 * - memory per watched mailbox: the two runners' RSS (/proc/PID/status VmRSS) once all are watching,
 *   minus their RSS before any mailbox was registered, over N; beside it, the same N watchers in one
 *   process without the cluster (bench/scale.ts's watchers contestant, same Dovecot settings);
 * - re-home after `kill -9` of one runner: until every mailbox reports "watching" on the other;
 * - hand-off after SIGTERM: a fresh runner is started and takes its share, then the other one is
 *   sent SIGTERM: until every mailbox reports "watching" on the fresh one;
 * - heap per mailbox in one process, with and without the cluster (bench/FleetHeapChild.ts): the
 *   marginal heap used from `--heap-from` (50) to `--heap-to` (400) mailboxes, under
 *   `Fleet.layerSingle` and as plain watchers; heap, unlike RSS, does not move with V8's growth steps.
 *
 * Options: --n N --db sqlite,postgres --json
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import * as Database from "../packages/fleet/src/Database.ts"
import * as Registry from "../packages/fleet/src/Registry.ts"
import * as Status from "../packages/fleet/src/Status.ts"
import { freePort } from "../test/support/FreePort.ts"
import * as Postgres from "../test/support/Postgres.ts"
import { describeMachine, fixed, machine, numberOption, startDovecot, table, thousands } from "./support.ts"
import * as FleetAccount from "../test/support/FleetAccount.ts"

const args = process.argv.slice(2)
const n = numberOption(args, "n", 1000)
const dbs = (args.includes("--db") ? (args[args.indexOf("--db") + 1] ?? "") : "sqlite,postgres").split(",")
const json = args.includes("--json")
const log = (line: string) => (json ? console.error(line) : console.log(line))
const bin = path.join(import.meta.dirname, "..", "packages", "cli", "dist", "bin.js")

const rssKb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
}

interface Runner {
  readonly name: string
  readonly child: ChildProcess
}

const startRunner = async (db: string, password: string): Promise<Runner> => {
  const port = await freePort()
  const name = `127.0.0.1:${port}`
  const child = spawn(process.execPath, [bin, "serve", "--db", db, "--listen", name], {
    env: { ...process.env, IMAP_PASSWORD: password },
    stdio: ["ignore", "ignore", "pipe"]
  })
  child.stderr?.on("data", () => {})
  return { name, child }
}

const loadAverage = () => os.loadavg()[0]!.toFixed(1)

interface Row {
  readonly db: string
  readonly n: number
  readonly bringUpS: number
  readonly kbPerMailbox: number
  readonly rehomeKillS: number
  readonly handoffTermS: number
  readonly load: string
}

const run = async (kind: string, dovecot: Awaited<ReturnType<typeof startDovecot>>): Promise<Row> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-bench-fleet-"))
  const pg = kind === "postgres" ? await Postgres.start() : undefined
  const url = pg?.url ?? `sqlite:${path.join(dir, "fleet.db")}`
  const runtime = ManagedRuntime.make(Database.layer(await Effect.runPromise(Database.parse(url))))
  const runners: Array<Runner> = []
  try {
    const status = () => runtime.runPromise(Status.read)
    const until = async (check: (s: Status.Status) => boolean, ms: number): Promise<number> => {
      const started = performance.now()
      while (!check(await status())) {
        if (performance.now() - started > ms) throw new Error(`${kind}: not within ${ms} ms`)
        await sleep(200)
      }
      return (performance.now() - started) / 1000
    }
    const allOn = (names: ReadonlyArray<string>) => (s: Status.Status) =>
      s.mailboxes.length === n && s.mailboxes.every((m) => m.state === "watching" && names.includes(m.runner ?? ""))

    runners.push(await startRunner(url, dovecot.password), await startRunner(url, dovecot.password))
    const [a, b] = runners as [Runner, Runner]
    await sleep(5000)
    const before = rssKb(a.child.pid!) + rssKb(b.child.pid!)
    const users = Array.from({ length: n }, (_, i) => `f${i + 1}`)
    await runtime.runPromise(
      Effect.forEach(users, (user) => Registry.add(user, FleetAccount.passwordFromEnv(dovecot, user), ["INBOX"]), {
        discard: true
      })
    )
    const bringUpS = await until(allOn([a.name, b.name]), 600_000)
    await sleep(5000)
    const after = rssKb(a.child.pid!) + rssKb(b.child.pid!)
    const kbPerMailbox = (after - before) / n
    log(`${kind}: ${thousands(n)} watching in ${fixed(bringUpS)} s, ${fixed(kbPerMailbox)} KB RSS per mailbox`)

    a.child.kill("SIGKILL")
    const rehomeKillS = await until(allOn([b.name]), 600_000)
    log(`${kind}: re-home after kill -9 ${fixed(rehomeKillS, 2)} s`)

    const c = await startRunner(url, dovecot.password)
    runners.push(c)
    await until((s) => allOn([b.name, c.name])(s) && s.mailboxes.some((m) => m.runner === c.name), 600_000)
    b.child.kill("SIGTERM")
    const handoffTermS = await until(allOn([c.name]), 600_000)
    log(`${kind}: hand-off after SIGTERM ${fixed(handoffTermS, 2)} s`)
    return { db: kind, n, bringUpS, kbPerMailbox, rehomeKillS, handoffTermS, load: loadAverage() }
  } finally {
    for (const r of runners) r.child.kill("SIGKILL")
    await runtime.dispose()
    await pg?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** N watchers in one process without the cluster: bench/scale.ts's watchers contestant. */
const withoutCluster = (): number | undefined => {
  try {
    const out = execFileSync(
      process.execPath,
      [
        path.join(import.meta.dirname, "scale.ts"),
        "--n",
        String(n),
        "--only",
        "watchers",
        "--plain",
        "--quiet-seconds",
        "1",
        "--burst",
        "1",
        "--json"
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 }
    )
    const parsed = JSON.parse(out) as {
      results?: ReadonlyArray<{ n: number; memory: { rss: number }; baseline: { rss: number } }>
    }
    const r = parsed.results?.[0]
    return r === undefined ? undefined : (r.memory.rss - r.baseline.rss) / r.n / 1024
  } catch {
    return undefined
  }
}

const heapFrom = numberOption(args, "heap-from", 50)
const heapTo = numberOption(args, "heap-to", 400)

/** Marginal heap used per mailbox (KB) between heapFrom and heapTo mailboxes in one process. */
const heapPerMailbox = (mode: "plain" | "fleet", server: { host: string; port: number; password: string }) => {
  const used = (count: number): number => {
    const out = execFileSync(
      process.execPath,
      [
        "--expose-gc",
        path.join(import.meta.dirname, "FleetHeapChild.ts"),
        mode,
        String(count),
        server.host,
        String(server.port),
        server.password
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }
    )
    return (JSON.parse(out.trim().split("\n").pop() ?? "{}") as { heap: number }).heap
  }
  return (used(heapTo) - used(heapFrom)) / (heapTo - heapFrom) / 1024
}

const m = await machine()
const dovecot = await startDovecot({
  mailboxIdleCheckInterval: "30 secs",
  imapClientLimit: 1000,
  imapProcessLimit: 2 * Math.ceil((2 * n) / 1000) + 16,
  scale: { loginProcesses: 2, loginClientLimit: 3 * n + 100, vszLimit: "4G" }
})
const rows: Array<Row> = []
let heap: { readonly plain: number; readonly fleet: number; readonly load: string } | undefined
try {
  for (const kind of dbs) rows.push(await run(kind, dovecot))
  heap = { plain: heapPerMailbox("plain", dovecot), fleet: heapPerMailbox("fleet", dovecot), load: loadAverage() }
  log(
    `heap per mailbox ${heapFrom} -> ${heapTo}: plain watchers ${fixed(heap.plain)} KB, fleet entities ${fixed(heap.fleet)} KB`
  )
} finally {
  await dovecot.stop()
}
const plain = withoutCluster()
if (json) console.log(JSON.stringify({ machine: m, rows, withoutClusterKbPerMailbox: plain, heap }))
else {
  console.log(`\n${describeMachine(m)}\n`)
  console.log(
    table(
      [
        "database",
        "mailboxes",
        "bring-up s",
        "RSS KB/mailbox",
        "re-home after kill -9 s",
        "hand-off after SIGTERM s",
        "load"
      ],
      "lrrrrrr",
      rows.map((r) => [
        r.db,
        thousands(r.n),
        fixed(r.bringUpS),
        fixed(r.kbPerMailbox),
        fixed(r.rehomeKillS, 2),
        fixed(r.handoffTermS, 2),
        r.load
      ])
    )
  )
  console.log(
    `\nwithout the cluster (bench:scale watchers, one process, N = ${thousands(n)}): ${plain === undefined ? "not measured" : `${fixed(plain)} KB RSS per mailbox`}`
  )
}
process.exit(0)
