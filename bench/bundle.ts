/**
 * `node bench/bundle.ts`: what a bundler keeps of the packages for a given import, minified with
 * rolldown. `sideEffects: false` is what lets it drop the modules an application does not use: an
 * import of `SequenceSet` alone took all 20 protocol modules (95,980 bytes with effect) before the
 * packages declared it. Runs on the compiled packages (`pnpm build` first), as users get them.
 *
 * Columns: bytes and modules with effect bundled too (what an application ships), and the
 * packages' own bytes with effect left external.
 */
import * as path from "node:path"
import { rolldown } from "rolldown"
import { table, thousands } from "./support.ts"

const root = path.join(import.meta.dirname, "..")

const entries: ReadonlyArray<readonly [string, string]> = [
  ["SequenceSet", `import { SequenceSet } from "@pkg/protocol"; console.log(SequenceSet.parse("1:3", "uid"))`],
  [
    "CommandEncoder + Command",
    `import { Command, CommandEncoder } from "@pkg/protocol"; console.log(CommandEncoder.encode("a", Command.noop))`
  ],
  ["ResponseDecoder", `import { ResponseDecoder } from "@pkg/protocol"; console.log(ResponseDecoder.make())`],
  ["EncodedWord (with libmime)", `import { EncodedWord } from "@pkg/protocol"; console.log(EncodedWord.decode("x"))`],
  ["all of @pkg/protocol", `import * as P from "@pkg/protocol"; console.log(P)`],
  ["ImapClient.layer", `import { ImapClient } from "@pkg/client"; console.log(ImapClient.layer({ host: "h" }))`]
]

const ENTRY = "\0bench-entry"

const bundle = async (code: string, external: ReadonlyArray<RegExp>) => {
  const build = await rolldown({
    input: ENTRY,
    cwd: root,
    platform: "node",
    external: [...external],
    logLevel: "silent",
    plugins: [
      {
        name: "bench-entry",
        resolveId: (id) => (id === ENTRY ? id : null),
        load: (id) => (id === ENTRY ? code : null)
      }
    ]
  })
  const { output } = await build.generate({ minify: true, format: "esm" })
  await build.close()
  const chunks = output.flatMap((o) => (o.type === "chunk" ? [o] : []))
  return {
    bytes: chunks.reduce((n, c) => n + Buffer.byteLength(c.code), 0),
    modules: chunks.reduce((n, c) => n + Object.keys(c.modules).filter((m) => m !== ENTRY).length, 0)
  }
}

const rows: Array<Array<string>> = []
for (const [name, code] of entries) {
  const whole = await bundle(code, [/^node:/])
  const own = await bundle(code, [/^node:/, /^effect/, /^@effect\//])
  rows.push([name, thousands(whole.bytes), String(whole.modules), thousands(own.bytes), String(own.modules)])
}
console.log(table(["import", "bytes (effect bundled)", "modules", "bytes (effect external)", "modules"], "lrrrr", rows))
console.log("")
console.log("rolldown, platform node, minified ESM; libmime is followed through the `module` condition of #libmime.")
