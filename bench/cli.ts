/**
 * `pnpm bench:cli`: what a user of the `imap` command waits for, beside imapflow and Node's floor, in
 * one run. Each contestant is a fresh process under `/usr/bin/time` (wall time from spawn to exit,
 * user + system CPU, peak RSS from the kernel's `wait4`), its stdout read through a pipe by this
 * process, as a shell pipeline would.
 *
 * Start-up (`--startup-runs`, 15): `node -e 0`; `node -e "require('imapflow')"`; `imap --help` as
 * built (the bundle, compile cache warm: a first untimed run fills it, as any earlier use of the
 * command would); the same with `NODE_DISABLE_COMPILE_CACHE=1`; and the program unbundled
 * (`node packages/cli/dist/Main.js --help`, tsc's output, what `imap` was before the bundle).
 *
 * `subjects --json` over 10,000 messages (`--runs`, 5) of a private Dovecot, generated mail (seeded,
 * 2-4 KB, about 1 in 8 subjects and 1 in 8 names RFC 2047-encoded): `imap subjects --json` (bundled,
 * and unbundled), an imapflow script printing the same JSON lines (connect, open INBOX read-only,
 * `fetch("1:*", { uid, flags, envelope, size, internalDate })`, one `process.stdout.write` per
 * message, what a short script would do), and a floor: `node:net`, LOGIN, EXAMINE and the same FETCH,
 * its bytes counted and nothing printed. Every contestant's lines are checked against `imap`'s.
 *
 * The rounds alternate the contestants (order rotated per round) so load from others on a shared
 * machine falls on all of them; the table shows medians and the machine's load at the start and end.
 *
 * `--baseline DIR`: another build of the CLI's `dist` (e.g. a copy of `packages/cli/dist` made before
 * a change; it needs a `package.json` with `"type": "module"` beside it) runs in the same rounds as
 * `imap --help` and `imap subjects --json` rows of its own, so before and after share the machine's
 * load; its lines must be imap's too.
 */
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { loadavg, tmpdir } from "node:os"
import * as path from "node:path"
import { describeMachine, fixed, machine, median, numberOption, populate, startDovecot, table } from "./support.ts"

const root = path.join(import.meta.dirname, "..")
const bin = path.join(root, "packages", "cli", "dist", "bin.js")
const unbundled = path.join(root, "packages", "cli", "dist", "Main.js")
const args = process.argv.slice(2)
const startupRuns = numberOption(args, "startup-runs", 15)
const runs = numberOption(args, "runs", 5)
const messageCount = numberOption(args, "messages", 10_000)
const baselineAt = args.indexOf("--baseline")
const baseline = baselineAt >= 0 ? path.resolve(args[baselineAt + 1] ?? "") : undefined
const baselineBin = baseline === undefined ? undefined : path.join(baseline, "bin.js")

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssMb: number
  readonly lines: number
  readonly digest: string
}

interface Contestant {
  readonly name: string
  readonly argv: ReadonlyArray<string>
  readonly env?: NodeJS.ProcessEnv
}

const scratch = await mkdtemp(path.join(tmpdir(), "bench-cli-"))

/** Runs `node argv` under /usr/bin/time, its stdout read here; rejects on a non-zero exit. */
const measure = async (c: Contestant): Promise<Sample> => {
  const timing = path.join(scratch, "time")
  const t0 = performance.now()
  const child = spawn("/usr/bin/time", ["-o", timing, "-f", "%U %S %M", process.execPath, ...c.argv], {
    cwd: import.meta.dirname,
    env: { ...process.env, ...c.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const hash = createHash("sha256")
  let lines = 0
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => {
    hash.update(chunk)
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++
  })
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
  const wallMs = performance.now() - t0
  if (code !== 0) throw new Error(`${c.name} exited with ${code}: ${stderr}`)
  const [user = 0, system = 0, maxKb = 0] = (await readFile(timing, "utf8")).trim().split(/\s+/).map(Number)
  return { wallMs, cpuMs: (user + system) * 1000, rssMb: maxKb / 1024, lines, digest: hash.digest("hex") }
}

/** `runs` rounds of every contestant, the order rotated each round; samples per contestant. */
const rounds = async (contestants: ReadonlyArray<Contestant>, n: number): Promise<Map<string, Array<Sample>>> => {
  const samples = new Map<string, Array<Sample>>(contestants.map((c) => [c.name, []]))
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < contestants.length; i++) {
      const c = contestants[(i + r) % contestants.length]!
      samples.get(c.name)!.push(await measure(c))
    }
  }
  return samples
}

const row = (name: string, xs: ReadonlyArray<Sample>, reference: ReadonlyArray<Sample> | undefined) => {
  const wall = median(xs.map((x) => x.wallMs))
  const cpu = median(xs.map((x) => x.cpuMs))
  const ratio = (ours: number, key: "wallMs" | "cpuMs") =>
    reference === undefined ? "–" : `${fixed(median(reference.map((x) => x[key])) / ours, 2)}x`
  return [
    name,
    fixed(wall / 1000, 3),
    fixed(cpu / 1000, 3),
    fixed(median(xs.map((x) => x.rssMb))),
    ratio(wall, "wallMs"),
    ratio(cpu, "cpuMs")
  ]
}

// ---------------------------------------------------------------------------------------------
// Start-up

const startup: ReadonlyArray<Contestant> = [
  { name: "`node -e 0`", argv: ["-e", "0"] },
  { name: "`node -e \"require('imapflow')\"`", argv: ["-e", "require('imapflow')"] },
  { name: "`imap --help` (bundle, compile cache warm)", argv: [bin, "--help"] },
  {
    name: "`imap --help` (bundle, compile cache off)",
    argv: [bin, "--help"],
    env: { NODE_DISABLE_COMPILE_CACHE: "1" }
  },
  { name: "`imap --help` unbundled (`dist/Main.js`)", argv: [unbundled, "--help"] },
  ...(baselineBin === undefined
    ? []
    : [{ name: `\`imap --help\`, baseline (\`${baseline}\`, cache warm)`, argv: [baselineBin, "--help"] }])
]

const loadBefore = loadavg()[0] ?? 0
const described = describeMachine(await machine())
await measure(startup[2]!) // fills the compile cache
if (startup[5] !== undefined) await measure(startup[5]) // and the baseline's
const startupSamples = await rounds(startup, startupRuns)
const imapflowStartup = startupSamples.get(startup[1]!.name)

// ---------------------------------------------------------------------------------------------
// subjects --json

// Runs in the child, as a user's script would: imapflow, INBOX read-only, one JSON line per message.
const imapflowScript = `
import { ImapFlow } from "imapflow"
const client = new ImapFlow({ host: process.env.IMAP_HOST, port: Number(process.env.IMAP_PORT), secure: false,
  doSTARTTLS: false, auth: { user: process.env.IMAP_USER, pass: process.env.IMAP_PASSWORD }, logger: false })
await client.connect()
const box = await client.mailboxOpen("INBOX", { readOnly: true })
const uidValidity = Number(box.uidValidity)
for await (const m of client.fetch("1:*", { uid: true, flags: true, envelope: true, size: true, internalDate: true })) {
  const date = m.envelope?.date ?? m.internalDate
  process.stdout.write(JSON.stringify({
    uid: m.uid, uidValidity, seq: m.seq, subject: m.envelope?.subject ?? null,
    from: (m.envelope?.from ?? []).map((a) => ({ name: a.name || null, address: a.address ?? null })),
    date: date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    flags: [...m.flags], size: m.size ?? null
  }) + "\\n")
}
await client.logout()`

// The floor: the same FETCH on a bare socket, bytes counted to the tagged OK, nothing decoded.
const floorScript = `
import * as net from "node:net"
const socket = net.connect({ host: process.env.IMAP_HOST, port: Number(process.env.IMAP_PORT) })
const q = (s) => '"' + s.replace(/[\\\\"]/g, (c) => "\\\\" + c) + '"'
let step = 0, tail = "", bytes = 0
const steps = [
  "A1 LOGIN " + q(process.env.IMAP_USER) + " " + q(process.env.IMAP_PASSWORD),
  "A2 EXAMINE INBOX",
  "A3 FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)",
  "A4 LOGOUT"
]
socket.on("data", (chunk) => {
  bytes += chunk.length
  tail = (tail + chunk.toString("latin1")).slice(-4096)
  if (step === 0 ? tail.includes("\\r\\n") : tail.includes("\\r\\nA" + step + " ") || tail.startsWith("A" + step + " ")) {
    if (step === steps.length) return
    tail = ""
    socket.write(steps[step++] + "\\r\\n")
  }
})
socket.on("close", () => process.stderr.write(bytes + " bytes\\n"))`

const dovecot = await startDovecot()
let subjectSamples: Map<string, Array<Sample>>
let subjects: ReadonlyArray<Contestant>
try {
  const user = "benchcli"
  await populate(dovecot, user, "INBOX", messageCount, 0xc11)
  const env = {
    IMAP_HOST: dovecot.host,
    IMAP_PORT: String(dovecot.port),
    IMAP_USER: user,
    IMAP_PASSWORD: dovecot.password,
    IMAP_TLS: "none",
    IMAP_MAILBOX: "INBOX"
  }
  subjects = [
    { name: "`imap subjects --json` (bundle)", argv: [bin, "subjects", "--json"], env },
    { name: "`imap subjects --json` unbundled (`dist/Main.js`)", argv: [unbundled, "subjects", "--json"], env },
    { name: "imapflow script, same JSON lines", argv: ["--input-type=module", "-e", imapflowScript], env },
    { name: "floor: `node:net`, same FETCH, nothing printed", argv: ["--input-type=module", "-e", floorScript], env },
    ...(baselineBin === undefined
      ? []
      : [
          {
            name: `\`imap subjects --json\`, baseline (\`${baseline}\`)`,
            argv: [baselineBin, "subjects", "--json"],
            env
          }
        ])
  ]
  // Untimed: Dovecot builds its index and cache, the OS its page cache.
  for (const c of subjects) await measure(c)
  subjectSamples = await rounds(subjects, runs)
} finally {
  await dovecot.stop()
  await rm(scratch, { recursive: true, force: true })
}
const loadAfter = loadavg()[0] ?? 0

// Every printing contestant must print imap's lines, byte for byte.
const reference = subjectSamples.get(subjects[0]!.name)![0]!
const problems: Array<string> = []
for (const c of subjects.filter((c) => !c.name.startsWith("floor"))) {
  for (const s of subjectSamples.get(c.name)!) {
    if (s.lines !== messageCount) problems.push(`${c.name}: ${s.lines} lines, expected ${messageCount}`)
    if (s.digest !== reference.digest) problems.push(`${c.name}: output differs from imap's`)
  }
}

const head = ["", "wall s", "CPU s (user+sys)", "peak RSS MB", "wall: imapflow / this", "CPU: imapflow / this"]
console.log(described)
console.log(`Load average (1 min): ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`)
console.log("")
console.log(`Start-up: medians of ${startupRuns} runs.`)
console.log("")
console.log(
  table(
    head,
    "lrrrrr",
    startup.map((c) => row(c.name, startupSamples.get(c.name)!, imapflowStartup))
  )
)
console.log("")
const imapflowSubjects = subjectSamples.get(subjects[2]!.name)
console.log(`\`subjects --json\`, ${messageCount.toLocaleString("en-US")} messages: medians of ${runs} runs.`)
console.log("")
console.log(
  table(
    head,
    "lrrrrr",
    subjects.map((c) => row(c.name, subjectSamples.get(c.name)!, imapflowSubjects))
  )
)
console.log("")
console.log(
  "Wall: spawn to exit, seen from the parent. CPU and peak RSS: the child's, from /usr/bin/time. The ratios: imapflow's median over this row's (above 1: faster than imapflow)."
)
if (problems.length > 0) {
  console.log("")
  console.log(`PROBLEMS:\n${[...new Set(problems)].join("\n")}`)
  process.exitCode = 1
}
