/**
 * libmime for Node: loaded on the first encoded word, not with the protocol. libmime and its
 * charset tables (iconv-lite, encoding-japanese) add ~2 MB of live heap at load, which was enough
 * to make V8 double the young generation in every process importing the protocol (+16 MB peak RSS
 * in a FETCH benchmark), while most processes, a FETCH or IDLE loop among them, never decode a word.
 *
 * Bundlers do not follow `createRequire`: they resolve `#libmime` with the `module` condition to
 * `LibmimeBundled.ts`, a static import (package.json `imports`).
 */
import { createRequire } from "node:module"
import type * as Lib from "libmime"

/** What `EncodedWord` uses of libmime. */
export type Libmime = Pick<typeof Lib.default, "decodeWords" | "createDecodeStream">

let loaded: Libmime | undefined

/** libmime, loaded on first use. */
export const libmime = (): Libmime => {
  if (loaded === undefined) {
    // The CommonJS build exports the instance; loaded as ES module (require(esm), as under
    // Vitest's conditions) it is the default export.
    const mod: Libmime | { readonly default: Libmime } = createRequire(import.meta.url)("libmime")
    loaded = "default" in mod ? mod.default : mod
  }
  return loaded
}
