/**
 * `node bench/imports.ts`: what importing a client costs a process before it does anything: RSS and
 * live heap (after a full GC) in a fresh Node process per module, medians of 5. It separates the
 * load (modules, their source text, what they build at import) from a FETCH's working set, which
 * `bench:client`'s peak RSS adds together.
 *
 * Rows: Node alone (`node:fs`), imapflow, `effect/Effect`, `@effect/platform-node`'s NodeSocket (the
 * socket this client is built on; it brings `effect/Schema`), and `@pkg/client` (the compiled
 * package, as the client benchmark runs it).
 */
import { execFileSync } from "node:child_process"
import { describeMachine, fixed, machine, median, table } from "./support.ts"

const modules = ["node:fs", "imapflow", "effect/Effect", "@effect/platform-node/NodeSocket", "@pkg/client"]
const runs = 5

// Runs in the child: import, settle, collect, then report the kernel's view and V8's.
const probe = `
  const what = process.argv[1]
  await import(what)
  await new Promise((r) => setTimeout(r, 50))
  globalThis.gc(); globalThis.gc()
  const status = (await import("node:fs")).readFileSync("/proc/self/status", "utf8")
  const kb = (key) => Number(status.match(new RegExp(key + ":\\\\s+(\\\\d+)"))?.[1] ?? 0)
  console.log(JSON.stringify({ rss: kb("VmRSS") * 1024, heap: process.memoryUsage().heapUsed }))`

interface Sample {
  readonly rss: number
  readonly heap: number
}

const measure = (module: string): Sample =>
  JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", probe, module], {
      encoding: "utf8",
      cwd: import.meta.dirname
    })
  ) as Sample

const MB = 1024 * 1024
const results = modules.map((m) => {
  const samples = Array.from({ length: runs }, () => measure(m))
  return { module: m, rss: median(samples.map((s) => s.rss)) / MB, heap: median(samples.map((s) => s.heap)) / MB }
})
const base = results[0]!
console.log(describeMachine(await machine()))
console.log("")
console.log(
  table(
    ["module imported", "RSS MB", "RSS over Node MB", "live heap MB", "heap over Node MB"],
    "lrrrr",
    results.map((r) => [r.module, fixed(r.rss), fixed(r.rss - base.rss), fixed(r.heap), fixed(r.heap - base.heap)])
  )
)
console.log("")
console.log(`Fresh process per module, medians of ${runs}; live heap after two full GCs.`)
