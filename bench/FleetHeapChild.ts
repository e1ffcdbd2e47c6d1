/**
 * A child of `bench:fleet`: N mailboxes watched in this one process, either by plain
 * `Watcher.watchEvents` (mode "plain") or as cluster entities under `Fleet.layerSingle` on a SQLite
 * file (mode "fleet"), against the Dovecot the parent started; once all are watching and a few
 * seconds have passed, prints heap used and RSS after forced GCs as one JSON line. Run with
 * --expose-gc.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Checkpoint, ImapConfig, Watcher } from "@pkg/client"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Database from "../packages/fleet/src/Database.ts"
import * as Fleet from "../packages/fleet/src/Fleet.ts"
import * as Registry from "../packages/fleet/src/Registry.ts"
import { Sink } from "../packages/fleet/src/Sink.ts"
import * as FleetAccount from "../test/support/FleetAccount.ts"

const [mode, nText, hostArg, portText, password = ""] = process.argv.slice(2)
const host = hostArg ?? "127.0.0.1"
const n = Number(nText)
const port = Number(portText)
const gc = () => {
  for (let i = 0; i < 4; i++) (globalThis as unknown as { gc: () => void }).gc()
}
const measure = (label: string) => {
  gc()
  const m = process.memoryUsage()
  console.log(JSON.stringify({ label, mode, n, heap: m.heapUsed, rss: m.rss }))
}
const users = Array.from({ length: n }, (_, i) => `h${mode}${i}`)
process.env.IMAP_PASSWORD = password
let dir: string | undefined
if (mode === "fleet") {
  dir = mkdtempSync(path.join(os.tmpdir(), "effect-imap-fleet-heap-"))
  const filename = path.join(dir, "f.db")
  const db = Database.layer({ _tag: "Sqlite", filename })
  await Effect.runPromise(
    Effect.forEach(users, (u) => Registry.add(u, FleetAccount.passwordFromEnv({ host, port }, u), ["INBOX"]), {
      discard: true
    }).pipe(Effect.provide(db))
  )
  const sink = Layer.succeed(Sink, { deliver: () => Effect.void })
  Effect.runFork(Layer.launch(Fleet.layerSingle(filename).pipe(Layer.provide(sink))))
  await Effect.runPromise(
    Effect.gen(function* () {
      while (true) {
        const rows = yield* Registry.list
        if (rows.filter((r) => r.state === "watching").length >= n) break
        yield* Effect.sleep("500 millis")
      }
    }).pipe(Effect.provide(db))
  )
} else {
  let up = 0
  for (const u of users) {
    Effect.runFork(
      Watcher.watchEvents({
        client: { host, port, tls: "none", auth: ImapConfig.password(u, password) },
        mailbox: "INBOX"
      }).pipe(
        Stream.runForEach((e) =>
          Effect.sync(() => {
            if (e._tag === "Watching") up++
          })
        ),
        Effect.provide(Checkpoint.layerMemory)
      )
    )
  }
  while (up < n) await new Promise((r) => setTimeout(r, 200))
}
await new Promise((r) => setTimeout(r, 3000))
measure("up")
if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
process.exit(0)
