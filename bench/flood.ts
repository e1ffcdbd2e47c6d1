/**
 * `pnpm bench:flood`: peak memory of a watching client while a hostile server floods it with
 * untagged data (bench/FloodServer.ts), and of the watcher replaying a large mailbox.
 *
 * The client is the real `imap watch` process (packages/cli/dist/bin.js, configured through IMAP_*),
 * started fresh per scenario. The server answers EXAMINE (100 messages, UIDNEXT 101), enters IDLE,
 * then writes N flood lines as fast as the client reads them, interleaving its replies to the
 * client's commands (DONE, UID FETCH) between flood chunks. When the flood is in the kernel it
 * appends a marker message; the run ends when `imap watch` prints it (so every flood byte was read
 * and handled first). The figure is the process's `VmHWM` (kernel peak RSS, Node included) read
 * from /proc/PID/status at that moment; then SIGTERM (DONE, LOGOUT, exit 0).
 *
 * Scenarios: quiet (no flood); `* 100 EXISTS` ×10^6 and ×10^7; FETCH flag updates
 * (`* n FETCH (UID n FLAGS (\Seen))`, then `FLAGS ()`, over the 100 messages) ×10^6; EXPUNGE/EXISTS
 * pairs ×10^6 lines; a FETCH under flood (`--since-uid 0` on 5,000 messages, 10^6 EXISTS interleaved
 * with the UID FETCH's reply); the replay of 50,000 messages (`--since-uid 0`) printed to a pipe the
 * bench reads; and the same replay by `Watcher.watch` in a child process whose consumer sleeps 1 ms
 * every 10 messages (its baseline: the same child over 100 messages, `quiet-library`). A slow reader
 * of `imap watch`'s stdout is shown by test/cli-backpressure.test.ts rather than measured here.
 *
 * imapflow side by side: it has no watch command; the nearest thing is a small imapflow program
 * doing what `imap watch` does (open INBOX read-only, IDLE, on each `exists` fetch UID last+1:* and
 * print the subjects), run as a child of this bench against the same server and scenarios.
 *
 * Options: --only NAME[,NAME] (scenario names as printed), --no-imapflow, --json, --replay N (50,000:
 * the size of the replayed mailbox), --node-arg=ARG
 * (repeatable: a Node/V8 option for every client process alike, e.g. `--node-arg=--max-semi-space-size=2`
 * to see how much of a peak is V8 growing its young generation under the allocation rate of a flood,
 * up to 2 × 64 MiB on a machine with this much memory, rather than anything the client holds).
 * Child modes (used by the bench itself): --imapflow-child PORT SINCE, --watcher-child PORT.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { describeMachine, fixed, MB, machine, numberOption, table, thousands } from "./support.ts"
import * as FloodServer from "./FloodServer.ts"

const root = path.join(import.meta.dirname, "..")
const nodeArgs = process.argv.filter((a) => a.startsWith("--node-arg=")).map((a) => a.slice("--node-arg=".length))
const bin = path.join(root, "packages/cli/dist/bin.js")
const args = process.argv.slice(2)

interface Scenario extends FloodServer.FloodScenario {
  readonly name: string
  readonly what: string
  /** `--since-uid` for the watcher (undefined: only new mail). */
  readonly sinceUid?: number
  /** Run by `Watcher.watch` with a slow consumer in a child, not by `imap watch`. */
  readonly library?: boolean
}

const flagPattern = [
  ...Array.from({ length: 100 }, (_, i) => `* ${i + 1} FETCH (UID ${i + 1} FLAGS (\\Seen))`),
  ...Array.from({ length: 100 }, (_, i) => `* ${i + 1} FETCH (UID ${i + 1} FLAGS ())`)
]

const base = { messages: 100, startAt: "idle", markerDelayMs: 200 } as const
const replay = numberOption(args, "replay", 50_000)
const replayName = `replay-${replay >= 1000 ? `${replay / 1000}k` : replay}`

const scenarios: ReadonlyArray<Scenario> = [
  { ...base, name: "quiet", what: "no flood", pattern: [], lines: 0 },
  { ...base, name: "exists-1e6", what: "`* 100 EXISTS` ×10^6 during IDLE", pattern: ["* 100 EXISTS"], lines: 1e6 },
  { ...base, name: "exists-1e7", what: "`* 100 EXISTS` ×10^7 during IDLE", pattern: ["* 100 EXISTS"], lines: 1e7 },
  { ...base, name: "flags-1e6", what: "`* n FETCH (UID n FLAGS …)` ×10^6", pattern: flagPattern, lines: 1e6 },
  {
    ...base,
    name: "expunge-exists-1e6",
    what: "`* 100 EXPUNGE` / `* 100 EXISTS` ×10^6 lines",
    pattern: ["* 100 EXPUNGE", "* 100 EXISTS"],
    lines: 1e6
  },
  {
    ...base,
    name: "fetch-under-flood",
    what: "UID FETCH 1:* of 5,000 with 10^6 EXISTS interleaved",
    messages: 5000,
    sinceUid: 0,
    startAt: "fetch",
    pattern: ["* 5000 EXISTS"],
    lines: 1e6
  },
  {
    ...base,
    name: replayName,
    what: `\`--since-uid 0\` over ${thousands(replay)} messages`,
    messages: replay,
    sinceUid: 0,
    pattern: [],
    lines: 0
  },
  {
    ...base,
    name: "quiet-library",
    what: "Watcher.watch over 100 messages (the baseline of the row below)",
    sinceUid: 0,
    pattern: [],
    lines: 0,
    library: true
  },
  {
    ...base,
    name: `${replayName}-slow`,
    what: `Watcher.watch over ${thousands(replay)}, consumer sleeps 1 ms / 10 msgs`,
    messages: replay,
    sinceUid: 0,
    pattern: [],
    lines: 0,
    library: true
  }
]

/** VmHWM of process `pid` in bytes. */
const peakRss = (pid: number): number => {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
  return kb === undefined ? Number.NaN : Number(kb) * 1024
}

interface Result {
  readonly scenario: string
  readonly contestant: string
  readonly peakMb: number
  /** From the flood's first line (or the start) to the marker printed. */
  readonly seconds: number
  readonly printed: number
  readonly note: string
}

const timeoutMs = Number(process.env.FLOOD_TIMEOUT_MS ?? 300_000)

/** Runs one contestant process against a fresh flood server until it prints the marker. */
const runOne = async (scenario: Scenario, contestant: string): Promise<Result> => {
  const server = await FloodServer.start(scenario)
  const since = scenario.sinceUid === undefined ? [] : ["--since-uid", String(scenario.sinceUid)]
  const argv =
    contestant === "imapflow"
      ? [import.meta.filename, "--imapflow-child", String(server.port), String(scenario.sinceUid ?? -1)]
      : scenario.library === true
        ? [import.meta.filename, "--watcher-child", String(server.port)]
        : [bin, "watch", ...since]
  const env = { ...process.env, IMAP_HOST: "127.0.0.1", IMAP_PORT: String(server.port), IMAP_USER: "u" }
  Object.assign(env, { IMAP_PASSWORD: "p", IMAP_TLS: "none" })
  const t0 = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  let printed = 0
  let tail = ""
  try {
    const peak = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no marker within ${timeoutMs} ms; stderr: ${stderr.slice(-300)}`)),
        timeoutMs
      )
      child.stderr.on("data", (c: Buffer) => {
        stderr = (stderr + c.toString("utf8")).slice(-4000)
      })
      child.stdout.on("data", (c: Buffer) => {
        const text = tail + c.toString("utf8")
        const lines = text.split("\n")
        tail = lines.pop() ?? ""
        printed += lines.length
        if (lines.some((l) => l.includes(FloodServer.markerSubject))) {
          clearTimeout(timer)
          resolve(peakRss(child.pid!))
        }
      })
      child.once("exit", (code) => reject(new Error(`exited with ${code} before the marker: ${stderr}`)))
    })
    const started = server.floodStartedAt() ?? t0
    return {
      scenario: scenario.name,
      contestant: scenario.library === true ? "Watcher.watch (slow consumer)" : contestant,
      peakMb: peak / MB,
      seconds: (performance.now() - started) / 1000,
      printed,
      note: ""
    }
  } catch (e) {
    return {
      scenario: scenario.name,
      contestant,
      peakMb: Number.NaN,
      seconds: Number.NaN,
      printed,
      note: String(e instanceof Error ? e.message : e).slice(0, 200)
    }
  } finally {
    child.kill("SIGTERM")
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once("exit", () => resolve())
    })
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000)
    await exited
    clearTimeout(killer)
    await server.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Child modes

/** What `imap watch` does, written with imapflow: IDLE on INBOX, on each `exists` fetch and print. */
const imapflowChild = async (port: number, since: number) => {
  const { ImapFlow } = await import("imapflow")
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: "u", pass: "p" },
    logger: false
  })
  await client.connect()
  const box = await client.mailboxOpen("INBOX", { readOnly: true })
  let last = since >= 0 ? since : Number(box.uidNext) - 1
  let running = false
  let again = false
  const fetchNew = async () => {
    if (running) {
      again = true
      return
    }
    running = true
    do {
      again = false
      for await (const m of client.fetch(
        `${last + 1}:*`,
        { uid: true, flags: true, envelope: true, size: true },
        { uid: true }
      )) {
        if (m.uid <= last) continue
        last = m.uid
        process.stdout.write(`${m.uid}\t${m.envelope?.subject ?? ""}\n`)
      }
    } while (again)
    running = false
  }
  client.on("exists", () => void fetchNew())
  process.on("SIGTERM", () => {
    client.logout().finally(() => process.exit(0))
  })
  if (since >= 0) await fetchNew()
}

/** `Watcher.watch` replaying from UID 0 with a consumer that sleeps 1 ms every 10 messages. */
const watcherChild = async (port: number) => {
  const { Checkpoint, ImapConfig, Watcher } = await import("@pkg/client")
  const { Effect, Stream } = await import("effect")
  let n = 0
  const program = Watcher.watch({
    client: { host: "127.0.0.1", port, tls: "none", auth: ImapConfig.password("u", "p") },
    sinceUid: 0
  }).pipe(
    Stream.runForEach((m) =>
      Effect.gen(function* () {
        process.stdout.write(`${m.uid}\t${m.subject ?? ""}\n`)
        if (++n % 10 === 0) yield* Effect.sleep("1 millis")
      })
    ),
    Effect.provide(Checkpoint.layerMemory)
  )
  const fiber = Effect.runFork(program)
  process.on("SIGTERM", () => {
    fiber.interruptUnsafe()
    setTimeout(() => process.exit(0), 100)
  })
}

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1]?.split(",") : undefined
  const json = args.includes("--json")
  const withImapflow = !args.includes("--no-imapflow")
  const chosen = scenarios.filter((s) => only === undefined || only.includes(s.name))
  const m = await machine()
  const results: Array<Result> = []
  for (const scenario of chosen) {
    const contestants = ["imap watch", ...(withImapflow && scenario.library !== true ? ["imapflow"] : [])]
    for (const contestant of contestants) {
      const r = await runOne(scenario, contestant)
      results.push(r)
      if (!json) {
        console.error(
          `${scenario.name} / ${r.contestant}: peak ${fixed(r.peakMb)} MB, ${fixed(r.seconds, 2)} s${r.note ? ` (${r.note})` : ""}`
        )
      }
    }
  }
  if (json) {
    console.log(JSON.stringify({ machine: m, results }, null, 2))
    return
  }
  const quietOf = (contestant: string) =>
    results.find(
      (r) => r.scenario === (contestant === "imap watch" ? "quiet" : "quiet-library") && r.contestant === contestant
    )?.peakMb
  const rows = results.map((r) => {
    const s = scenarios.find((x) => x.name === r.scenario)!
    const quiet = quietOf(r.contestant)
    const delta = quiet === undefined || r.contestant === "imapflow" ? "" : fixed(r.peakMb - quiet)
    return [r.scenario, s.what, r.contestant, thousands(s.lines), fixed(r.peakMb), delta, fixed(r.seconds, 2), r.note]
  })
  console.log(describeMachine(m))
  if (nodeArgs.length > 0) console.log(`Node options for every client process: ${nodeArgs.join(" ")}`)
  console.log()
  console.log(
    table(
      ["scenario", "what", "client", "flood lines", "peak RSS MB", "Δ its quiet run", "s to marker", "note"],
      "lllrrrrl",
      rows
    )
  )
}

if (args[0] === "--imapflow-child") await imapflowChild(Number(args[1]), Number(args[2]))
else if (args[0] === "--watcher-child") await watcherChild(Number(args[1]))
else await main()
