/**
 * Bundles the `imap` binary after `tsc` has compiled the packages (`pnpm build`). Unbundled, `imap
 * --help` made Node's loader resolve, read and compile 357 modules (254 of them from effect) and took
 * 0.25-0.40 s; one file is read and compiled once, then served from the compile cache.
 *
 * Input is tsc's output, so the bundle runs the same JavaScript the package's modules are built to.
 * Output: `dist/bin.js` (replacing tsc's, which only turns the compile cache on), `dist/bin-Main.js`,
 * the program with effect, @effect/platform-node, the client and the protocol inside, and
 * `dist/bin-libmime.cjs`, libmime and its charset tables, loaded on the first subject in a charset
 * TextDecoder does not cover (see `libmimeApart`). What the plugins below change is measured in
 * their comments.
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import { defineConfig, type Plugin } from "rolldown"

const dist = path.join(import.meta.dirname, "dist")

/**
 * effect/cli's CliOutput builds an `Intl.Segmenter` when the module is evaluated, for measuring
 * help text: ICU loads its grapheme break data, 7 ms of CPU and 3.8 MB of RSS in every run of
 * `imap`, help or not. Here it is built on the first `segment` call, which only formatting does.
 * The build fails if effect's text changes, so an upgrade cannot drop the rewrite silently.
 */
const SEGMENTER =
  /const graphemeSegmenter = (\/\*#__PURE__\*\/\s*)?new Intl\.Segmenter\(undefined, \{\s*granularity: "grapheme"\s*\}\);/
const lazySegmenter: Plugin = {
  name: "lazy-grapheme-segmenter",
  transform: {
    filter: { id: /[\\/]effect[\\/]dist[\\/]cli[\\/]CliOutput\.js$/ },
    handler(code) {
      if (!SEGMENTER.test(code))
        throw new Error("effect/cli CliOutput.js: graphemeSegmenter not found, update the rewrite")
      return code.replace(
        SEGMENTER,
        "let graphemeSegmenterInstance;\n" +
          "const graphemeSegmenter = { segment: (text) => (graphemeSegmenterInstance ??= " +
          'new Intl.Segmenter(undefined, { granularity: "grapheme" })).segment(text) };'
      )
    }
  }
}

/**
 * Node built-ins the bundle names but a run of `imap` may never call, loaded on the first call
 * instead of at start-up (a static `import` of a built-in makes Node build its ESM facade,
 * evaluating every export's getter): `node:tls` (effect's socket; it brings the crypto internals)
 * for plaintext connections and for help and usage; `node:crypto` (only effect's FileSystem naming
 * temporary files: WebCrypto, keys and argon2 at load); `node:child_process` (the CLI's
 * `--access-token-command`, effect's ChildProcessSpawner); `node:readline` (effect's Terminal,
 * whose prompts `imap` does not use). Each entry lists every export the bundle uses (called or
 * constructed with `new`): one more makes the build fail on a missing export.
 */
const LAZY_BUILTINS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "node:crypto": ["randomBytes"],
  "node:child_process": ["spawn", "execFile"],
  "node:tls": ["connect", "createSecureContext", "TLSSocket"],
  "node:readline": ["createInterface", "emitKeypressEvents"]
}
const LAZY_PREFIX = "\0lazy-builtin:"

/**
 * The names a module takes from `builtin`, as it imports them (`import * as X` then `X.name`, or
 * `import { name }`): what the lazy module must export. Without this check a name missing from
 * `LAZY_BUILTINS` would be bundled as `undefined` without a word from rolldown.
 */
export const importedNames = (code: string, builtin: string): ReadonlyArray<string> => {
  const from = `from\\s*["']${builtin.replace("/", "\\/")}["']`
  const names: Array<string> = []
  for (const [, ns] of code.matchAll(new RegExp(`import\\s*\\*\\s*as\\s+([\\w$]+)\\s*${from}`, "g"))) {
    for (const [, name] of code.matchAll(new RegExp(`(?<![\\w$.])${ns!.replace("$", "\\$")}\\.([\\w$]+)`, "g")))
      names.push(name!)
  }
  for (const [, list] of code.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*${from}`, "g"))) {
    for (const item of list!.split(",")) {
      const name = item.trim().split(/\s+as\s+/)[0]
      if (name) names.push(name)
    }
  }
  return names
}

const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  resolveId: (id) => (Object.hasOwn(LAZY_BUILTINS, id) ? `${LAZY_PREFIX}${id}` : null),
  load: (id) => {
    if (!id.startsWith(LAZY_PREFIX)) return null
    const builtin = id.slice(LAZY_PREFIX.length)
    return (LAZY_BUILTINS[builtin] ?? [])
      .map(
        (name) =>
          `export function ${name}(...args) { const f = process.getBuiltinModule(${JSON.stringify(builtin)}).${name}; ` +
          "return new.target === undefined ? f(...args) : new f(...args) }"
      )
      .join("\n")
  },
  transform(code, id) {
    for (const [builtin, exported] of Object.entries(LAZY_BUILTINS)) {
      if (!code.includes(builtin)) continue
      const missing = importedNames(code, builtin).filter((name) => !exported.includes(name))
      if (missing.length > 0) throw new Error(`${id} uses ${builtin}'s ${missing.join(", ")}: add to LAZY_BUILTINS`)
    }
    return null
  }
}

/**
 * libmime with iconv-lite's and encoding-japanese's charset tables is half of the program's source
 * (460 of 880 KB), and `imap` needs it only for a subject in a charset TextDecoder does not cover.
 * It is built into a file of its own, `dist/bin-libmime.cjs`, which the program `require`s on that
 * first subject (LibmimeBundled.ts): the rest of the time Node neither reads nor compiles it.
 */
const LIBMIME_FILE = "./bin-libmime.cjs"
const libmimeApart: Plugin = {
  name: "libmime-apart",
  resolveId: (id, importer) =>
    id === "libmime" && importer !== undefined && /LibmimeBundled\.js$/.test(importer)
      ? { id: LIBMIME_FILE, external: true }
      : null
}

export default defineConfig([
  {
    input: { bin: path.join(dist, "bin.js") },
    platform: "node",
    logLevel: "warn",
    plugins: [lazySegmenter, lazyBuiltins, libmimeApart],
    output: {
      dir: dist,
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "bin-[name].js",
      minify: true
    }
  },
  {
    // Resolved from the protocol package, whose dependency libmime is.
    input: {
      "bin-libmime": createRequire(path.join(import.meta.dirname, "..", "protocol", "package.json")).resolve("libmime")
    },
    platform: "node",
    logLevel: "warn",
    output: { dir: dist, format: "cjs", entryFileNames: "[name].cjs", minify: true }
  }
])
