/**
 * Bundles the `imap` binary after `tsc` has compiled the packages (`pnpm build`). Unbundled, `imap
 * --help` made Node's loader resolve, read and compile 357 modules (254 of them from effect) and took
 * 0.25-0.40 s; one file is read and compiled once, then served from the compile cache.
 *
 * Input is tsc's output, so the bundle runs the same JavaScript the package's modules are built to.
 * Output: `dist/bin.js` (replacing tsc's, which only turns the compile cache on) and
 * `dist/bin-Main.js`, the program with effect, @effect/platform-node, the client and the protocol
 * inside. libmime comes in through `#libmime`'s `module` condition as a lazy `require`: its charset
 * tables load only when a subject needs a charset TextDecoder does not cover.
 */
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

export default defineConfig({
  input: { bin: path.join(dist, "bin.js") },
  platform: "node",
  logLevel: "warn",
  plugins: [lazySegmenter],
  output: {
    dir: dist,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "bin-[name].js",
    minify: true
  }
})
