/**
 * `node bench/idle-cpu.ts`: CPU a process spends holding N quiet IDLE sessions (issue 12, goal 3).
 *
 * One private Dovecot; each contestant runs in a fresh child process that opens N sessions (read-only
 * INBOX, IDLE established), waits `--settle` s, then reads `process.cpuUsage()` (user + system, every
 * thread: GC included) over `--seconds` s in which no mail arrives, and counts the timer callbacks
 * (`setTimeout`/`setInterval`, wrapped before any client module loads) that ran in that window:
 * every Effect sleep and timeout is one. Contestants, in turn and in rotating order per round:
 * - `effect-imap`: `ImapClient.make` + `examine("INBOX")` + `idle()` drained, from packages/client/dist;
 * - `effect-imap (old)`: the same from `--old DIR` (a copy of an earlier build's packages/client/dist
 *   placed under node_modules/, so `effect` and `@pkg/protocol` resolve); left out without `--old`;
 * - `effect-imap watcher` (and `(old) watcher`): `Watcher.watchEvents` (read-only INBOX, memory
 *   checkpoints), up once it reported `Watching`;
 * - `imapflow`: `mailboxOpen` read-only + `idle()`;
 * - `floor`: a raw socket, LOGIN, EXAMINE, IDLE, nothing else.
 *
 * Dovecot: one imap process per 100 sessions (`client_limit`) and the fallback mailbox poll set to
 * 10 minutes, so that the server's own load stays small; sessions spread over N/100 users. Its
 * `* OK Still here` every 2 minutes per IDLE session (imap_idle_notify_interval) is the only traffic.
 *
 * Options: --n N (1000), --seconds S (20), --settle S (5), --rounds R (1), --old DIR, --json,
 * --only NAME,NAME (contestants by name), --node-arg=ARG (a Node option for every child, e.g.
 * `--node-arg=--trace-gc`).
 */
import { fork } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { loadavg } from "node:os"
import { execFileSync } from "node:child_process"
import {
  describeMachine,
  fixed,
  loginRaw,
  machine,
  numberOption,
  openImapflow,
  startDovecot,
  table
} from "./support.ts"

const perUser = 100

interface Target {
  readonly host: string
  readonly port: number
  readonly password: string
}

interface Outcome {
  readonly contestant: string
  readonly n: number
  readonly cpuSeconds: number
  readonly windowSeconds: number
  readonly timerCallbacks: number
  readonly bringUpSeconds: number
  readonly load: number
}

const userOf = (i: number) => `idlecpu${Math.floor(i / perUser)}`

// ---------------------------------------------------------------------------------------------
// Child: one contestant

/** Counts timer callbacks from now on: wraps the globals every library here reaches timers through. */
const countTimers = (): (() => number) => {
  let fired = 0
  const wrap =
    (original: (callback: () => void, ...rest: Array<unknown>) => unknown) =>
    (callback: (...a: Array<unknown>) => void, ...rest: Array<unknown>) =>
      original(
        (...a: Array<unknown>) => {
          fired++
          callback(...a)
        },
        ...rest
      )
  Reflect.set(globalThis, "setTimeout", wrap(globalThis.setTimeout as never))
  Reflect.set(globalThis, "setInterval", wrap(globalThis.setInterval as never))
  return () => fired
}

const openOurs = async (module: string, target: Target, n: number): Promise<void> => {
  const { ImapClient, ImapConfig } = (await import(module)) as typeof import("@pkg/client")
  const { Effect, Scope, Stream } = await import("effect")
  // The sessions' scope stays open until the process exits.
  const scope = Effect.runSync(Scope.make())
  const one = (i: number) =>
    Effect.gen(function* () {
      const session = yield* ImapClient.make({
        host: target.host,
        port: target.port,
        tls: "none",
        auth: ImapConfig.password(userOf(i), target.password)
      })
      yield* session.examine("INBOX")
      yield* Effect.forkDetach(session.idle().pipe(Stream.runDrain))
    }).pipe(Scope.provide(scope))
  const all = Array.from({ length: n }, (_, i) => i)
  await Effect.runPromise(Effect.forEach(all, one, { concurrency: 50, discard: true }))
}

/** N `Watcher.watchEvents` (read-only INBOX, memory checkpoints), each up once it reported `Watching`. */
const openWatchers = async (module: string, target: Target, n: number): Promise<void> => {
  const { Checkpoint, ImapConfig, Watcher } = (await import(module)) as typeof import("@pkg/client")
  const { Deferred, Effect, Stream } = await import("effect")
  const one = (i: number) =>
    Effect.gen(function* () {
      const watching = yield* Deferred.make<void>()
      const events = Watcher.watchEvents({
        client: {
          host: target.host,
          port: target.port,
          tls: "none",
          auth: ImapConfig.password(userOf(i), target.password)
        },
        mailbox: "INBOX",
        readOnly: true
      })
      yield* events.pipe(
        Stream.runForEach((e) => (e._tag === "Watching" ? Deferred.succeed(watching, undefined) : Effect.void)),
        Effect.provide(Checkpoint.layerMemory),
        Effect.forkDetach
      )
      yield* Deferred.await(watching)
    })
  const all = Array.from({ length: n }, (_, i) => i)
  await Effect.runPromise(Effect.forEach(all, one, { concurrency: 50, discard: true }))
}

const child = async (
  name: string,
  module: string | undefined,
  target: Target,
  n: number,
  settle: number,
  seconds: number
) => {
  const timers = countTimers()
  const started = performance.now()
  if (name === "imapflow") {
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
          const client = await openImapflow(target.host, target.port, userOf(i + k), target.password)
          client.idle().catch(() => {})
        })
      )
    }
  } else if (name === "floor") {
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
          const raw = await loginRaw(target.host, target.port, userOf(i + k), target.password)
          await raw.command("EXAMINE INBOX")
          await new Promise<void>((resolve) => {
            raw.onLine = (line) => {
              if (line.startsWith("+")) resolve()
            }
            raw.socket.write("I1 IDLE\r\n")
          })
        })
      )
    }
  } else if (name.endsWith("watcher")) {
    await openWatchers(module!, target, n)
  } else {
    await openOurs(module!, target, n)
  }
  const bringUp = (performance.now() - started) / 1000
  await new Promise((r) => setTimeout(r, settle * 1000))
  const cpu0 = process.cpuUsage()
  const timers0 = timers()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const cpu = process.cpuUsage(cpu0)
  const outcome: Outcome = {
    contestant: name,
    n,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    windowSeconds: (performance.now() - t0) / 1000,
    // The window's own timer is one.
    timerCallbacks: timers() - timers0 - 1,
    bringUpSeconds: bringUp,
    load: loadavg()[0]!
  }
  process.send!(outcome, () => process.exit(0))
}

// ---------------------------------------------------------------------------------------------
// Parent

const runChild = (args: ReadonlyArray<string>, execArgv: ReadonlyArray<string>): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const proc = fork(new URL(import.meta.url).pathname, ["--child", ...args], {
      stdio: "inherit",
      execArgv: [...process.execArgv, ...execArgv]
    })
    let result: Outcome | undefined
    proc.on("message", (m) => {
      result = m as Outcome
    })
    proc.on("exit", (code) => (result ? resolve(result) : reject(new Error(`child ${args[0]} exited ${code}`))))
  })

/**
 * The fallback poll (see the header), applied with a reload; sessions per imap process are
 * `startDovecot`'s options (its config now writes `client_limit` itself, so a second one added here
 * was overridden by it, and 1,000 sessions met a limit of 110 processes of one session each).
 */
const tuneDovecot = async (configPath: string) => {
  const config = (await readFile(configPath, "utf8")).replace(
    "mailbox_idle_check_interval = 1 secs",
    "mailbox_idle_check_interval = 10 mins"
  )
  await writeFile(configPath, config)
  execFileSync("doveadm", ["-c", configPath, "reload"])
  await new Promise((r) => setTimeout(r, 1000))
}

const main = async () => {
  const args = process.argv.slice(2)
  if (args[0] === "--child") {
    const [, name, module, host, port, password, n, settle, seconds] = args
    return child(
      name!,
      module === "-" ? undefined : module,
      { host: host!, port: Number(port), password: password! },
      Number(n),
      Number(settle),
      Number(seconds)
    )
  }
  const n = numberOption(args, "n", 1000)
  const seconds = numberOption(args, "seconds", 20)
  const settle = numberOption(args, "settle", 5)
  const rounds = numberOption(args, "rounds", 1)
  const oldAt = args.indexOf("--old")
  const old = oldAt >= 0 ? new URL(`../${args[oldAt + 1]}/index.js`, import.meta.url).href : undefined
  const onlyAt = args.indexOf("--only")
  const nodeArgs = args.filter((a) => a.startsWith("--node-arg=")).map((a) => a.slice("--node-arg=".length))
  const contestants: Array<[string, string]> = [
    ["effect-imap", "@pkg/client"],
    ...(old ? ([["effect-imap (old)", old]] as Array<[string, string]>) : []),
    ["effect-imap watcher", "@pkg/client"],
    ...(old ? ([["effect-imap (old) watcher", old]] as Array<[string, string]>) : []),
    ["imapflow", "-"],
    ["floor", "-"]
  ].filter(([name]) => onlyAt < 0 || args[onlyAt + 1]!.split(",").includes(name!)) as Array<[string, string]>
  const dovecot = await startDovecot({
    maxUserIpConnections: perUser * 2,
    imapClientLimit: perUser,
    imapProcessLimit: Math.ceil(n / perUser) + 100
  })
  const results: Array<Outcome> = []
  try {
    await tuneDovecot(dovecot.configPath)
    for (let round = 0; round < rounds; round++) {
      const order = contestants.map((_, i) => contestants[(i + round) % contestants.length]!)
      for (const [name, module] of order) {
        const outcome = await runChild(
          [
            name,
            module,
            dovecot.host,
            String(dovecot.port),
            dovecot.password,
            String(n),
            String(settle),
            String(seconds)
          ],
          nodeArgs
        )
        results.push(outcome)
        console.error(
          `${name}: ${fixed(outcome.cpuSeconds, 3)} s CPU in ${fixed(outcome.windowSeconds)} s, ${outcome.timerCallbacks} timer callbacks, bring-up ${fixed(outcome.bringUpSeconds)} s, load ${fixed(outcome.load, 2)}`
        )
        // Let Dovecot reap the previous contestant's sessions.
        await new Promise((r) => setTimeout(r, 3000))
      }
    }
  } finally {
    await dovecot.stop()
  }
  if (args.includes("--json")) return console.log(JSON.stringify(results))
  console.log(describeMachine(await machine()))
  console.log(
    table(
      ["contestant", "N", "CPU s / window", "window s", "CPU s per 5 s", "timer callbacks", "bring-up s", "load"],
      "lrrrrrrr",
      results.map((r) => [
        r.contestant,
        String(r.n),
        fixed(r.cpuSeconds, 3),
        fixed(r.windowSeconds),
        fixed((r.cpuSeconds * 5) / r.windowSeconds, 4),
        String(r.timerCallbacks),
        fixed(r.bringUpSeconds),
        fixed(r.load, 2)
      ])
    )
  )
}

await main()
