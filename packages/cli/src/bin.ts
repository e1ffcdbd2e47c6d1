#!/usr/bin/env node
/** Entry point of the `imap` command (`pnpm imap ...`; built to `packages/cli/dist/bin.js`). */
import * as module from "node:module"

// Reuse V8's compiled code across runs (Node's on-disk cache): a command-line tool is started often
// and its startup is mostly compiling Effect. Must run before the imports below are loaded.
module.enableCompileCache?.()

const ExitCode = await import("./ExitCode.ts")
const NodeRuntime = await import("@effect/platform-node/NodeRuntime")
const { main } = await import("./Cli.ts")

// `imap subjects | head -1`: a closed pipe is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(ExitCode.Success)
  throw error
})

NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: ExitCode.teardown })
