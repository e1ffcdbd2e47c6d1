/**
 * libmime for bundlers (the `module` condition of `#libmime` in package.json `imports`). Node takes
 * `Libmime.ts`, which defers the load to the first word that needs it; bundlers do not follow
 * `createRequire`, but they do follow a plain `require`, and keep the CommonJS module behind it
 * unevaluated until the call (rolldown's and esbuild's `__commonJS` wrapper). A static import would
 * run libmime and its charset tables when the bundle starts: +30 ms and 12 MB on `imap --help`.
 */
import type { Libmime } from "./Libmime.ts"

let loaded: Libmime | undefined

/** libmime, loaded on first use. */
export const libmime = (): Libmime => {
  if (loaded === undefined) {
    const mod: Libmime | { readonly default: Libmime } = require("libmime")
    loaded = "default" in mod ? mod.default : mod
  }
  return loaded
}
