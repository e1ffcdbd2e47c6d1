/**
 * `pnpm run docs` (plain `pnpm docs` is a pnpm command of its own): the API reference of the
 * packages (`packages/<name>/docs/modules/*.md`), made by @effect/docgen, the generator Effect's
 * own packages use, and its two checks: every public export has a doc comment, and every
 * `@example` type-checks (tsc) and runs (tsx).
 *
 * Public means what a package's `exports` entry points export, followed through re-exports
 * (`export * as X from "./X.ts"`, `export type { T } from ...`); docgen documents a package's
 * modules file by file, so every other file under `src` is passed to it as `--exclude`.
 *
 * On a missing doc comment docgen stops before writing anything; this script then prints every
 * undocumented export, grouped by file, and exits 1. `pnpm docs:check` runs the same checks
 * without keeping the generated files.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..")
const packages = ["protocol", "client", "testing", "fleet", "cli"] as const
const check = process.argv.includes("--check")

/** The `src` files a package's entry points reach through re-exports, relative to the package. */
export const publicModules = (pkgDir: string): Set<string> => {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    exports: Record<string, { source?: string } | string | null>
  }
  const entries = Object.values(manifest.exports).flatMap((e) =>
    typeof e === "object" && e !== null && e.source !== undefined && !e.source.includes("*") ? [e.source] : []
  )
  const seen = new Set<string>()
  const visit = (file: string) => {
    const normal = path.normalize(file)
    if (seen.has(normal)) return
    seen.add(normal)
    const text = fs.readFileSync(path.join(pkgDir, normal), "utf8")
    for (const m of text.matchAll(/^export\s+(?:type\s+)?(?:\*|\{[^}]*\})(?:\s+as\s+\w+)?\s+from\s+"(\.[^"]+)"/gm)) {
      visit(path.join(path.dirname(normal), m[1]!))
    }
  }
  for (const entry of entries) visit(entry)
  return seen
}

const sourceFiles = (dir: string): Array<string> =>
  fs
    .readdirSync(path.join(dir, "src"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join("src", f))

interface Run {
  readonly code: number
  readonly output: string
}

const docgen = (cwd: string, exclude: ReadonlyArray<string>, outDir: string): Promise<Run> =>
  new Promise((resolve) => {
    // docgen 0.5.2 drops the first `--exclude` it is given (and the config's list once any is
    // given): lead with a repeat of the internal glob.
    const globs = ["src/internal/**/*.ts", "src/internal/**/*.ts", ...exclude]
    const args = [...globs.flatMap((f) => ["--exclude", f]), "--out", outDir]
    const child = spawn(path.join(root, "node_modules", ".bin", "docgen"), args, {
      cwd,
      // docgen runs `tsc` and `tsx` on the examples from PATH: the workspace's.
      env: { ...process.env, PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` }
    })
    let output = ""
    child.stdout.on("data", (d) => (output += d))
    child.stderr.on("data", (d) => (output += d))
    child.on("close", (code) => resolve({ code: code ?? 1, output }))
  })

/** docgen's "Missing ..." lines, as `file: what` (file relative to the repository). */
const missing = (pkg: string, output: string): Array<{ file: string; what: string }> =>
  [...output.matchAll(/^\s*Missing (.*?) in (src\/[^#\s]+)(?:#(\S+))?(?: documentation| module)?\s*$/gm)].map((m) => ({
    file: `packages/${pkg}/${m[2]}`,
    what: m[3] !== undefined ? `${m[3]} (${m[1]})` : m[1]!
  }))

/**
 * Exported declarations in `file` with no doc comment right above them, by a line scan. docgen
 * reports its gaps in stages (interfaces first, then functions, ...), so this gives a module's whole
 * list in one run.
 */
const undocumented = (file: string): Array<{ file: string; what: string }> => {
  const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n")
  return lines.flatMap((line, i) => {
    const m = /^export (?:declare |abstract )*(?:interface|type|const|class|function|let|enum) (\w+)/.exec(line)
    return m !== null && !(lines[i - 1] ?? "").trimEnd().endsWith("*/") ? [{ file, what: `${m[1]}` }] : []
  })
}

const main = async () => {
  let failed = false
  const gaps: Array<{ file: string; what: string }> = []
  const results = await Promise.all(
    packages.map(async (pkg) => {
      const dir = path.join(root, "packages", pkg)
      const published = publicModules(dir)
      const notPublic = sourceFiles(dir).filter((f) => !published.has(f))
      const outDir = check ? path.join(".docs-check") : "docs"
      const run = await docgen(dir, notPublic, outDir)
      const found = missing(pkg, run.output)
      gaps.push(...found)
      if (check) fs.rmSync(path.join(dir, outDir), { recursive: true, force: true })
      return { pkg, run, found, published }
    })
  )
  for (const { pkg, run, found } of results) {
    if (run.code !== 0 || found.length > 0) {
      failed = true
      if (found.length === 0) process.stderr.write(`docs: @pkg/${pkg}: docgen failed\n${run.output}\n`)
    }
  }
  // The line scan also catches what docgen misses: it takes the module's header comment for the doc
  // of the file's first declaration.
  for (const { pkg, published } of results) {
    for (const module of published) {
      const file = `packages/${pkg}/${module}`
      const known = new Set(gaps.filter((g) => g.file === file).map((g) => g.what.split(" ")[0]))
      const extra = undocumented(file).filter((g) => !known.has(g.what))
      gaps.push(...extra)
      if (extra.length > 0) failed = true
    }
  }
  const byFile = Map.groupBy(gaps, (g) => g.file)
  for (const [file, list] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    process.stderr.write(`${file}\n${list.map((g) => `  ${g.what}\n`).join("")}`)
  }
  console.log(
    `docs: ${gaps.length} public export(s) without a doc comment; ` +
      (failed ? "failed" : check ? "examples type-check and run" : "reference in packages/*/docs/modules")
  )
  process.exitCode = failed ? 1 : 0
}

await main()
