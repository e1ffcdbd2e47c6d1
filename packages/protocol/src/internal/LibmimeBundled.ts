/**
 * libmime for bundlers (the `module` condition of `#libmime` in package.json `imports`): a static
 * import they can follow. Node takes `Libmime.ts`, which defers the load to the first encoded word.
 */
import lib from "libmime"
import type { Libmime } from "./Libmime.ts"

/** libmime, imported with the module. */
export const libmime = (): Libmime => lib
