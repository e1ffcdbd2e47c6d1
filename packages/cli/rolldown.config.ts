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
import { defineConfig } from "rolldown"

const dist = path.join(import.meta.dirname, "dist")

export default defineConfig({
  input: { bin: path.join(dist, "bin.js") },
  platform: "node",
  logLevel: "warn",
  output: {
    dir: dist,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "bin-[name].js",
    minify: true
  }
})
