/**
 * One contestant of `bench/scale.ts` in its own process (forked with `--expose-gc`): it holds one
 * IDLE connection per user given, reports when all are up, its memory after a forced GC, and every
 * new message a connection is told of. It loads only its own client's modules.
 *
 * Contestants:
 * - `sessions`: `ImapClient.make` + `select("INBOX")` + `session.idle()` pulled until the process ends;
 *   up once SELECT is done and the IDLE stream is being pulled (its first pull sends IDLE: the `+`
 *   comes one loopback round trip later, unobserved; the API has no signal for it short of a trace sink,
 *   which this contestant should not carry).
 * - `watchers`: `Watcher.watchEvents` on INBOX (its default: EXAMINE, from now on) with
 *   `Checkpoint.layerMemory`; up at its `Watching` event (caught up, IDLE running).
 * - `imapflow`: `connect` + `mailboxOpen("INBOX")` + `idle()`; up once `client.idling` is set
 *   (imapflow sets it when it sends IDLE, not on the `+`: it exposes nothing later).
 * - `raw`: `node:net`/`node:tls` socket: LOGIN, SELECT INBOX, IDLE by hand, up on the `+`; new mail is a
 *   `* N EXISTS` line, found by a string search of each chunk. The floor under the three others.
 *
 * Messages: parent → child `Start` (once), `Exit`; child → parent `Baseline` (memory before any
 * connection), `Up` (bring-up time, failures, memory), `Seen` (a connection's first new message after
 * the bring-up, with `process.hrtime` in ms: CLOCK_MONOTONIC, the same clock in every process).
 */
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as tls from "node:tls"
import * as v8 from "node:v8"

export const contestants = ["sessions", "watchers", "imapflow", "raw"] as const
export type Contestant = (typeof contestants)[number]

export interface StartMessage {
  readonly _tag: "Start"
  readonly contestant: Contestant
  readonly host: string
  readonly port: number
  readonly tls: boolean
  readonly caPath: string
  readonly users: ReadonlyArray<string>
  readonly password: string
  /** Connections being brought up at once. */
  readonly concurrency: number
}

export interface Memory {
  readonly rss: number
  readonly heapUsed: number
  /** V8's heap committed (used or not): where RSS above heap used goes, if it is the heap's. */
  readonly heapTotal: number
  /**
   * V8's young generation committed (new space and new large objects): a nursery whose size V8 grows
   * with the bytes surviving scavenges, up to a fixed cap, and whose pages stay resident. Not a
   * per-connection cost, but it moves RSS between two N until it reaches its cap.
   */
  readonly young: number
  readonly external: number
}

export type FromChild =
  | { readonly _tag: "Baseline"; readonly memory: Memory }
  | {
      readonly _tag: "Up"
      readonly ms: number
      readonly up: number
      readonly failures: number
      readonly firstFailure: string | undefined
      readonly memory: Memory
    }
  | { readonly _tag: "Seen"; readonly index: number; readonly at: number }

export const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6

const send = (m: FromChild) => process.send?.(m)

const gc = (globalThis as { gc?: () => void }).gc

/** RSS, heap and external after full GCs (with pauses, so finalizers and weak callbacks run). */
const settledMemory = async (): Promise<Memory> => {
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((r) => setTimeout(r, 100))
  }
  gc?.()
  const m = process.memoryUsage()
  const young = v8
    .getHeapSpaceStatistics()
    .filter((space) => space.space_name === "new_space" || space.space_name === "new_large_object_space")
    .reduce((sum, space) => sum + space.space_size, 0)
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, young, external: m.external }
}

/** Starts one connection; resolves when it is idling. `seen` is called on its first new message. */
type Opener = (start: StartMessage, user: string, seen: () => void) => Promise<void>

/** Each contestant's modules, loaded once before the baseline (so imports are not counted per session). */
const load = async (contestant: Contestant) => {
  if (contestant === "imapflow") return { imapflow: await import("imapflow") }
  if (contestant === "raw") return {}
  return {
    client: await import("@pkg/client"),
    Effect: await import("effect/Effect"),
    Stream: await import("effect/Stream")
  }
}
let modules: Awaited<ReturnType<typeof load>> = {}

const effectModules = () => {
  const { client, Effect, Stream } = modules
  if (client === undefined || Effect === undefined || Stream === undefined) throw new Error("modules not loaded")
  return { ...client, Effect, Stream }
}

const sessions: Opener = (start, user, seen) => {
  const { ImapClient, ImapConfig, Effect, Stream } = effectModules()
  return new Promise((resolve, reject) => {
    const program = Effect.scoped(
      Effect.gen(function* () {
        const session = yield* ImapClient.make(clientOptions(start, ImapConfig.password(user, start.password)))
        yield* session.select("INBOX")
        const pull = yield* Stream.toPull(session.idle())
        yield* Effect.sync(resolve)
        let reported = false
        while (true) {
          const events = yield* pull
          if (!reported && events.some((e) => e._tag === "Exists" && e.count > 0)) {
            reported = true
            seen()
          }
        }
      })
    )
    Effect.runFork(program).addObserver((exit) => {
      if (exit._tag === "Failure") reject(new Error(String(exit.cause)))
    })
  })
}

const watchers: Opener = (start, user, seen) => {
  const { Checkpoint, ImapConfig, Watcher, Effect, Stream } = effectModules()
  return new Promise((resolve, reject) => {
    let reported = false
    const program = Watcher.watchEvents({
      client: clientOptions(start, ImapConfig.password(user, start.password)),
      mailbox: "INBOX"
    }).pipe(
      Stream.runForEach((e) =>
        Effect.sync(() => {
          if (e._tag === "Watching") resolve()
          else if (e._tag === "NewMessage" && !reported) {
            reported = true
            seen()
          }
        })
      ),
      Effect.provide(Checkpoint.layerMemory)
    )
    Effect.runFork(program).addObserver((exit) => {
      if (exit._tag === "Failure") reject(new Error(String(exit.cause)))
    })
  })
}

let caPem: string | undefined
const ca = (start: StartMessage): string => {
  caPem ??= readFileSync(start.caPath, "utf8")
  return caPem
}

/** The server's certificate names localhost (and 127.0.0.1); every client trusts it as a CA. */
const clientOptions = (
  start: StartMessage,
  auth: import("@pkg/client").ImapConfig.Authentication
): import("@pkg/client").ImapConfig.ImapClientOptions => ({
  host: start.host,
  port: start.port,
  tls: start.tls ? "implicit" : "none",
  ...(start.tls ? { tlsOptions: { ca: ca(start), servername: "localhost" } } : {}),
  auth
})

const imapflow: Opener = async (start, user, seen) => {
  const ImapFlow = modules.imapflow?.ImapFlow
  if (ImapFlow === undefined) throw new Error("imapflow not loaded")
  const client = new ImapFlow({
    host: start.host,
    port: start.port,
    secure: start.tls,
    doSTARTTLS: false,
    ...(start.tls ? { tls: { ca: ca(start), servername: "localhost" } } : {}),
    auth: { user, pass: start.password },
    logger: false
  })
  await client.connect()
  await client.mailboxOpen("INBOX")
  let reported = false
  client.on("exists", () => {
    if (reported) return
    reported = true
    seen()
  })
  client.idle().catch(() => {})
  // Polled only during the bring-up; the quiet window and the burst come after.
  while (!client.idling) await new Promise((r) => setTimeout(r, 5))
}

const raw: Opener = (start, user, seen) => {
  const socket = start.tls
    ? tls.connect({ host: start.host, port: start.port, ca: ca(start), servername: "localhost" })
    : net.connect({ host: start.host, port: start.port })
  const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`
  return new Promise((resolve, reject) => {
    // Steps: greeting, LOGIN's OK, SELECT's OK, IDLE's +, then idling.
    let step = 0
    let text = ""
    socket.on("error", reject)
    socket.on("close", () => reject(new Error(`closed before IDLE (step ${step})`)))
    socket.on("data", (chunk: Buffer) => {
      if (step === 4) {
        if (chunk.includes(" EXISTS\r\n")) {
          step = 5
          seen()
        }
        return
      }
      if (step === 5) return
      text += chunk.toString("latin1")
      if (!text.endsWith("\r\n")) return
      const lines = text
      text = ""
      if (step === 0 && lines.startsWith("* OK")) {
        step = 1
        socket.write(`a LOGIN ${quote(user)} ${quote(start.password)}\r\n`)
      } else if (step === 1 && /^a OK/m.test(lines)) {
        step = 2
        socket.write("b SELECT INBOX\r\n")
      } else if (step === 2 && /^b OK/m.test(lines)) {
        step = 3
        socket.write("c IDLE\r\n")
      } else if (step === 3 && /^\+/m.test(lines)) {
        step = 4
        resolve()
      } else if (/^[abc] (NO|BAD)/m.test(lines)) reject(new Error(lines.trim()))
    })
  })
}

const openers: Record<Contestant, Opener> = { sessions, watchers, imapflow, raw }

/** Brings up every user's connection, `concurrency` at a time. */
const bringUp = async (start: StartMessage, since: () => number) => {
  const open = openers[start.contestant]
  let next = 0
  let up = 0
  let armed = false
  const failures: Array<string> = []
  const worker = async () => {
    while (next < start.users.length) {
      const index = next++
      const user = start.users[index] as string
      try {
        await open(start, user, () => {
          if (armed) send({ _tag: "Seen", index, at: hrNow() })
        })
        up++
      } catch (error) {
        failures.push(`${user}: ${(error as Error).message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(start.concurrency, start.users.length) }, worker))
  const ms = since()
  armed = true
  return { ms, up, failures }
}

process.on("message", async (m: StartMessage | { readonly _tag: "Exit" }) => {
  if (m._tag === "Exit") process.exit(0)
  // Loaded before the baseline: the figures are about connections, not imports.
  modules = await load(m.contestant)
  send({ _tag: "Baseline", memory: await settledMemory() })
  const t0 = performance.now()
  const { ms, up, failures } = await bringUp(m, () => performance.now() - t0)
  send({ _tag: "Up", ms, up, failures: failures.length, firstFailure: failures[0], memory: await settledMemory() })
})
