/**
 * Shared by the live benches (`bench/client.ts`, `bench/idle.ts`): a private Dovecot, realistic
 * generated mail (seeded, so every run imports the same bytes), a minimal raw IMAP connection for
 * the floors and the IDLE writer, imapflow opened the same way for both, statistics, markdown tables
 * and a description of the machine.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as net from "node:net"
import { cpus, loadavg, platform, release } from "node:os"
import type { ImapFlow } from "imapflow"
import { type Dovecot, start } from "../test/support/Dovecot.ts"

export type { Dovecot }
export { start as startDovecot }

export const MB = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Deterministic mail

/** `--name N` from the command line, a positive number, else `fallback`. */
export const numberOption = (args: ReadonlyArray<string>, name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  const value = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`)
  return value
}

/** mulberry32: tiny, fast, and the same sequence on every machine for a given seed. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIRST = ["Victor", "Erin", "Sybil", "Mallory", "Trent", "Dave", "Yolanda", "Ivan", "Carol", "Frank", "Olivia"]
const LAST = ["Garcia", "Moore", "Davis", "Johnson", "Smith", "Williams", "Thomas", "Jones", "Taylor", "Brown"]
/** Display names that need RFC 2047 encoding. */
const UNICODE_NAMES = ["François Lefèvre", "山田 太郎", "Ñandú Peña", "Jürgen Müller", "Łukasz Żółć", "Zoë Ångström"]
const UNICODE_SUBJECTS = [
  "Réunion de l’équipe — compte rendu",
  "Café ☕ at 3pm?",
  "Grüße aus München",
  "会议纪要：第三季度计划",
  "🎉 Launch day! 🚀",
  "Προσφορά για το έργο"
]
const WORDS = (
  "the project budget review customer sync contract incident report schedule feedback outage roadmap invoice " +
  "candidate update plan meeting proposal release status quarterly notes patch hiring weekly security draft " +
  "deploy we should please let me know about next week before friday thanks again for this and that with " +
  "numbers team service database latency migration rollout owner action item follow up agreed blocked"
).split(" ")
const HOSTS = ["example.com", "example.org", "example.net", "lists.example.org", "corp.example", "mail.example.com"]
const ZONES = ["-0700", "+0100", "+0200", "-0300", "+0900", "-0400", "+0800", "+0000"]
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

/** RFC 2047: B for scripts, Q for mostly-Latin text, like real mailers mix them. */
const encodeWord = (text: string, q: boolean): string => {
  if (!q) return `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`
  let out = ""
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte === 0x20) out += "_"
    else if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a))
      out += String.fromCharCode(byte)
    else out += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return `=?UTF-8?Q?${out}?=`
}

/**
 * A generator of plain-text messages of 2–4 KB: Received/Return-Path trace headers, From/To/Cc,
 * Subject (about 1 in 8 RFC 2047-encoded), Date, Message-ID, In-Reply-To/References on replies,
 * MIME headers and a wrapped text body. The same seed gives the same bytes.
 */
export const messages = (seed: number): ((i: number) => string) => {
  const rand = prng(seed)
  const pick = <A>(list: ReadonlyArray<A>): A => list[Math.floor(rand() * list.length)] as A
  const chance = (p: number) => rand() < p
  let time = Date.UTC(2026, 0, 5, 8, 0, 0)
  const address = (): string => {
    const first = pick(FIRST)
    const last = pick(LAST)
    const host = pick(HOSTS)
    const local = `${first}.${last}`.toLowerCase()
    const r = rand()
    if (r < 0.12) return `${encodeWord(pick(UNICODE_NAMES), chance(0.5))} <user${Math.floor(rand() * 1000)}@${host}>`
    if (r < 0.25) return `${local}@${host}`
    if (r < 0.3) return `"${last}, ${first}" <${local}@${host}>`
    return `${first} ${last} <${local}@${host}>`
  }
  const list = (min: number, max: number) => {
    const n = min + Math.floor(rand() * (max - min + 1))
    return Array.from({ length: n }, address).join(",\r\n ")
  }
  const sentence = () => {
    const n = 6 + Math.floor(rand() * 14)
    const words = Array.from({ length: n }, () => pick(WORDS))
    const s = words.join(" ")
    return `${s[0]?.toUpperCase()}${s.slice(1)}.`
  }
  const wrap = (text: string): string => {
    const lines: Array<string> = []
    let line = ""
    for (const word of text.split(" ")) {
      if (line.length + word.length + 1 > 72) {
        lines.push(line)
        line = word
      } else line = line === "" ? word : `${line} ${word}`
    }
    if (line !== "") lines.push(line)
    return lines.join("\r\n")
  }
  return (i: number) => {
    time += 30_000 + Math.floor(rand() * 600_000)
    const zone = pick(ZONES)
    const offset = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)))
    const w = new Date(time + offset * 60_000)
    const date =
      `${DAYS[w.getUTCDay()]}, ${w.getUTCDate()} ${MONTHS[w.getUTCMonth()]} ${w.getUTCFullYear()} ` +
      `${two(w.getUTCHours())}:${two(w.getUTCMinutes())}:${two(w.getUTCSeconds())} ${zone}`
    const host = pick(HOSTS)
    const id = `${(i * 7919 + 17).toString(36)}.${Math.floor(rand() * 2 ** 31).toString(36)}@${host}`
    const reply = chance(0.3)
    let subject: string
    if (chance(0.12)) subject = encodeWord(pick(UNICODE_SUBJECTS), chance(0.5))
    else {
      const words = Array.from({ length: 2 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(" ")
      subject = `${words[0]?.toUpperCase()}${words.slice(1)}${chance(0.15) ? ` [#${10000 + Math.floor(rand() * 90000)}]` : ""}`
    }
    if (reply) subject = `Re: ${subject}`
    const headers = [
      `Return-Path: <bounce-${i}@${host}>`,
      `Received: from mail.${host} (mail.${host} [192.0.2.${1 + Math.floor(rand() * 250)}])\r\n\tby mx.example.com with ESMTPS id ${Math.floor(rand() * 2 ** 40).toString(36)}\r\n\tfor <me@example.com>; ${date}`,
      `Date: ${date}`,
      `From: ${address()}`,
      `To: ${list(1, 3)}`,
      ...(chance(0.35) ? [`Cc: ${list(1, 3)}`] : []),
      `Subject: ${subject}`,
      `Message-ID: <${id}>`,
      ...(reply
        ? [`In-Reply-To: <${(i * 31).toString(36)}.ref@${host}>`, `References: <${(i * 31).toString(36)}.ref@${host}>`]
        : []),
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: 8bit"
    ].join("\r\n")
    const target = 1900 + Math.floor(rand() * 1900) - headers.length
    const paragraphs: Array<string> = []
    let size = 0
    while (size < target) {
      const p = wrap(Array.from({ length: 2 + Math.floor(rand() * 4) }, sentence).join(" "))
      paragraphs.push(p)
      size += p.length + 4
    }
    return `${headers}\r\n\r\n${paragraphs.join("\r\n\r\n")}\r\n`
  }
}

/** Imports `count` generated messages into `user`'s `mailbox`; returns the milliseconds it took. */
export const populate = async (
  dovecot: Dovecot,
  user: string,
  mailbox: string,
  count: number,
  seed: number
): Promise<{ ms: number; bytes: number }> => {
  const t0 = performance.now()
  const next = messages(seed)
  const all = Array.from({ length: count }, (_, i) => next(i))
  const bytes = all.reduce((n, m) => n + Buffer.byteLength(m), 0)
  await dovecot.importMany(user, mailbox, all)
  return { ms: performance.now() - t0, bytes }
}

// ---------------------------------------------------------------------------------------------
// A raw IMAP connection (no parsing beyond lines): for the floors and the IDLE writer

export interface Tagged {
  readonly line: string
  readonly at: number
}

export interface RawImap {
  readonly socket: net.Socket
  /**
   * Sends `tag text` (with `literal` as a LITERAL+ `{n+}` literal) and resolves with the tagged line
   * and the `performance.now()` at which its chunk was read; rejects on NO/BAD.
   */
  readonly command: (text: string, literal?: Uint8Array) => Promise<Tagged>
  /** Every untagged or continuation line, CRLF stripped, with the time it was read. */
  onLine: ((line: string, at: number) => void) | undefined
  /** Hands the socket over: no more line splitting, `onData` gets every later chunk (and any buffered rest). */
  readonly takeOver: (onData: (chunk: Buffer) => void) => void
  readonly close: () => void
}

export const connectRaw = (host: string, port: number): Promise<RawImap> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true })
    let buffer = ""
    let n = 0
    let greeted = false
    let raw: ((chunk: Buffer) => void) | undefined
    // Read through a function: a callback may set `raw` while a chunk is being split.
    const rawHandler = () => raw
    const waiting = new Map<string, { resolve: (tagged: Tagged) => void; reject: (e: Error) => void }>()
    const conn: RawImap = {
      socket,
      onLine: undefined,
      command: (text, literal) =>
        new Promise((res, rej) => {
          const tag = `R${++n}`
          waiting.set(tag, { resolve: res, reject: rej })
          if (literal === undefined) socket.write(`${tag} ${text}\r\n`)
          else {
            // LITERAL+ (Dovecot has it): the whole command in one write, no continuation round trip.
            socket.write(Buffer.concat([Buffer.from(`${tag} ${text} {${literal.length}+}\r\n`), literal, CRLF]))
          }
        }),
      takeOver: (onData) => {
        raw = onData
        const rest = buffer
        buffer = ""
        if (rest !== "") onData(Buffer.from(rest, "latin1"))
      },
      close: () => socket.destroy()
    }
    socket.on("data", (chunk: Buffer) => {
      if (raw !== undefined) return raw(chunk)
      const at = performance.now()
      buffer += chunk.toString("latin1")
      for (;;) {
        const lf = buffer.indexOf("\n")
        if (lf < 0) break
        const line = buffer.slice(0, lf > 0 && buffer[lf - 1] === "\r" ? lf - 1 : lf)
        buffer = buffer.slice(lf + 1)
        if (!greeted) {
          greeted = true
          if (line.startsWith("* OK")) resolve(conn)
          else reject(new Error(`unexpected greeting: ${line}`))
          continue
        }
        const space = line.indexOf(" ")
        const tag = line.slice(0, space)
        const pending = waiting.get(tag)
        if (pending !== undefined) {
          waiting.delete(tag)
          if (line.startsWith(`${tag} OK`)) pending.resolve({ line, at })
          else pending.reject(new Error(line))
        } else conn.onLine?.(line, at)
        const handoff = rawHandler()
        if (handoff !== undefined) {
          // takeOver() was called from a callback above: the rest of the chunk is raw data.
          const rest = buffer
          buffer = ""
          if (rest !== "") handoff(Buffer.from(rest, "latin1"))
          return
        }
      }
    })
    socket.once("error", (e) => {
      reject(e)
      for (const w of waiting.values()) w.reject(e)
    })
  })

const CRLF = Buffer.from("\r\n")

/** IMAP quoted string (for user names and passwords in the raw LOGIN). */
export const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`

/** A raw connection, logged in. */
export const loginRaw = async (host: string, port: number, user: string, password: string): Promise<RawImap> => {
  const conn = await connectRaw(host, port)
  await conn.command(`LOGIN ${quote(user)} ${quote(password)}`)
  return conn
}

/**
 * imapflow logged in and INBOX open read-only, in clear text like the other contestants (Dovecot
 * offers STARTTLS, which imapflow would take by default). Loaded on demand: a process that races
 * another contestant must not carry imapflow's modules.
 */
export const openImapflow = async (host: string, port: number, user: string, password: string): Promise<ImapFlow> => {
  const { ImapFlow } = await import("imapflow")
  const client = new ImapFlow({
    host,
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false
  })
  await client.connect()
  await client.mailboxOpen("INBOX", { readOnly: true })
  return client
}

// ---------------------------------------------------------------------------------------------
// Statistics

export const sorted = (xs: ReadonlyArray<number>): Array<number> => [...xs].sort((a, b) => a - b)

export const median = (xs: ReadonlyArray<number>): number => {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p% at or below it. */
export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(rank, s.length) - 1] as number
}

// ---------------------------------------------------------------------------------------------
// Output

/** A markdown table; `align` is "l" or "r" per column. */
export const table = (
  head: ReadonlyArray<string>,
  align: string,
  rows: ReadonlyArray<ReadonlyArray<string>>
): string => {
  const sep = head.map((_, i) => (align[i] === "r" ? "---:" : "---"))
  return [head, sep, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n")
}

export const fixed = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits)

export const thousands = (n: number): string => Math.round(n).toLocaleString("en-US")

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly os: string
  readonly node: string
  readonly dovecot: string
  readonly imapflow: string
  readonly date: string
  /** 1-minute load average when described: this machine may be shared, and load makes timings noisy. */
  readonly load: number
}

const dovecotVersion = (): string => {
  const bin = ["/usr/sbin/dovecot", "/usr/bin/dovecot"].find((p) => existsSync(p)) ?? "dovecot"
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

const imapflowVersion = async (): Promise<string> => {
  const pkg = (await import("imapflow/package.json", { with: { type: "json" } })) as { default: { version: string } }
  return pkg.default.version
}

export const machine = async (): Promise<Machine> => ({
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  os: `${platform()} ${release()}`,
  node: process.version,
  dovecot: dovecotVersion(),
  imapflow: await imapflowVersion(),
  date: new Date().toISOString(),
  load: loadavg()[0] ?? 0
})

export const describeMachine = (m: Machine): string =>
  `Machine: ${m.cpu} (${m.cores} cores), ${m.os}, Node ${m.node}, Dovecot ${m.dovecot}, imapflow ${m.imapflow}, ${m.date}, load average ${m.load.toFixed(1)}`
