/**
 * `node bench/imports.ts`: what importing a client costs a process before it does anything: time,
 * RSS and live heap (after a full GC) in a fresh Node process per module, medians of `--runs` (9).
 * It separates the load (modules, their source text, what they build at import) from a FETCH's
 * working set, which `bench:client`'s peak RSS adds together.
 *
 * Rows: Node alone (`node:fs`), imapflow, `effect/Effect`, `@effect/platform-node`'s NodeSocket (the
 * socket this client is built on; it brings `effect/Schema`), `@pkg/protocol`, `@pkg/client` (the
 * compiled packages, as the client benchmark runs them), and `@pkg/client/ImapClient` (the subpath
 * an app that only connects can import). Then the levers an application holds, for imapflow and
 * `@pkg/client` alike: Node's compile cache (`NODE_COMPILE_CACHE`, filled by an untimed first run,
 * as `module.enableCompileCache()` in an app's entry would), and, for `@pkg/client`, the app
 * bundled with rolldown (every export kept, effect inside, one file; compile cache warm).
 *
 * Then where `@pkg/client`'s cost comes from, in layers: the effect modules the client and the
 * protocol import (read from their sources) less `effect/Schema`, `effect/Config` and the socket;
 * the same plus `effect/Schema` and `effect/Config` (the client's `ImapConfig` evaluates a Config,
 * its `Checkpoint` and the protocol's `Schemas` build schemas, and effect's socket error is one);
 * the same plus `@effect/platform-node/NodeSocket`. What `@pkg/client` adds to the last is its own
 * modules and the protocol's.
 *
 * Time: the child's `performance.now()` once the import has settled, i.e. from the process's start
 * (Node's own start-up included, which the "over Node" column takes away); modules: what Node's
 * loader loaded, counted by a `registerHooks` load hook in an untimed run of its own (the hook
 * slows every load).
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { rolldown } from "rolldown"
import { describeMachine, fixed, machine, median, numberOption, table } from "./support.ts"

const runs = numberOption(process.argv.slice(2), "runs", 9)
const scratch = mkdtempSync(path.join(tmpdir(), "bench-imports-"))

// Runs in the child: import, settle, collect, then report the kernel's view and V8's.
const probe = `
  import { registerHooks } from "node:module"
  let modules = 0
  if (process.argv[2] === "count") registerHooks({ load: (url, context, next) => (modules++, next(url, context)) })
  const what = process.argv[1]
  await import(what)
  const ms = performance.now()
  await new Promise((r) => setTimeout(r, 50))
  globalThis.gc(); globalThis.gc()
  const status = (await import("node:fs")).readFileSync("/proc/self/status", "utf8")
  const kb = (key) => Number(status.match(new RegExp(key + ":\\\\s+(\\\\d+)"))?.[1] ?? 0)
  console.log(JSON.stringify({ ms, modules, rss: kb("VmRSS") * 1024, heap: process.memoryUsage().heapUsed }))`

interface Sample {
  readonly ms: number
  readonly modules: number
  readonly rss: number
  readonly heap: number
}

interface Row {
  readonly name: string
  readonly module: string
  readonly cache?: string
}

/** A run of `row`'s import; `count` adds the load hook that counts modules (and costs time: not timed). */
const measure = (row: Row, count = false): Sample =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ["--expose-gc", "--input-type=module", "-e", probe, row.module, count ? "count" : ""],
      {
        encoding: "utf8",
        cwd: import.meta.dirname,
        env: { ...process.env, NODE_COMPILE_CACHE: row.cache ?? "", NODE_DISABLE_COMPILE_CACHE: row.cache ? "" : "1" }
      }
    )
  ) as Sample

/** `@pkg/client` as an application bundles it: every export kept (an app's code is unknown here). */
const bundleClient = async (): Promise<string> => {
  const entry = "\0imports-entry"
  const build = await rolldown({
    input: entry,
    platform: "node",
    logLevel: "silent",
    cwd: path.join(import.meta.dirname, ".."),
    plugins: [
      {
        name: "imports-entry",
        resolveId: (id) => (id === entry ? id : null),
        load: (id) => (id === entry ? `export * from "@pkg/client"` : null)
      }
    ]
  })
  const file = path.join(scratch, "client-bundle.mjs")
  await build.write({ file, format: "esm", minify: true })
  await build.close()
  return file
}

const cache = (name: string) => path.join(scratch, `cache-${name}`)

/** The effect modules (`effect/X`, value imports) that the client's and the protocol's sources name. */
const effectModulesNamed = (): Array<string> => {
  const found = new Set<string>()
  for (const dir of ["packages/client/src", "packages/client/src/internal", "packages/protocol/src"]) {
    const at = path.join(import.meta.dirname, "..", dir)
    for (const file of readdirSync(at).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(path.join(at, file), "utf8")
      for (const [, name] of source.matchAll(/^import (?!type )[^"]*? from "(effect\/[\w/]+)"/gm)) found.add(name!)
    }
  }
  return [...found].sort()
}

/** A module in the scratch directory importing `specifiers` (resolved from here): one row's import. */
const entryImporting = (name: string, specifiers: ReadonlyArray<string>): string => {
  const file = path.join(scratch, `${name}.mjs`)
  const urls = specifiers.map((s) => (s.startsWith("node:") ? s : import.meta.resolve(s)))
  writeFileSync(file, urls.map((u) => `import ${JSON.stringify(u)}\n`).join(""))
  return pathToFileURL(file).href
}
const layered = ["effect/Schema", "effect/Config", "effect/socket/Socket"]
const effectCore = effectModulesNamed().filter((m) => !layered.includes(m))
const withSchema = [...effectCore, "effect/Schema", "effect/Config"]
const withSocket = [...withSchema, "@effect/platform-node/NodeSocket"]
const bundled = await bundleClient()
const rows: ReadonlyArray<Row> = [
  { name: "node:fs (Node alone)", module: "node:fs" },
  { name: "imapflow", module: "imapflow" },
  { name: "effect/Effect", module: "effect/Effect" },
  { name: "@effect/platform-node/NodeSocket", module: "@effect/platform-node/NodeSocket" },
  { name: "@pkg/protocol", module: "@pkg/protocol" },
  { name: "@pkg/client", module: "@pkg/client" },
  { name: "@pkg/client/ImapClient", module: "@pkg/client/ImapClient" },
  {
    name: `effect: the ${effectCore.length} modules the client and protocol name, less Schema, Config, socket`,
    module: entryImporting("effect-core", effectCore)
  },
  { name: "the same + effect/Schema + effect/Config", module: entryImporting("with-schema", withSchema) },
  { name: "the same + @effect/platform-node/NodeSocket", module: entryImporting("with-socket", withSocket) },
  { name: "node:fs, compile cache warm", module: "node:fs", cache: cache("node") },
  { name: "imapflow, compile cache warm", module: "imapflow", cache: cache("imapflow") },
  { name: "@pkg/client, compile cache warm", module: "@pkg/client", cache: cache("client") },
  { name: "@pkg/client bundled (rolldown, minified), cache warm", module: bundled, cache: cache("bundle") }
]

const described = describeMachine(await machine())
// Untimed: counts the modules, and fills the compile cache of the cached rows.
const modules = new Map(rows.map((row) => [row.name, measure(row, true).modules]))
// Rounds, so that load from elsewhere on a shared machine falls on every row alike.
const samples = new Map<string, Array<Sample>>(rows.map((r) => [r.name, []]))
for (let i = 0; i < runs; i++) for (const row of rows) samples.get(row.name)!.push(measure(row))
rmSync(scratch, { recursive: true, force: true })

const MB = 1024 * 1024
const results = rows.map((r) => {
  const xs = samples.get(r.name)!
  return {
    row: r,
    ms: median(xs.map((s) => s.ms)),
    modules: modules.get(r.name) ?? 0,
    rss: median(xs.map((s) => s.rss)) / MB,
    heap: median(xs.map((s) => s.heap)) / MB
  }
})
const base = results[0]!
const cachedBase = results.find((r) => r.row.cache !== undefined && r.row.module === "node:fs")!
console.log(described)
console.log("")
console.log(
  table(
    [
      "module imported",
      "modules loaded",
      "ms",
      "ms over Node",
      "RSS MB",
      "RSS over Node MB",
      "live heap MB",
      "heap over Node MB"
    ],
    "lrrrrrrr",
    results.map((r) => {
      const against = r.row.cache === undefined ? base : cachedBase
      return [
        r.row.name,
        String(r.modules),
        fixed(r.ms),
        fixed(r.ms - against.ms),
        fixed(r.rss),
        fixed(r.rss - against.rss),
        fixed(r.heap),
        fixed(r.heap - against.heap)
      ]
    })
  )
)
console.log("")
console.log(
  `Fresh process per module, medians of ${runs} (rows interleaved); ms: performance.now() once the import settled, ` +
    "from the process's start; live heap after two full GCs. Cached rows are compared with Node alone, cache on."
)
