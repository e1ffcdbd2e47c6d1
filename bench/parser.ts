/**
 * `pnpm bench:parser`: throughput and memory of our response decoder against imapflow's parser and
 * a raw framing floor, on the same in-memory Dovecot FETCH stream fed in 64 KiB chunks.
 *
 * Method: one warm-up round (untimed; it also takes the memory profile, forcing a GC at 25/50/75/
 * 100% of the stream to show what each parser retains as it goes), one untimed round under V8's
 * sampling heap profiler (every allocation counted, collected or not: the bytes each parser
 * allocates per response, which decide how often the young generation fills), then `--runs` timed
 * rounds.
 * Contestants alternate within a round so drift (thermal, other load) hits all of them alike; the
 * table shows medians. Timed runs start from a forced GC and sample RSS every 8 chunks for the peak.
 *
 * Options: --json (machine-readable output), --messages N (50000), --runs N (5), --chunk BYTES (65536).
 */
import { Session } from "node:inspector/promises"
import { cpus, platform, release } from "node:os"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { type Contestant, floor, imapflow, ours } from "./contestants.ts"
import { chunk, generate } from "./fixture.ts"
import { numberOption } from "./support.ts"

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => numberOption(args, name, fallback)
const json = args.includes("--json")
const messages = option("messages", 50_000)
const runs = option("runs", 5)
const chunkSize = option("chunk", 64 * 1024)

// A GC on demand without asking the user for --expose-gc: the flag can be set at run time, and a
// fresh context then sees the `gc` global.
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const log = (line: string) => {
  if (!json) console.log(line)
}
const MB = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Contestants

const fixture = generate(messages)
const chunks = chunk(fixture.bytes, chunkSize)
const contestants: ReadonlyArray<Contestant> = [floor, imapflow(fixture.tag), ours]

log(
  `# ${fixture.messages} messages, ${(fixture.bytes.length / MB).toFixed(1)} MiB, ${fixture.literals} subject ` +
    `literals, ${chunks.length} chunks of ${chunkSize / 1024} KiB; ${runs} runs after 1 warm-up`
)

// ---------------------------------------------------------------------------------------------
// Measurement

interface Run {
  readonly ms: number
  readonly peakRssDelta: number
  readonly peakHeapDelta: number
  readonly retainedAfter: number
  readonly responses: number
  readonly check: string
}

const quartiles = [0.25, 0.5, 0.75, 1].map((q) => Math.max(0, Math.ceil(chunks.length * q) - 1))

/** The warm-up run: heap (after a forced GC) above the pre-run baseline at each quartile. */
const profile = async (c: Contestant): Promise<Array<number>> => {
  gc()
  const base = process.memoryUsage().heapUsed
  const heap: Array<number> = []
  await c.run(chunks, (i) => {
    if (quartiles.includes(i)) {
      gc()
      heap.push(process.memoryUsage().heapUsed - base)
    }
  })
  return heap
}

/**
 * Bytes allocated over one whole run, garbage included, as V8's sampling heap profiler estimates
 * them (a sample every 256 bytes on average; objects already collected are kept in the profile).
 */
const allocated = async (c: Contestant): Promise<number> => {
  const session = new Session()
  session.connect()
  // Passed as a variable: Node's typings predate the two include* options of the protocol.
  const params = {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  }
  await session.post("HeapProfiler.startSampling", params)
  await c.run(chunks, () => {})
  const { profile } = await session.post("HeapProfiler.stopSampling")
  session.disconnect()
  let total = 0
  const walk = (node: (typeof profile)["head"]): void => {
    total += node.selfSize
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  return total
}

const timed = async (c: Contestant): Promise<Run> => {
  gc()
  const base = process.memoryUsage()
  let peakRss = base.rss
  let peakHeap = base.heapUsed
  const start = performance.now()
  const outcome = await c.run(chunks, (i) => {
    if ((i & 7) === 0) {
      const m = process.memoryUsage()
      peakRss = Math.max(peakRss, m.rss)
      peakHeap = Math.max(peakHeap, m.heapUsed)
    }
  })
  const ms = performance.now() - start
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
  gc()
  const retainedAfter = process.memoryUsage().heapUsed - base.heapUsed
  return { ms, peakRssDelta: peakRss - base.rss, peakHeapDelta: peakHeap - base.heapUsed, retainedAfter, ...outcome }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

const profiles = new Map<string, Array<number>>()
const results = new Map<string, Array<Run>>(contestants.map((c) => [c.name, []]))
for (const c of contestants) profiles.set(c.name, await profile(c))
const allocations = new Map<string, number>()
for (const c of contestants) allocations.set(c.name, await allocated(c))
for (let round = 0; round < runs; round++) {
  for (const c of contestants) results.get(c.name)?.push(await timed(c))
  log(`# round ${round + 1}/${runs} done`)
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  readonly name: string
  readonly medianMs: number
  readonly mbPerSec: number
  readonly responsesPerSec: number
  readonly vsImapflow: number | undefined
  readonly vsFloor: number | undefined
  readonly peakRssDeltaMB: number
  readonly peakHeapDeltaMB: number
  readonly heapAtQuartilesMB: ReadonlyArray<number>
  readonly retainedAfterMB: number
  /** Bytes allocated per response (garbage included), from the sampling heap profiler. */
  readonly allocatedPerResponse: number
  readonly responses: number
  readonly check: string
  readonly runsMs: ReadonlyArray<number>
}

const rows: Array<Row> = contestants.map((c) => {
  const rs = results.get(c.name) ?? []
  const ms = median(rs.map((r) => r.ms))
  const last = rs[rs.length - 1]
  return {
    name: c.name,
    medianMs: ms,
    mbPerSec: fixture.bytes.length / MB / (ms / 1000),
    responsesPerSec: fixture.responses / (ms / 1000),
    vsImapflow: undefined,
    vsFloor: undefined,
    peakRssDeltaMB: median(rs.map((r) => r.peakRssDelta)) / MB,
    peakHeapDeltaMB: median(rs.map((r) => r.peakHeapDelta)) / MB,
    heapAtQuartilesMB: (profiles.get(c.name) ?? []).map((h) => h / MB),
    retainedAfterMB: median(rs.map((r) => r.retainedAfter)) / MB,
    allocatedPerResponse: (allocations.get(c.name) ?? 0) / fixture.responses,
    responses: last?.responses ?? 0,
    check: last?.check ?? "",
    runsMs: rs.map((r) => r.ms)
  }
})
const imapflowMs = rows[1]?.medianMs
const floorMs = rows[0]?.medianMs
const table = rows.map((r) => ({
  ...r,
  vsImapflow: imapflowMs === undefined ? undefined : imapflowMs / r.medianMs,
  vsFloor: floorMs === undefined ? undefined : floorMs / r.medianMs
}))

// Every contestant must have read the same stream: all responses, and (parsers) every FETCH.
const problems = table.flatMap((r) => [
  ...(r.responses === fixture.responses ? [] : [`${r.name} saw ${r.responses} responses, not ${fixture.responses}`]),
  ...(r.check.startsWith("fetch=") && r.check !== `fetch=${fixture.messages}`
    ? [`${r.name} parsed ${r.check.slice(6)} FETCH responses, not ${fixture.messages}`]
    : [])
])

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  os: `${platform()} ${release()}`,
  node: process.version,
  date: new Date().toISOString()
}

if (json) {
  const input = {
    messages,
    bytes: fixture.bytes.length,
    responses: fixture.responses,
    literals: fixture.literals,
    chunkSize,
    runs
  }
  console.log(JSON.stringify({ machine, input, results: table, problems }, null, 2))
} else {
  const f = (n: number | undefined, digits = 1) => (n === undefined ? "–" : n.toFixed(digits))
  log("")
  log(`Machine: ${machine.cpu} (${machine.cores} cores), ${machine.os}, Node ${machine.node}, ${machine.date}`)
  log("")
  log(
    "| parser | median ms | MB/s | responses/s | vs imapflow | vs floor | peak RSS Δ MB | peak heap Δ MB | heap Δ MB @25/50/75/100% | retained after MB | allocated B/response |"
  )
  log("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
  for (const r of table) {
    log(
      `| ${r.name} | ${f(r.medianMs)} | ${f(r.mbPerSec)} | ${Math.round(r.responsesPerSec).toLocaleString("en-US")} ` +
        `| ${f(r.vsImapflow, 2)}x | ${f(r.vsFloor, 3)}x | ${f(r.peakRssDeltaMB)} | ${f(r.peakHeapDeltaMB)} | ` +
        `${r.heapAtQuartilesMB.map((h) => f(h)).join(" / ")} | ${f(r.retainedAfterMB)} | ` +
        `${Math.round(r.allocatedPerResponse).toLocaleString("en-US")} |`
    )
  }
  log("")
  log("MB = MiB (2^20 bytes). Peak RSS/heap Δ: highest sample (every 8 chunks, garbage included) above the")
  log("post-GC baseline at the start of the run. Heap Δ @quartiles: after a forced GC at that point of the")
  log("warm-up run, i.e. what the parser retains mid-stream. Retained after: after a GC at the end.")
  log("Allocated: all bytes allocated during one run per response, garbage included (V8 sampling heap profiler).")
  for (const p of problems) log(`WARNING: ${p}`)
}
if (problems.length > 0) process.exitCode = 1
