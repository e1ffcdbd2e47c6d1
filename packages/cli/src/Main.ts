/**
 * Runs `imap` on the process's arguments. Loaded by `bin.ts` once Node's compile cache is on; in the
 * build it is bundled, with everything it imports, into `dist/bin-Main.js` (see rolldown.config.ts).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { main } from "./Cli.ts"
import * as ExitCode from "./ExitCode.ts"

// `imap subjects | head -1`: a closed pipe is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(ExitCode.Success)
  throw error
})

NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: ExitCode.teardown })
