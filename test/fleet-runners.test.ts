/**
 * `imap serve` runners sharing one fleet database (a SQLite file; a private Postgres), watching 50
 * mailboxes of a private Dovecot while mail arrives: after `kill -9` of one runner every mailbox is
 * watched again by the others within the bound and every message is printed exactly once across all
 * runners' output; SIGTERM hands a runner's mailboxes over in under 3 s and exits 0; a runner
 * joining takes mailboxes over without any mailbox ever having two sessions on the server at once.
 * `imap fleet add` and `imap fleet status --json` are the user's way in.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type * as SqlClient from "effect/sql/SqlClient"
import { type ChildProcessWithoutNullStreams, execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Database from "../packages/fleet/src/Database.ts"
import * as Registry from "../packages/fleet/src/Registry.ts"
import * as Status from "../packages/fleet/src/Status.ts"
import { freePort } from "./support/FreePort.ts"
import * as ImapCli from "./support/ImapCli.ts"
import * as Postgres from "./support/Postgres.ts"
import { imapEnv } from "./support/Subprocess.ts"
import { dovecot, freshUser } from "./support/TestServer.ts"
import * as FleetAccount from "./support/FleetAccount.ts"

const mailboxCount = 50
/**
 * How soon after `kill -9` every mailbox must be watched again. The settings aim at 6-10 s (measured
 * 5-7 s on a quiet machine; bench:fleet has the figures); under a load average of 16 Postgres took
 * over 15 s once, so the bound leaves room for a loaded machine.
 */
const rehomeBoundMs = 30_000

interface Runner {
  readonly name: string
  readonly child: ChildProcessWithoutNullStreams
  /** Each JSON line it printed. */
  readonly lines: Array<{ readonly account: string; readonly subject: string; readonly uid: number }>
  stderr: string
  readonly exited: Promise<number | null>
}

const startRunner = async (db: string, env: NodeJS.ProcessEnv): Promise<Runner> => {
  const port = await freePort()
  const name = `127.0.0.1:${port}`
  const child = ImapCli.spawnCli(["serve", "--db", db, "--listen", name], env)
  child.stdin.end()
  const runner: Runner = {
    name,
    child,
    lines: [],
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code)))
  }
  let pending = ""
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8")
    let nl = pending.indexOf("\n")
    while (nl >= 0) {
      runner.lines.push(JSON.parse(pending.slice(0, nl)))
      pending = pending.slice(nl + 1)
      nl = pending.indexOf("\n")
    }
  })
  child.stderr.on("data", (chunk: Buffer) => {
    runner.stderr += chunk.toString("utf8")
  })
  return runner
}

/** IMAP sessions per user on the server right now (`doveadm who -1`: one line per connection). */
const sessionsPerUser = (configPath: string): Map<string, number> => {
  const out = execFileSync("doveadm", ["-c", configPath, "who", "-1"], { encoding: "utf8" })
  const counts = new Map<string, number>()
  for (const line of out.split("\n").slice(1)) {
    const [user, service] = line.trim().split(/\s+/)
    if (user === undefined || user === "" || service !== "imap") continue
    counts.set(user, (counts.get(user) ?? 0) + 1)
  }
  return counts
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async (what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<number> => {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
  return Date.now() - started
}

const scenario = (db: () => Promise<{ readonly url: string; readonly stop: () => Promise<void> }>) => async () => {
  const server = dovecot()
  const database = await db()
  const runners: Array<Runner> = []
  const cleanup: Array<() => Promise<void>> = []
  try {
    const location = await Effect.runPromise(Database.parse(database.url))
    const sql = Database.layer(location)
    // One pool for the test's own reads and writes (a pool per call would also migrate per call).
    const runtime = ManagedRuntime.make(sql)
    cleanup.push(() => runtime.dispose())
    const withDb = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) => runtime.runPromise(effect)
    const env = imapEnv(server, "unused", { IMAP_USER: undefined })
    const users = Array.from({ length: mailboxCount }, (_, i) => freshUser(`fleet${i}`))

    // The first through the CLI, as a user would; the rest directly (50 CLI starts would dominate).
    const added = await ImapCli.run(
      ["fleet", "add", users[0]!, "INBOX", "--db", database.url, "--host", server.host, "--port", String(server.port)],
      imapEnv(server, users[0]!)
    )
    assert.strictEqual(added.code, 0, added.stderr)
    await withDb(
      Effect.forEach(users.slice(1), (user) =>
        Registry.add(user, FleetAccount.passwordFromEnv(server, user), ["INBOX"])
      )
    )
    const status = () => withDb(Status.read)
    const ownedBy = async (names: ReadonlyArray<string>) => {
      const s = await status()
      return (
        s.mailboxes.length === mailboxCount &&
        s.mailboxes.every((m) => m.state === "watching" && names.includes(m.runner ?? ""))
      )
    }

    runners.push(await startRunner(database.url, env), await startRunner(database.url, env))
    const [a, b] = runners as [Runner, Runner]
    await until("every mailbox watched by the two runners", () => ownedBy([a.name, b.name]), 60_000)

    // Mail arrives throughout: one message every 40 ms, round robin.
    let sent = 0
    let sending = true
    const sender = (async () => {
      while (sending) {
        const user = users[sent % mailboxCount]!
        const subject = `m${sent}`
        sent++
        await server.deliver(
          user,
          "INBOX",
          `Subject: ${subject}\r\nMessage-ID: <${subject}-${user}@fleet>\r\n\r\nbody\r\n`
        )
        await sleep(40)
      }
    })()
    await sleep(1000)
    a.child.kill("SIGKILL")
    const rehome = await until("every mailbox watched again after kill -9", () => ownedBy([b.name]), rehomeBoundMs)
    await sleep(1000)
    sending = false
    await sender
    const seenOnce = async () => {
      const keys = runners.flatMap((r) => r.lines.map((l) => `${l.account}/${l.subject}`))
      return keys.length >= sent
    }
    await until(`all ${sent} messages printed`, seenOnce, 30_000)
    const keys = runners.flatMap((r) => r.lines.map((l) => `${l.account}/${l.subject}`))
    assert.strictEqual(new Set(keys).size, keys.length, "no message printed twice")
    assert.strictEqual(keys.length, sent, "every message printed")

    // A runner joins: some mailboxes move to it, and no user ever has two sessions at once.
    const c = await startRunner(database.url, env)
    runners.push(c)
    let doubled: string | undefined
    const sampling = (async () => {
      while (doubled === undefined && c.child.exitCode === null && !c.child.killed) {
        for (const [user, n] of sessionsPerUser(server.configPath)) {
          if (n > 1 && users.includes(user)) doubled = `${user} had ${n} sessions`
        }
        await sleep(50)
        if (
          await ownedBy([b.name, c.name]).then(
            async (ok) => ok && (await status()).mailboxes.some((m) => m.runner === c.name)
          )
        )
          break
      }
    })()
    await until(
      "mailboxes shared by the two runners",
      async () => (await ownedBy([b.name, c.name])) && (await status()).mailboxes.some((m) => m.runner === c.name),
      60_000
    )
    await sampling
    assert.isUndefined(doubled)

    // SIGTERM: c hands its mailboxes to b, fast, and exits 0.
    c.child.kill("SIGTERM")
    const handoff = await until("c's mailboxes handed to b", () => ownedBy([b.name]), 10_000)
    assert.strictEqual(await c.exited, 0, c.stderr)
    assert.isBelow(handoff, 3000, `hand-off after SIGTERM took ${handoff} ms`)
    console.log(`fleet on ${location._tag}: re-home after kill -9 ${rehome} ms, hand-off after SIGTERM ${handoff} ms`)

    const json = await ImapCli.run(["fleet", "status", "--json", "--db", database.url], env)
    const parsed = JSON.parse(json.stdout) as Status.Status
    assert.strictEqual(parsed.mailboxes.length, mailboxCount)
  } catch (error) {
    // What the runners said is the first thing to read when this fails.
    const now = await Effect.runPromise(
      Effect.provide(Status.read, Database.layer(await Effect.runPromise(Database.parse(database.url))))
    ).catch(() => undefined)
    const stale = now?.mailboxes
      .filter((m) => m.state !== "watching" || m.runner !== runners[1]?.name)
      .map((m) => `${m.account} ${m.runner} ${m.state} ${m.detail ?? ""}`)
    const said = [
      `not on the survivor: ${stale?.length} ${stale?.slice(0, 5).join("; ")}`,
      ...runners.map((r) => `--- ${r.name} (exit ${r.child.exitCode}):\n${r.stderr.slice(-3000)}`)
    ].join("\n")
    throw new Error(`${(error as Error).message}\n${said}`)
  } finally {
    for (const r of runners) r.child.kill("SIGKILL")
    for (const f of cleanup) await f()
    await database.stop()
  }
}

describe("imap serve runners", { timeout: 240_000 }, () => {
  it("on one SQLite file", () =>
    scenario(async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-runners-"))
      return {
        url: `sqlite:${path.join(dir, "fleet.db")}`,
        stop: async () => rmSync(dir, { recursive: true, force: true })
      }
    })())

  it("on Postgres", () =>
    scenario(async () => {
      const pg = await Postgres.start()
      return { url: pg.url, stop: pg.stop }
    })())
})
