// Compiles the packages before any test runs: the CLI and the examples run as subprocesses on the
// built JavaScript (what users run), so a stale build would test yesterday's code.
import { execFileSync } from "node:child_process"
import * as path from "node:path"

export default function setup(): void {
  const root = path.join(import.meta.dirname, "..", "..")
  execFileSync("pnpm", ["--silent", "build"], { cwd: root, stdio: "inherit" })
}
