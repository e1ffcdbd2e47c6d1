#!/usr/bin/env node
/**
 * Entry point of the `imap` command (`pnpm imap ...`). The build bundles it (rolldown.config.ts) into
 * `dist/bin.js`, this file alone, and `dist/bin-Main.js`, everything `Main.ts` needs.
 */
import * as module from "node:module"

// Reuse V8's compiled code across runs (Node's on-disk cache): a command-line tool is started often
// and its startup is mostly compiling Effect. Must run before the program below is loaded, hence a
// dynamic import and a bundle in two files: the cache applies only to modules compiled after it.
module.enableCompileCache?.()

await import("./Main.ts")
