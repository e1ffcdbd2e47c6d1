/**
 * `node --max-old-space-size=6144 bench/heap-owners.ts SNAPSHOT [--sessions N] [--base SNAPSHOT --base-sessions M]`:
 * where a heap snapshot's bytes go, per session. Reads a V8 `.heapsnapshot` (bench/session-memory.ts
 * `--snapshot N` writes one), builds the dominator tree (weak edges ignored, as DevTools does) and
 * prints:
 * - by constructor: self size and count, per session (with `--base`, the difference between the two
 *   snapshots over the sessions added, so what is held once cancels out);
 * - by owner: every object is charged to its nearest dominator that is an owner (a socket, a fiber,
 *   a Deferred, a scope, an IMAP module's closure...: `owners` below), so the owners add up to the
 *   heap; per session (`--owners N` rows, default 30).
 */
import { readFileSync } from "node:fs"

interface Snapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: ReadonlyArray<string>
      readonly node_types: ReadonlyArray<ReadonlyArray<string> | string>
      readonly edge_fields: ReadonlyArray<string>
      readonly edge_types: ReadonlyArray<ReadonlyArray<string> | string>
    }
    readonly node_count: number
  }
  readonly nodes: ReadonlyArray<number>
  readonly edges: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

interface Graph {
  readonly count: number
  readonly type: Uint8Array
  readonly name: Uint32Array
  readonly self: Float64Array
  readonly firstEdge: Uint32Array
  readonly edgeTo: Uint32Array
  readonly edgeType: Uint8Array
  readonly edgeName: Uint32Array
  readonly types: ReadonlyArray<string>
  readonly edgeTypes: ReadonlyArray<string>
  readonly strings: ReadonlyArray<string>
}

const load = (file: string): Graph => {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot
  const nf = s.snapshot.meta.node_fields
  const ef = s.snapshot.meta.edge_fields
  const N = nf.length
  const E = ef.length
  const count = s.nodes.length / N
  const iType = nf.indexOf("type")
  const iName = nf.indexOf("name")
  const iSelf = nf.indexOf("self_size")
  const iEdges = nf.indexOf("edge_count")
  const eType = ef.indexOf("type")
  const eName = ef.indexOf("name_or_index")
  const eTo = ef.indexOf("to_node")
  const type = new Uint8Array(count)
  const name = new Uint32Array(count)
  const self = new Float64Array(count)
  const firstEdge = new Uint32Array(count + 1)
  let e = 0
  for (let i = 0; i < count; i++) {
    type[i] = s.nodes[i * N + iType]!
    name[i] = s.nodes[i * N + iName]!
    self[i] = s.nodes[i * N + iSelf]!
    firstEdge[i] = e
    e += s.nodes[i * N + iEdges]!
  }
  firstEdge[count] = e
  const edgeCount = s.edges.length / E
  const edgeTo = new Uint32Array(edgeCount)
  const edgeType = new Uint8Array(edgeCount)
  const edgeName = new Uint32Array(edgeCount)
  for (let j = 0; j < edgeCount; j++) {
    edgeTo[j] = s.edges[j * E + eTo]! / N
    edgeType[j] = s.edges[j * E + eType]!
    edgeName[j] = s.edges[j * E + eName]!
  }
  return {
    count,
    type,
    name,
    self,
    firstEdge,
    edgeTo,
    edgeType,
    edgeName,
    types: s.snapshot.meta.node_types[0] as ReadonlyArray<string>,
    edgeTypes: s.snapshot.meta.edge_types[0] as ReadonlyArray<string>,
    strings: s.strings
  }
}

/** Immediate dominators (Cooper, Harvey, Kennedy: iterate over reverse postorder to a fixpoint). */
const dominators = (g: Graph): Int32Array => {
  const weak = g.edgeTypes.indexOf("weak")
  const follows = (j: number) => g.edgeType[j] !== weak
  // Postorder by an iterative DFS from the root (node 0).
  const order = new Int32Array(g.count).fill(-1)
  const post: Array<number> = []
  const stack: Array<number> = [0]
  const cursor = new Uint32Array(g.count)
  const visited = new Uint8Array(g.count)
  visited[0] = 1
  for (let i = 0; i < g.count; i++) cursor[i] = g.firstEdge[i]!
  while (stack.length > 0) {
    const v = stack[stack.length - 1]!
    if (cursor[v]! < g.firstEdge[v + 1]!) {
      const j = cursor[v]!++
      const w = g.edgeTo[j]!
      if (follows(j) && visited[w] === 0) {
        visited[w] = 1
        stack.push(w)
      }
    } else {
      order[v] = post.length
      post.push(stack.pop()!)
    }
  }
  // Predecessors (reachable ones only).
  const predCount = new Uint32Array(g.count + 1)
  for (let v = 0; v < g.count; v++) {
    if (visited[v] === 0) continue
    for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++) if (follows(j)) predCount[g.edgeTo[j]! + 1]!++
  }
  for (let i = 0; i < g.count; i++) predCount[i + 1]! += predCount[i]!
  const preds = new Uint32Array(predCount[g.count]!)
  const fill = predCount.slice()
  for (let v = 0; v < g.count; v++) {
    if (visited[v] === 0) continue
    for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++) if (follows(j)) preds[fill[g.edgeTo[j]!]!++] = v
  }
  const idom = new Int32Array(g.count).fill(-1)
  idom[0] = 0
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (order[a]! < order[b]!) a = idom[a]!
      while (order[b]! < order[a]!) b = idom[b]!
    }
    return a
  }
  for (let changed = true; changed; ) {
    changed = false
    for (let k = post.length - 2; k >= 0; k--) {
      const v = post[k]!
      let d = -1
      for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
        const u = preds[p]!
        if (idom[u] === -1) continue
        d = d === -1 ? u : intersect(u, d)
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d
        changed = true
      }
    }
  }
  return idom
}

const label = (g: Graph, v: number): string => {
  const t = g.types[g.type[v]!]!
  const n = g.strings[g.name[v]!]!
  if (t === "object" || t === "closure" || t === "native") return `${t === "closure" ? "ƒ " : ""}${n}`
  if (t === "string" || t === "concatenated string" || t === "sliced string") return "(string)"
  if (t === "number") return "(heap number)"
  return `(${t}${t === "hidden" || t === "array" || t === "code" ? ` ${n.slice(0, 40)}` : ""})`
}

/** Self size and count per label. */
const byConstructor = (g: Graph, reachable: (v: number) => boolean) => {
  const out = new Map<string, { size: number; count: number }>()
  for (let v = 0; v < g.count; v++) {
    if (!reachable(v)) continue
    const k = label(g, v)
    const e = out.get(k) ?? { size: 0, count: 0 }
    e.size += g.self[v]!
    e.count++
    out.set(k, e)
  }
  return out
}

/**
 * Owners: the first of these an object's dominator chain meets (itself included) is charged with it.
 * Each rule matches the object's label (constructor or closure name) and, optionally, property
 * names it must have (how the plain objects of this package are recognised).
 */
interface Owner {
  readonly name: string
  readonly label: RegExp
  readonly props?: ReadonlyArray<string>
}
const owners: ReadonlyArray<Owner> = [
  { name: "socket (net.Socket, its stream states, libuv handle)", label: /^(Socket|TLSSocket|Node \/ TCPSocketWrap)$/ },
  { name: "ImapSession object (greeting and context; members on the shared prototype)", label: /^Session$/ },
  { name: "session state (SessionState: the mailbox snapshot)", label: /^Object$/, props: ["_tag", "mailbox"] },
  { name: "resolved options (ImapConfig.resolve)", label: /^Object$/, props: ["host", "greetingTimeout"] },
  { name: "SessionContext", label: /^ContextImpl$/ },
  { name: "CommandQueue", label: /^Queue$/ },
  { name: "ReaderGate", label: /^Gate$/ },
  { name: "FirstOf waits (Race: the sources and waiters of a wait held open)", label: /^Race$/ },
  { name: "Handoff (watcher delivery, FETCH stream)", label: /^HandoffImpl$/ },
  { name: "ImapConnection core (queue, gate, inboxes, capabilities)", label: /^Object$/, props: ["gate", "inboxes"] },
  { name: "ImapConnection (returned object's closures)", label: /^Object$/, props: ["bytesReceived", "subscribe"] },
  { name: "Transport", label: /^NodeTransport$/ },
  { name: "IDLE loop (Idler: its state, deadlines and the held IDLE)", label: /^(Idler|HeldCommand)$/ },
  { name: "ImapConnection (the object callers hold)", label: /^Connection$/ },
  { name: "EventInbox (subscription)", label: /^InboxImpl$/ },
  { name: "SubscriptionRef (state) and its PubSub", label: /^(SubscriptionRef.*|PubSubImpl|UnboundedPubSub)$/ },
  { name: "SubscriptionRef (state) and its PubSub", label: /^Object$/, props: ["madePubSub"] },
  { name: "Delivery (watcher: checkpoints and hand-off)", label: /^DeliveryImpl$/ },
  { name: "Deferred", label: /^DeferredImpl$/ },
  { name: "Scope (its finalizers Map and what the finalizers hold)", label: /^Object$/, props: ["strategy", "state"] },
  // A scope's state held by more than its scope (a child scope's finalizer in its parent).
  { name: "Scope (its finalizers Map and what the finalizers hold)", label: /^Object$/, props: ["finalizers"] },
  { name: "Scope", label: /^(ScopeImpl|Scope|Closeable)$/ },
  { name: "Effect fibers (FiberImpl: stack, generators, contexts)", label: /^FiberImpl$/ },
  { name: "Framer (closures)", label: /^ƒ (push|each|takeFrame|hold|literalBefore)$/ },
  { name: "Framer (closures)", label: /^Object$/, props: ["each", "push"] },
  {
    name: "FirstOf waits (Race: the sources and waiters of a wait held open)",
    label: /^Object$/,
    props: ["_tag", "f"]
  },
  { name: "command requests and queue entries (the IDLE held open)", label: /^Object$/, props: ["name", "allowedIn"] },
  { name: "command requests and queue entries (the IDLE held open)", label: /^Object$/, props: ["request", "turn"] },
  { name: "resolved options (ImapConfig.resolve)", label: /^Object$/, props: ["commandTimeout", "trace"] },
  { name: "the caller's options (credentials)", label: /^Object$/, props: ["user", "password"] },
  { name: "Effect Contexts (services of fibers and finalizers)", label: /^Object$/, props: ["cacheRoot", "_flat"] }
]

/** The name of an edge from `from` to `to` (property name, or [index]). */
const edgeBetween = (g: Graph, from: number, to: number): string => {
  for (let j = g.firstEdge[from]!; j < g.firstEdge[from + 1]!; j++) {
    if (g.edgeTo[j] !== to) continue
    const t = g.edgeTypes[g.edgeType[j]!]
    return t === "element" || t === "hidden" ? `[${g.edgeName[j]}]` : g.strings[g.edgeName[j]!]!
  }
  return "?"
}

const propertyNames = (g: Graph, v: number): Set<string> => {
  const out = new Set<string>()
  const property = g.edgeTypes.indexOf("property")
  for (let j = g.firstEdge[v]!; j < g.firstEdge[v + 1]!; j++) {
    if (g.edgeType[j] === property) out.add(g.strings[g.edgeName[j]!]!)
  }
  return out
}

/**
 * The owner an object is charged to: the nearest specific owner up its dominator chain; else, named
 * by the outermost object below the GC roots that holds it (what keeps it alive, e.g. the fiber a
 * callback resumes).
 */
const ownerOf = (g: Graph, idom: Int32Array) => {
  const memo = new Map<number, string>()
  const classify = (v: number): string | undefined => {
    const l = label(g, v)
    let props: Set<string> | undefined
    for (const o of owners) {
      if (!o.label.test(l)) continue
      if (o.props === undefined) return o.name
      props ??= propertyNames(g, v)
      if (o.props.every((p) => props!.has(p))) return o.name
    }
    return undefined
  }
  return (v: number): string => {
    const path: Array<number> = []
    let u = v
    let found: string | undefined
    while (true) {
      const m = memo.get(u)
      if (m !== undefined) {
        found = m
        break
      }
      path.push(u)
      found = classify(u)
      if (found !== undefined) break
      const up = idom[u]!
      if (u === 0 || up < 0) break
      if (up === 0 || label(g, up) === "(synthetic)" || g.types[g.type[up]!] === "synthetic") {
        found = `held by ${label(g, u)} (outermost; ${label(g, up)}.${edgeBetween(g, up, u)})`
        break
      }
      u = up
    }
    found ??= "root"
    for (const p of path) memo.set(p, found)
    return found
  }
}

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const file = args[0]!
const sessions = Number(opt("sessions") ?? 1000)
const baseFile = opt("base")
const baseSessions = Number(opt("base-sessions") ?? 0)
const KB = 1024

const analyse = (f: string) => {
  const g = load(f)
  const idom = dominators(g)
  const reachable = (v: number) => idom[v] !== -1
  const ctor = byConstructor(g, reachable)
  const owner = ownerOf(g, idom)
  const byOwner = new Map<string, number>()
  let total = 0
  for (let v = 0; v < g.count; v++) {
    if (!reachable(v)) continue
    const k = owner(v)
    byOwner.set(k, (byOwner.get(k) ?? 0) + g.self[v]!)
    total += g.self[v]!
  }
  // Retained size per constructor of the owner objects themselves: what one socket, one fiber... holds.
  const retained = new Float64Array(g.count)
  for (let v = 0; v < g.count; v++) if (reachable(v)) retained[v] = g.self[v]!
  // Children before parents: deepest first by repeated passes over a topological order of idom.
  const depth = new Int32Array(g.count)
  const order: Array<number> = []
  for (let v = 0; v < g.count; v++) if (reachable(v)) order.push(v)
  const depthOf = (v: number): number => {
    if (v === 0) return 0
    if (depth[v] !== 0) return depth[v]!
    let d = 0
    let u = v
    const chain: Array<number> = []
    while (u !== 0 && depth[u] === 0) {
      chain.push(u)
      u = idom[u]!
    }
    d = u === 0 ? 0 : depth[u]!
    for (let i = chain.length - 1; i >= 0; i--) depth[chain[i]!] = ++d
    return depth[v]!
  }
  for (const v of order) depthOf(v)
  order.sort((a, b) => depth[b]! - depth[a]!)
  for (const v of order) if (v !== 0) retained[idom[v]!]! += retained[v]!
  const retainedBy = new Map<string, { size: number; count: number }>()
  for (const v of order) {
    const l = label(g, v)
    // Top-level only: an object dominated by another of the same label is counted in that one.
    if (label(g, idom[v]!) === l) continue
    const e = retainedBy.get(l) ?? { size: 0, count: 0 }
    e.size += retained[v]!
    e.count++
    retainedBy.set(l, e)
  }
  // --chains LABEL: the most common dominator chains above objects of that label.
  const chains = new Map<string, number>()
  const wanted = opt("chains")
  if (wanted !== undefined) {
    const depthWanted = Number(opt("depth") ?? 6)
    for (let v = 0; v < g.count; v++) {
      if (!reachable(v) || label(g, v) !== wanted) continue
      const parts: Array<string> = []
      let u = v
      for (let i = 0; i < depthWanted && u !== 0; i++) {
        u = idom[u]!
        parts.push(label(g, u))
      }
      const k = parts.join(" < ")
      chains.set(k, (chains.get(k) ?? 0) + retained[v]!)
    }
  }
  // --tree LABEL: the dominator tree under the largest object of that label, with edge names.
  const tree = opt("tree")
  if (tree !== undefined) {
    let best = -1
    for (let v = 0; v < g.count; v++) {
      if (reachable(v) && label(g, v) === tree && (best < 0 || retained[v]! > retained[best]!)) best = v
    }
    const children = new Map<number, Array<number>>()
    for (const v of order) if (v !== 0) (children.get(idom[v]!) ?? children.set(idom[v]!, []).get(idom[v]!)!).push(v)
    const edgeName = (from: number, to: number): string => {
      for (let j = g.firstEdge[from]!; j < g.firstEdge[from + 1]!; j++) {
        if (g.edgeTo[j] !== to) continue
        const t = g.edgeTypes[g.edgeType[j]!]
        return t === "element" || t === "hidden" ? `[${g.edgeName[j]}]` : g.strings[g.edgeName[j]!]!
      }
      return "?"
    }
    const min = Number(opt("min") ?? 300)
    const show = (v: number, indent: string, depth: number) => {
      const kids = (children.get(v) ?? [])
        .filter((c) => retained[c]! >= min)
        .sort((a, b) => retained[b]! - retained[a]!)
      for (const c of kids.slice(0, 12)) {
        console.log(`${indent}${edgeName(v, c)}: ${label(g, c)} ${retained[c]} (self ${g.self[c]})`)
        if (depth > 0) show(c, `${indent}  `, depth - 1)
      }
    }
    console.log(`\n## Tree under ${tree} (retained ${retained[best]})\n`)
    if (best >= 0) show(best, "", Number(opt("depth") ?? 6))
  }
  // Closures by where they hang: the dominator's label and the edge to them (anonymous closures
  // have no name of their own; `run`, `pull`, `k` say which module made them).
  const closures = new Map<string, { size: number; count: number }>()
  {
    const edgeTo = (from: number, to: number): string => {
      for (let j = g.firstEdge[from]!; j < g.firstEdge[from + 1]!; j++) {
        if (g.edgeTo[j] !== to) continue
        const t = g.edgeTypes[g.edgeType[j]!]
        return t === "element" || t === "hidden" ? `[${g.edgeName[j]}]` : g.strings[g.edgeName[j]!]!
      }
      return "?"
    }
    for (let v = 0; v < g.count; v++) {
      if (!reachable(v) || g.types[g.type[v]!] !== "closure") continue
      const d = idom[v]!
      const k = `${label(g, v)} as ${label(g, d)}.${edgeTo(d, v)}`
      const e = closures.get(k) ?? { size: 0, count: 0 }
      e.size += retained[v]!
      e.count++
      closures.set(k, e)
    }
  }
  // --rooted LABEL: objects of that label held straight from a GC root; what they hold, two levels
  // down, summed over all of them.
  const rooted = new Map<string, { size: number; count: number }>()
  const rootedLabel = opt("rooted")
  if (rootedLabel !== undefined) {
    const kids = new Map<number, Array<number>>()
    for (const v of order) if (v !== 0) (kids.get(idom[v]!) ?? kids.set(idom[v]!, []).get(idom[v]!)!).push(v)
    const isRoot = (u: number) => u === 0 || g.types[g.type[u]!] === "synthetic"
    for (const v of order) {
      if (label(g, v) !== rootedLabel || !isRoot(idom[v]!)) continue
      for (const c of kids.get(v) ?? []) {
        for (const c2 of [c, ...(kids.get(c) ?? [])]) {
          const k =
            c2 === c
              ? `${edgeBetween(g, v, c)}: ${label(g, c)}`
              : `  ${edgeBetween(g, v, c)}: ${label(g, c)} / ${edgeBetween(g, c, c2)}: ${label(g, c2)}`
          const e = rooted.get(k) ?? { size: 0, count: 0 }
          e.size += retained[c2]!
          e.count++
          rooted.set(k, e)
        }
      }
    }
  }
  return { ctor, byOwner, total, retainedBy, chains, closures, rooted }
}

const now = analyse(file)
const base = baseFile !== undefined ? analyse(baseFile) : undefined
const per = sessions - baseSessions

const rows = <V>(
  m: Map<string, V>,
  b: Map<string, V> | undefined,
  size: (v: V) => number,
  count: (v: V) => number
): Array<[string, number, number]> =>
  [...m.entries()]
    .map(([k, v]): [string, number, number] => {
      const old = b?.get(k)
      return [k, (size(v) - (old ? size(old) : 0)) / per, (count(v) - (old ? count(old) : 0)) / per]
    })
    .sort((x, y) => y[1] - x[1])

const print = (title: string, r: ReadonlyArray<[string, number, number]>, top: number) => {
  console.log(`\n## ${title}\n`)
  console.log("| what | bytes per session | count per session |\n| --- | ---: | ---: |")
  for (const [k, s, c] of r.slice(0, top))
    console.log(`| ${k.replace(/\|/g, "\\|")} | ${s.toFixed(0)} | ${c.toFixed(2)} |`)
}

console.log(
  `Heap per session: ${((now.total - (base?.total ?? 0)) / per / KB).toFixed(1)} KB (${file}${base ? ` minus ${baseFile}` : ""}, ${per} sessions)`
)
print(
  "By owner (nearest dominating owner)",
  rows(
    now.byOwner,
    base?.byOwner,
    (v) => v,
    () => 0
  ),
  Number(opt("owners") ?? 30)
)
print(
  "By constructor (self size)",
  rows(
    now.ctor,
    base?.ctor,
    (v) => v.size,
    (v) => v.count
  ),
  Number(opt("top") ?? 45)
)
print(
  "Retained size by constructor (outermost of each)",
  rows(
    now.retainedBy,
    base?.retainedBy,
    (v) => v.size,
    (v) => v.count
  ),
  Number(opt("top") ?? 45)
)

if (opt("chains") !== undefined) {
  print(
    `Dominator chains above ${opt("chains")} (retained)`,
    rows(
      now.chains,
      base?.chains,
      (v) => v,
      () => 0
    ),
    25
  )
}

if (args.includes("--closures")) {
  print(
    "Closures by dominator and edge (retained)",
    rows(
      now.closures,
      base?.closures,
      (v) => v.size,
      (v) => v.count
    ),
    Number(opt("top") ?? 45)
  )
}

if (opt("rooted") !== undefined) {
  print(
    `What ${opt("rooted")} held from a GC root holds (retained)`,
    rows(
      now.rooted,
      base?.rooted,
      (v) => v.size,
      (v) => v.count
    ),
    Number(opt("top") ?? 45)
  )
}
