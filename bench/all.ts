/**
 * `pnpm bench`: the parser, import, CLI, client, IDLE and flood benches in turn, each in its own process (so one's heap
 * and open sockets cannot affect the next), output passed through. Exits non-zero if any failed.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"

const benches = ["parser.ts", "imports.ts", "cli.ts", "client.ts", "idle.ts", "flood.ts"]
let failed = 0
for (const bench of benches) {
  console.log(`\n## bench/${bench}\n`)
  const result = spawnSync(process.execPath, [path.join(import.meta.dirname, bench)], { stdio: "inherit" })
  if (result.status !== 0) {
    failed++
    console.error(`bench/${bench} exited with ${result.status ?? result.signal}`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
