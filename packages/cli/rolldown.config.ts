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
 * Node built-ins the bundle names but a run of `imap` may never call, loaded on first use instead
 * of at start-up (a static `import` of a built-in makes Node build its ESM facade, evaluating every
 * export's getter): `node:tls` (effect's socket; it brings the crypto internals) for plaintext
 * connections and for help and usage; `node:crypto` (effect's FileSystem naming temporary files,
 * effect's crypto layers and Postgres authentication for `imap fleet`: WebCrypto, keys and argon2
 * at load); `node:child_process` (the CLI's `--access-token-command`, effect's
 * ChildProcessSpawner); `node:readline` (effect's Terminal, whose prompts `imap` does not use).
 *
 * `import * as X from "node:tls"` becomes a Proxy that reads `X.name` from the built-in when it is
 * read, so `typeof X.argon2` (a feature test) answers as Node does. `import { name }` becomes a
 * function that calls (or constructs) the built-in's `name`; the build fails for a name that is not
 * a function of the built-in, rather than bundle something else.
 */
const LAZY_BUILTINS: ReadonlyArray<string> = ["node:tls", "node:crypto", "node:child_process", "node:readline"]
const LAZY_PREFIX = "\0lazy-builtin:"

const fromBuiltin = (builtin: string) => `from\\s*["']${builtin.replace("/", "\\/")}["'];?`

/** The names a module imports from `builtin` with `import { a, b as c }` (`a`, `b`). */
export const namedImports = (code: string, builtin: string): ReadonlyArray<string> => {
  const names: Array<string> = []
  for (const [, list] of code.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*${fromBuiltin(builtin)}`, "g"))) {
    for (const item of list!.split(",")) {
      const name = item.trim().split(/\s+as\s+/)[0]
      if (name) names.push(name)
    }
  }
  return names
}

/** `code` with each `import * as X from builtin` replaced by a Proxy reading the built-in on use. */
export const lazyNamespaces = (code: string, builtin: string): string =>
  code.replace(
    new RegExp(`import\\s*\\*\\s*as\\s+([\\w$]+)\\s*${fromBuiltin(builtin)}`, "g"),
    (_, ns: string) =>
      `const ${ns} = /*#__PURE__*/ new Proxy({}, { get: (_, k) => process.getBuiltinModule(${JSON.stringify(builtin)})[k], ` +
      `has: (_, k) => k in process.getBuiltinModule(${JSON.stringify(builtin)}) });`
  )

const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  resolveId: (id) => (LAZY_BUILTINS.includes(id) ? `${LAZY_PREFIX}${id}` : null),
  load: (id) => {
    if (!id.startsWith(LAZY_PREFIX)) return null
    const builtin = id.slice(LAZY_PREFIX.length)
    const exports = process.getBuiltinModule(builtin) as Record<string, unknown>
    return Object.keys(exports)
      .filter((name) => typeof exports[name] === "function" && /^[A-Za-z_$][\w$]*$/.test(name))
      .map(
        (name) =>
          `export function ${name}(...args) { const f = process.getBuiltinModule(${JSON.stringify(builtin)}).${name}; ` +
          "return new.target === undefined ? f(...args) : new f(...args) }"
      )
      .join("\n")
  },
  transform(code, id) {
    let out = code
    for (const builtin of LAZY_BUILTINS) {
      if (!out.includes(builtin)) continue
      const exports = process.getBuiltinModule(builtin) as Record<string, unknown>
      const notFunctions = namedImports(out, builtin).filter((name) => typeof exports[name] !== "function")
      if (notFunctions.length > 0) {
        throw new Error(`${id} imports ${notFunctions.join(", ")} from ${builtin}, not functions: import the namespace`)
      }
      out = lazyNamespaces(out, builtin)
    }
    return out === code ? null : out
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
