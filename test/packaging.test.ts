/**
 * The packages as a user gets them: `pnpm pack` of each package, the three tarballs installed into
 * a scratch project beside `effect` and `@effect/platform-node` (offline, from the pnpm store the
 * workspace install filled), then a small consumer type-checked (strict, NodeNext, the way an
 * Effect app compiles) and run, and the installed `imap` binary run. It proves that the published types come from `dist` (no TS5097 for
 * `.ts` sources), that `effect` is a peer (one copy in the consumer, shared by the three packages),
 * that `internal/*` and the raw connection cannot be imported, and that `@pkg/protocol/testing`
 * holds the server side of the codec and loads where fast-check is not installed. A second scratch
 * project with fast-check (an optional peer of `@pkg/protocol`) runs a property test over
 * `@pkg/protocol/testing/arbitraries`. Without packing: each package's subpaths are exactly its
 * entry points and the namespaces its index exports, so a module reaches users only through the
 * index.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = path.join(import.meta.dirname, "..")
const packages = ["protocol", "client", "testing", "fleet", "cli"] as const
const tsc = path.join(root, "node_modules", ".bin", "tsc")

const run = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

/** Runs and returns the output even when the command fails, so a failure shows what it printed. */
const attempt = (command: string, args: ReadonlyArray<string>, cwd: string) => {
  try {
    return { ok: true, output: run(command, args, cwd) }
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string }
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` }
  }
}

// The consumer: what a user's first program does with each package, without a server.
const consumer = `
import { CommandEncoder, ResponseParser, SequenceSet } from "@pkg/protocol"
import { CommandParser } from "@pkg/protocol/testing"
import { ImapClient, ImapConfig } from "@pkg/client"
import { ExitCode } from "@pkg/cli"
import { Layer, Redacted, Result } from "effect"

const uids = SequenceSet.parse("1:3,7", "uid")
const encoded = CommandEncoder.encode("A1", { _tag: "Select", mailbox: "INBOX" })
if (Result.isFailure(encoded)) throw new Error("SELECT did not encode")
const bytes = CommandEncoder.concat(encoded.success.segments)
const parsed = CommandParser.parse(bytes)
const response = ResponseParser.parse(new TextEncoder().encode("* 3 EXISTS\\r\\n"))
const layer = ImapClient.layer({
  host: "127.0.0.1",
  port: 1,
  tls: "none",
  auth: ImapConfig.password("user", Redacted.make("secret"))
})
const blocked = async (specifier: string): Promise<string> => {
  try {
    await import(specifier)
    return "imported"
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

console.log(JSON.stringify({
  uids: SequenceSet.encode(uids),
  command: new TextDecoder().decode(bytes),
  parsedTag: parsed.tag,
  response,
  isLayer: Layer.isLayer(layer),
  usage: ExitCode.Usage,
  internal: await blocked("@pkg/client/internal/Handoff"),
  connection: await blocked("@pkg/client/ImapConnection"),
  fastCheck: await blocked("fast-check"),
  arbitraries: await blocked("@pkg/protocol/testing/arbitraries")
}))
`

// The property-test consumer: the generators, run by the consumer's own fast-check.
const propertyTest = `
import { Command, CommandEncoder, ResponseParser } from "@pkg/protocol"
import { CommandParser, ResponseEncoder } from "@pkg/protocol/testing"
import { CommandArbitraries, ResponseArbitraries } from "@pkg/protocol/testing/arbitraries"
import * as fc from "fast-check"
import * as assert from "node:assert"
import { Result } from "effect"

let responses = 0
fc.assert(
  fc.property(ResponseArbitraries.response, (response) => {
    responses++
    assert.deepStrictEqual(ResponseParser.parse(ResponseEncoder.encode(response)), response)
  }),
  { numRuns: 50 }
)
const select = fc.sample(CommandArbitraries.commands(CommandArbitraries.validStrings).Select, { numRuns: 20, seed: 1 })
const tags = select.map((command: Command.Command) => {
  const encoded = CommandEncoder.encode("A1", command)
  return Result.isSuccess(encoded) ? CommandParser.parse(CommandEncoder.concat(encoded.success.segments)).command._tag : "refused"
})
console.log(JSON.stringify({ responses, commands: [...new Set(tags)] }))
`

// An app's test on @pkg/testing, as a user writes it: the app's service over ImapClient, the
// in-process server as a layer under it, mail delivered while the app runs. No Dovecot involved.
const appTest = `
import { assert, describe, it } from "@effect/vitest"
import { ImapClient } from "@pkg/client"
import { TestServer } from "@pkg/testing"
import { Context, Effect, Layer } from "effect"

class Unread extends Context.Service<Unread, { readonly count: Effect.Effect<number, unknown> }>()("app/Unread") {
  static readonly layer = Layer.effect(
    Unread,
    Effect.gen(function* () {
      const client = yield* ImapClient.ImapClient
      return Unread.of({
        count: client.status("INBOX", ["UNSEEN"]).pipe(Effect.map((s) => s.unseen ?? 0))
      })
    })
  )
}

const server = TestServer.layer({
  accounts: [{ user: "ann", password: "pw", mailboxes: { INBOX: { messages: ["Subject: one\\r\\n\\r\\nhi\\r\\n"] } } }]
})
const client = Layer.unwrap(Effect.map(TestServer.config("ann"), (options) => ImapClient.layer(options)))
const app = Unread.layer.pipe(Layer.provideMerge(client), Layer.provideMerge(server))

describe("the app against @pkg/testing", () => {
  it.layer(app)((it) => {
    it.effect("counts unread mail, and mail delivered while it runs", () =>
      Effect.gen(function* () {
        const unread = yield* Unread
        assert.strictEqual(yield* unread.count, 1)
        const handle = yield* TestServer.TestServer
        yield* handle.deliver("ann", "INBOX", "Subject: two\\r\\n\\r\\nhi\\r\\n")
        assert.strictEqual(yield* unread.count, 2)
      })
    )
  })
})
`

// A type-level check of the same: each import below must fail to resolve (TS2307), or the unused
// \`@ts-expect-error\` fails the type-check.
const blockedImports = `
// @ts-expect-error internal modules are not exported
export type Handoff = typeof import("@pkg/client/internal/Handoff")
// @ts-expect-error the raw connection is not public
export type Connection = typeof import("@pkg/client/ImapConnection")
// @ts-expect-error internal modules are not exported
export type Reader = typeof import("@pkg/protocol/internal/Reader")
`

const tsconfig = {
  compilerOptions: {
    target: "ES2024",
    lib: ["ES2024", "DOM"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true
  },
  include: ["*.ts"]
}

/** A package's `exports` keys, and the modules its index re-exports as namespaces. */
const surface = (name: string) => {
  const dir = path.join(root, "packages", name)
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
  const index = fs.readFileSync(path.join(dir, "src", "index.ts"), "utf8")
  const namespaces = [...index.matchAll(/^export \* as \w+ from "\.\/(\w+)\.ts"/gm)].map((m) => `./${m[1]}`)
  return {
    workspace: Object.keys(manifest.exports),
    published: Object.keys(manifest.publishConfig.exports),
    namespaces
  }
}

describe("package exports", () => {
  it.each([
    ["protocol", [".", "./testing", "./testing/arbitraries"]],
    ["client", ["."]],
    ["testing", ["."]],
    ["fleet", ["."]],
    ["cli", ["."]]
  ])("@pkg/%s: subpaths are its entry points and its index's namespaces; internal/* is closed", (name, entries) => {
    const { workspace, published, namespaces } = surface(name)
    const expected = [...entries, ...(name === "cli" ? [] : namespaces), "./internal/*", "./package.json"]
    expect(workspace.toSorted()).toEqual(expected.toSorted())
    expect(published).toEqual(workspace)
  })
})

describe("the packed packages in a scratch project", { timeout: 120_000 }, () => {
  let dir = ""
  const app = () => path.join(dir, "app")
  const withFastCheck = () => path.join(dir, "app-fast-check")
  const withTesting = () => path.join(dir, "app-testing")
  const manifests = new Map<
    string,
    {
      dependencies?: Record<string, string>
      peerDependencies?: Record<string, string>
      peerDependenciesMeta?: Record<string, { optional?: boolean }>
    }
  >()

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-imap-pack-"))
    const tarball: Record<string, string> = {}
    for (const name of packages) {
      run("pnpm", ["pack", "--pack-destination", dir], path.join(root, "packages", name))
      tarball[name] = `file:../pkg-${name}-0.1.0.tgz`
      run("tar", ["xzf", `pkg-${name}-0.1.0.tgz`, "-C", dir, "--transform", `s|^package|${name}|`], dir)
      manifests.set(name, JSON.parse(fs.readFileSync(path.join(dir, name, "package.json"), "utf8")))
    }
    const versions = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
    const dev = versions.dependencies as Record<string, string>
    const devDev = versions.devDependencies as Record<string, string>
    const store = run("pnpm", ["store", "path"], root).trim()
    const scratch = (at: string, dependencies: Record<string, string>, files: Record<string, string>) => {
      fs.mkdirSync(at)
      fs.writeFileSync(
        path.join(at, "package.json"),
        JSON.stringify({ name: "consumer", private: true, type: "module", dependencies })
      )
      // The packed client and CLI depend on `@pkg/protocol@0.1.0` (and the CLI on the client), which
      // no registry has: point those at the tarballs too.
      fs.writeFileSync(
        path.join(at, "pnpm-workspace.yaml"),
        `overrides:\n  "@pkg/protocol": "${tarball.protocol}"\n  "@pkg/client": "${tarball.client}"\n  "@pkg/fleet": "${tarball.fleet}"\n  "@pkg/testing": "${tarball.testing}"\n`
      )
      fs.writeFileSync(path.join(at, "tsconfig.json"), JSON.stringify(tsconfig))
      for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(at, file), text)
      run("pnpm", ["install", "--offline", "--store-dir", store, "--reporter=silent"], at)
    }
    scratch(
      app(),
      {
        "@pkg/protocol": tarball.protocol!,
        "@pkg/client": tarball.client!,
        "@pkg/fleet": tarball.fleet!,
        "@pkg/cli": tarball.cli!,
        effect: dev.effect!,
        "@effect/platform-node": dev["@effect/platform-node"]!,
        "@types/node": devDev["@types/node"]!
      },
      { "consumer.ts": consumer, "blocked.ts": blockedImports }
    )
    scratch(
      withFastCheck(),
      {
        "@pkg/protocol": tarball.protocol!,
        effect: dev.effect!,
        "fast-check": devDev["fast-check"]!,
        "@types/node": devDev["@types/node"]!
      },
      { "property.ts": propertyTest }
    )
    scratch(
      withTesting(),
      {
        "@pkg/protocol": tarball.protocol!,
        "@pkg/client": tarball.client!,
        "@pkg/testing": tarball.testing!,
        effect: dev.effect!,
        "@effect/platform-node": dev["@effect/platform-node"]!,
        vitest: devDev.vitest!,
        "@effect/vitest": devDev["@effect/vitest"]!,
        "@types/node": devDev["@types/node"]!
      },
      { "app.test.ts": appTest }
    )
  })

  afterAll(() => {
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
  })

  it("the tarballs hold compiled JavaScript, declarations, README and LICENSE, and no TypeScript sources", () => {
    for (const name of packages) {
      const files = fs.readdirSync(path.join(dir, name), { recursive: true, encoding: "utf8" })
      expect(files, name).toContain("README.md")
      expect(files, name).toContain("LICENSE")
      expect(files, name).toContain(path.join("dist", "index.js"))
      expect(files, name).toContain(path.join("dist", "index.d.ts"))
      expect(
        files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
        name
      ).toEqual([])
    }
  })

  it("effect and @effect/platform-node are peers, never bundled dependencies", () => {
    for (const name of packages) {
      const manifest = manifests.get(name)!
      expect(Object.keys(manifest.dependencies ?? {}), name).not.toContain("effect")
      expect(Object.keys(manifest.dependencies ?? {}), name).not.toContain("@effect/platform-node")
      expect(manifest.peerDependencies?.effect, name).toBe("^4.1")
    }
    // One effect in the consumer: the packages resolve the consumer's copy.
    const store = fs.readdirSync(path.join(app(), "node_modules", ".pnpm"))
    expect(store.filter((d) => d.startsWith("effect@"))).toHaveLength(1)
  })

  it("fast-check is an optional peer of @pkg/protocol, at the workspace's version, not installed unasked", () => {
    const workspace = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
    const protocol = manifests.get("protocol")!
    expect(protocol.peerDependencies?.["fast-check"]).toBe(`^${workspace.devDependencies["fast-check"]}`)
    expect(protocol.peerDependenciesMeta?.["fast-check"]).toEqual({ optional: true })
    expect(Object.keys(protocol.dependencies ?? {})).not.toContain("fast-check")
    const store = fs.readdirSync(path.join(app(), "node_modules", ".pnpm"))
    expect(store.filter((d) => d.startsWith("fast-check@"))).toEqual([])
  })

  it("a strict NodeNext consumer type-checks against the published declarations", () => {
    const result = attempt(tsc, ["-p", "tsconfig.json"], app())
    expect(result.output).toBe("")
    expect(result.ok).toBe(true)
  })

  it("the installed imap binary runs from the tarball", () => {
    const out = run(path.join(app(), "node_modules", ".bin", "imap"), ["--version"], app())
    expect(out.trim()).toBe("imap v0.1.0")
  })

  it("the consumer runs: encodes a command, parses a response, builds a client layer; internals stay closed; @pkg/protocol/testing loads without fast-check", () => {
    run(tsc, ["-p", "tsconfig.json", "--noEmit", "false", "--outDir", "out"], app())
    const out = JSON.parse(run(process.execPath, [path.join("out", "consumer.js")], app()))
    expect(out).toEqual({
      uids: "1:3,7",
      command: "A1 SELECT INBOX\r\n",
      parsedTag: "A1",
      response: { _tag: "Exists", count: 3 },
      isLayer: true,
      usage: 2,
      internal: "ERR_PACKAGE_PATH_NOT_EXPORTED",
      connection: "ERR_PACKAGE_PATH_NOT_EXPORTED",
      fastCheck: "ERR_MODULE_NOT_FOUND",
      arbitraries: "ERR_MODULE_NOT_FOUND"
    })
  })

  it("an app's test on the packed @pkg/testing runs against the in-process server (vitest, no mail server installed)", () => {
    const checked = attempt(tsc, ["-p", "tsconfig.json"], withTesting())
    expect(checked.output).toBe("")
    expect(checked.ok).toBe(true)
    const out = run(
      path.join(withTesting(), "node_modules", ".bin", "vitest"),
      ["run", "--reporter=dot"],
      withTesting()
    )
    // vitest colours its summary even into a pipe: compare the text without its escape sequences.
    expect(out.replace(/\u001b\[[0-9;]*m/g, "")).toMatch(/Tests +1 passed \(1\)/)
  })

  it("with fast-check installed, a property test over @pkg/protocol/testing/arbitraries type-checks and runs", () => {
    const checked = attempt(tsc, ["-p", "tsconfig.json"], withFastCheck())
    expect(checked.output).toBe("")
    expect(checked.ok).toBe(true)
    run(tsc, ["-p", "tsconfig.json", "--noEmit", "false", "--outDir", "out"], withFastCheck())
    const out = JSON.parse(run(process.execPath, [path.join("out", "property.js")], withFastCheck()))
    expect(out).toEqual({ responses: 50, commands: ["Select"] })
  })
})
