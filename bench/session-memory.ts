/**
 * `node bench/session-memory.ts`: memory per IDLE session, marginal, for this client's bare session
 * (`ImapClient.make` + `select` + `idle()` consumed), its watcher (`Watcher.watchEvents`), imapflow
 * (`mailboxOpen` + `idle()`) and a raw socket (LOGIN, SELECT, IDLE; no parsing), against one private
 * Dovecot, in one run.
 *
 * Each contestant runs in a child process of its own (`--expose-gc`), so no contestant's heap or
 * allocator pages count against another. A child opens sessions up to each step (default 500, then
 * 1,500), forces GC, and reports RSS and heap; the marginal cost per session is the difference
 * between the steps over the sessions added. Everything the process holds once (modules, Dovecot's
 * greeting parsers warmed up) cancels out.
 *
 * Dovecot: one imap process serves `--client-limit` sessions (default 25) so that 1,500 sessions are
 * 60 processes rather than 1,500; `mail_max_userip_connections` is raised to the largest step.
 *
 * Options: --steps 500,1500; --only effect,watcher,imapflow,raw; --snapshot N,M (the first
 * contestant of --only writes a heap snapshot when it holds N sessions, and M, into --out DIR,
 * default /tmp; bench/heap-owners.ts reads it); --concurrency N (opens in flight, default 50).
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { writeHeapSnapshot } from "node:v8"
import { Checkpoint, ImapClient, ImapConfig, Watcher } from "@pkg/client"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { describeMachine, loginRaw, machine, numberOption, openImapflow, startDovecot, table } from "./support.ts"

const KB = 1024
const contestants = ["effect", "watcher", "imapflow", "raw"] as const
type Contestant = (typeof contestants)[number]

interface Server {
  readonly host: string
  readonly port: number
  readonly password: string
  readonly user: string
}

interface Step {
  readonly sessions: number
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
}

const args = process.argv.slice(2)
const listOption = (name: string, fallback: string): Array<string> => {
  const i = args.indexOf(`--${name}`)
  return (i >= 0 ? (args[i + 1] ?? fallback) : fallback).split(",").filter((s) => s !== "")
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Several full GCs, with pauses for finalizers and the allocator to give pages back. */
const settle = async () => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run the child with --expose-gc")
  for (let i = 0; i < 4; i++) {
    gc()
    await sleep(100)
  }
}

const measure = async (sessions: number): Promise<Step> => {
  await settle()
  const m = process.memoryUsage()
  return {
    sessions,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers
  }
}

// ---------------------------------------------------------------------------------------------
// Openers: each resolves once its session is idling, and keeps it open until the process ends.

type Opener = (server: Server) => Promise<void>

const openEffect: Opener = (server) =>
  new Promise((resolve, reject) => {
    const program = Effect.gen(function* () {
      const session = yield* ImapClient.make({
        host: server.host,
        port: server.port,
        tls: "none",
        auth: ImapConfig.password(server.user, server.password)
      })
      yield* session.select("INBOX")
      // toPull runs the stream's setup, which returns once the server said `+` to IDLE.
      const pull = yield* Stream.toPull(session.idle())
      resolve()
      yield* Effect.forever(pull)
    })
    const fiber = Effect.runFork(Effect.scoped(program))
    fiber.addObserver((exit) => {
      if (Exit.isFailure(exit)) reject(new Error(String(exit.cause)))
    })
  })

/** One checkpoint store for every watcher, as an application would share one. */
let checkpoints: Effect.Effect<Context.Context<Checkpoint.CheckpointStore>> | undefined
const sharedCheckpoints = async () => {
  if (checkpoints === undefined) {
    const scope = await Effect.runPromise(Scope.make())
    const context = await Effect.runPromise(Layer.buildWithScope(Checkpoint.layerMemory, scope))
    checkpoints = Effect.succeed(context)
  }
  return checkpoints
}

const openWatcher: Opener = async (server) => {
  const checkpoints = await sharedCheckpoints()
  return new Promise((resolve, reject) => {
    const program = Effect.gen(function* () {
      const context = yield* checkpoints
      const events = Watcher.watchEvents({
        client: {
          host: server.host,
          port: server.port,
          tls: "none",
          auth: ImapConfig.password(server.user, server.password)
        },
        readOnly: false
      })
      yield* Stream.runForEach(events, (e) =>
        Effect.sync(() => {
          if (e._tag === "Watching") resolve()
        })
      ).pipe(Effect.provideContext(context))
    })
    const fiber = Effect.runFork(Effect.scoped(program))
    fiber.addObserver((exit) => {
      if (Exit.isFailure(exit)) reject(new Error(String(exit.cause)))
    })
  })
}

const openImapflowIdle: Opener = async (server) => {
  const client = await openImapflow(server.host, server.port, server.user, server.password)
  // openImapflow examines read-only; reopen read-write like the other contestants.
  await client.mailboxOpen("INBOX")
  client.idle().catch(() => {})
  const deadline = performance.now() + 10_000
  while (!client.idling && performance.now() < deadline) await sleep(5)
  if (!client.idling) throw new Error("imapflow did not start IDLE")
}

const openRaw: Opener = async (server) => {
  const conn = await loginRaw(server.host, server.port, server.user, server.password)
  await conn.command("SELECT INBOX")
  await new Promise<void>((resolve) => {
    conn.onLine = (line) => {
      if (line.startsWith("+")) {
        conn.onLine = undefined
        resolve()
      }
    }
    conn.socket.write("I1 IDLE\r\n")
  })
}

const openers: Record<Contestant, Opener> = {
  effect: openEffect,
  watcher: openWatcher,
  imapflow: openImapflowIdle,
  raw: openRaw
}

/** Opens sessions from `from` up to `to`, `concurrency` at a time. */
const openMany = async (open: Opener, server: Server, from: number, to: number, concurrency: number) => {
  let next = from
  const worker = async () => {
    while (next < to) {
      next++
      await open(server)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, worker))
}

const child = async (
  who: Contestant,
  server: Server,
  steps: ReadonlyArray<number>,
  snapshots: ReadonlyArray<number>
) => {
  const open = openers[who]
  const out: Array<Step> = []
  const concurrency = numberOption(args, "concurrency", 50)
  const outDir = listOption("out", "/tmp")[0]!
  // One session first: modules loaded and code compiled before the first step.
  await open(server)
  let held = 1
  for (const target of [...new Set([...steps, ...snapshots])].sort((a, b) => a - b)) {
    await openMany(open, server, held, target, concurrency)
    held = target
    if (steps.includes(target)) out.push(await measure(target))
    if (snapshots.includes(target)) {
      await settle()
      const file = writeHeapSnapshot(path.join(outDir, `${who}-${target}.heapsnapshot`))
      process.stderr.write(`${who}: heap snapshot at ${target} sessions: ${file}\n`)
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------
// The parent: one Dovecot, one child per contestant, one table.

const runChild = (who: Contestant, server: Server, extra: ReadonlyArray<string>): Promise<Array<Step>> =>
  new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url)
    const proc = spawn(
      process.execPath,
      ["--expose-gc", self, "--child", who, "--server", JSON.stringify(server), ...extra],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let stdout = ""
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
    })
    proc.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${who} child exited with ${code}`))
      resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Array<Step>)
    })
  })

const parent = async () => {
  const steps = listOption("steps", "500,1500").map(Number)
  const only = listOption("only", contestants.join(",")) as Array<Contestant>
  const snapshotAt = listOption("snapshot", "").map(Number)
  const clientLimit = numberOption(args, "client-limit", 25)
  const top = Math.max(...steps, ...snapshotAt) + 10
  const dovecot = await startDovecot({
    maxUserIpConnections: top,
    imapClientLimit: clientLimit,
    imapProcessLimit: Math.ceil(top / clientLimit) + 16
  })
  const server: Server = { host: dovecot.host, port: dovecot.port, password: dovecot.password, user: "memory" }
  try {
    const rows: Array<Array<string>> = []
    for (const who of only) {
      const extra = [
        "--steps",
        steps.join(","),
        ...(snapshotAt.length > 0 && who === only[0] ? ["--snapshot", snapshotAt.join(",")] : []),
        ...passThrough("out"),
        ...passThrough("concurrency")
      ]
      const t0 = performance.now()
      const result = await runChild(who, server, extra)
      const first = result[0]!
      const last = result[result.length - 1]!
      const n = last.sessions - first.sessions
      const per = (k: keyof Step) => (last[k] - first[k]) / n / KB
      rows.push([
        who,
        `${first.sessions} → ${last.sessions}`,
        per("rss").toFixed(1),
        per("heapUsed").toFixed(1),
        per("heapTotal").toFixed(1),
        per("external").toFixed(1),
        per("arrayBuffers").toFixed(1),
        (last.rss / 1024 / KB).toFixed(0),
        ((performance.now() - t0) / 1000).toFixed(1)
      ])
      process.stderr.write(`${who}: ${JSON.stringify(result)}\n`)
    }
    console.log(
      table(
        [
          "contestant",
          "sessions",
          "RSS KB/session",
          "heap used KB/session",
          "heap committed KB/session",
          "external KB/session",
          "ArrayBuffers KB/session",
          "RSS MB at top",
          "run s"
        ],
        "lrrrrrrrr",
        rows
      )
    )
    console.log(describeMachine(await machine()))
  } finally {
    await dovecot.stop()
  }
}

const passThrough = (name: string): Array<string> => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? [`--${name}`, args[i + 1] ?? ""] : []
}

if (args.includes("--child")) {
  const who = listOption("child", "")[0] as Contestant
  const i = args.indexOf("--server")
  const server = JSON.parse(args[i + 1]!) as Server
  await child(who, server, listOption("steps", "500,1500").map(Number), listOption("snapshot", "").map(Number))
} else {
  await parent()
}
