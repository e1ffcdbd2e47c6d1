/**
 * The parser benchmark's input: Dovecot's answer to
 * `a007 FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)` for a mailbox of N messages,
 * generated deterministically (seeded PRNG) in memory.
 *
 * The shape follows the live Dovecot transcript (packages/protocol/test/fixtures/dovecot.txt): items in the order
 * requested, quoted strings, NIL for absent fields, sender and reply-to repeating from, names and
 * subjects as RFC 2047 words (B and Q, Q split over several words), display names with commas, a
 * punycode host, and subjects longer than 70 bytes (or holding `"`/`\`) sent as `{n}` literals,
 * which is where Dovecot switched in that capture. The stream ends with the tagged OK.
 */

import { prng } from "./support.ts"

const WORDS = [
  "ticket",
  "budget",
  "review",
  "customer",
  "sync",
  "contract",
  "postmortem",
  "project",
  "incident",
  "report",
  "schedule",
  "feedback",
  "outage",
  "roadmap",
  "invoice",
  "candidate",
  "update",
  "plan",
  "meeting",
  "proposal",
  "release",
  "status",
  "lunch",
  "quarterly",
  "notes",
  "patch",
  "hiring",
  "weekly",
  "security",
  "offsite",
  "draft",
  "deploy"
]
const FIRST = ["Victor", "Erin", "Sybil", "Mallory", "Trent", "Dave", "Yolanda", "Ivan", "Carol", "Frank", "Olivia"]
const FIRST2 = ["Rupert", "Heidi", "Bob", "Niaj", "Judy", "Peggy", "Walter", "Grace", "Alice"]
const LAST = ["Garcia", "Moore", "Davis", "Johnson", "Smith", "Williams", "Thomas", "Jones", "Taylor", "Brown"]
const LAST2 = ["Wilson", "Miller", "Lopez", "Martinez", "Rodriguez", "Jackson", "Anderson", "Hernandez"]
const HOSTS = [
  "example.com",
  "example.org",
  "example.net",
  "lists.example.org",
  "corp.example",
  "mail.example.com",
  "xn--bcher-kva.example"
]
/** Encoded display names exactly as Dovecot sent them. */
const ENCODED_NAMES = [
  "=?UTF-8?B?RnJhbsOnb2lzIExlZsOodnJl?=",
  "=?UTF-8?B?5bGx55SwIOWkqumDjg==?=",
  "=?UTF-8?B?w5FhbmTDuiBQZcOxYQ==?=",
  "=?UTF-8?B?2YXYrdmF2K8g2LnZhNmK?=",
  "=?UTF-8?Q?=CE=91=CE=BB=CE=AD=CE=BE=CE=B1=CE=BD=CE=B4=CF=81=CE=BF=CF=82_?= =?UTF-8?Q?=CE=A0=CE=B1=CF=80=CE=B1=CE=B4=CF=8C=CF=80=CE=BF=CF=85=CE=BB?= =?UTF-8?Q?=CE=BF=CF=82?=",
  "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=",
  "=?UTF-8?B?xYF1a2FzeiDFu8OzxYLEhw==?=",
  "=?UTF-8?Q?=E5=B1=B1=E7=94=B0_=E5=A4=AA=E9=83=8E?=",
  "=?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?=",
  "=?UTF-8?B?0JTQvNC40YLRgNC40Lkg0JjQstCw0L3QvtCy?="
]
/** Encoded subjects exactly as Dovecot sent them. */
const ENCODED_SUBJECTS = [
  "=?UTF-8?B?UsOpdW5pb24gZGUgbOKAmcOpcXVpcGUg4oCUIGNvbXB0ZSByZW5kdQ==?=",
  "=?UTF-8?Q?Caf=C3=A9_=E2=98=95_at_3pm=3F?=",
  "=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=",
  "=?UTF-8?B?5Lya6K6u57qq6KaB77ya56ys5LiJ5a2j5bqm6K6h5YiS?=",
  "=?UTF-8?B?8J+OiSBMYXVuY2ggZGF5ISDwn5qAICMxMDAwMDYx?=",
  "=?UTF-8?Q?=CE=A0=CF=81=CE=BF=CF=83=CF=86=CE=BF=CF=81=CE=AC_=CE=B3=CE=B9?= =?UTF-8?Q?=CE=B1_=CF=84=CE=BF_=CE=AD=CF=81=CE=B3=CE=BF?=",
  "=?UTF-8?B?zpTOv866zrnOvM6uIC8g44OG44K544OIIC8g0YLQtdGB0YI=?="
]
const FLAGS = [
  [0.55, "(\\Seen)"],
  [0.7, "()"],
  [0.8, "(\\Seen \\Answered)"],
  [0.87, "(\\Flagged \\Seen)"],
  [0.92, "(\\Recent)"],
  [1, "($Forwarded \\Seen $MDNSent)"]
] as const
const ZONES = ["-0700", "+0100", "+0200", "-0300", "+0900", "-0400", "+0800", "+0000", "+1000", "-0500"]
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

export interface Fixture {
  readonly bytes: Buffer
  readonly messages: number
  /** Responses in the stream: one FETCH per message plus the tagged OK. */
  readonly responses: number
  /** How many subjects went out as `{n}` literals. */
  readonly literals: number
  readonly tag: string
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

export const generate = (messages: number, seed = 0x1a4b): Fixture => {
  const rand = prng(seed)
  const pick = <A>(list: ReadonlyArray<A>): A => list[Math.floor(rand() * list.length)] as A
  const chance = (p: number): boolean => rand() < p

  const mailbox = (): { name: string; local: string; host: string } => {
    const first = pick(chance(0.5) ? FIRST : FIRST2)
    const last = pick(chance(0.5) ? LAST : LAST2)
    const host = pick(HOSTS)
    const r = rand()
    if (r < 0.12) return { name: pick(ENCODED_NAMES), local: `user${Math.floor(rand() * 1000)}`, host }
    const local = `${first}.${last}`.toLowerCase()
    if (r < 0.25) return { name: "NIL", local, host }
    if (r < 0.3) return { name: `${last}, ${first}`, local, host }
    return { name: `${first} ${last}`, local, host }
  }
  const address = (): string => {
    const m = mailbox()
    return `(${m.name === "NIL" ? "NIL" : `"${m.name}"`} NIL "${m.local}" "${m.host}")`
  }
  const addressList = (min: number, max: number): string => {
    const n = min + Math.floor(rand() * (max - min + 1))
    if (n === 0) return "NIL"
    let out = "("
    for (let i = 0; i < n; i++) out += address()
    return `${out})`
  }
  const subject = (): string => {
    const prefix = chance(0.2) ? "Re: " : chance(0.06) ? "Fwd: " : ""
    if (chance(0.12)) return prefix + pick(ENCODED_SUBJECTS)
    const n = 2 + Math.floor(rand() * 9)
    const words: Array<string> = []
    for (let i = 0; i < n; i++) words.push(pick(WORDS))
    let s = words.join(" ")
    s = s[0]?.toUpperCase() + s.slice(1)
    if (chance(0.02)) s = `"${s}" follow-up`
    if (chance(0.15)) s += ` [#${10000 + Math.floor(rand() * 90000)}]`
    return prefix + s
  }

  const parts: Array<string> = []
  let literals = 0
  let time = Date.UTC(2056, 3, 23, 9, 0, 0)
  for (let seq = 1; seq <= messages; seq++) {
    time += Math.floor(rand() * 120_000)
    const zone = pick(ZONES)
    const zoneMinutes = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)))
    const w = new Date(time + zoneMinutes * 60_000)
    const date =
      `${DAYS[w.getUTCDay()]}, ${w.getUTCDate()} ${MONTHS[w.getUTCMonth()]} ${w.getUTCFullYear()} ` +
      `${two(w.getUTCHours())}:${two(w.getUTCMinutes())}:${two(w.getUTCSeconds())} ${zone}`
    const u = new Date(time + 2000)
    const internal =
      `${two(u.getUTCDate())}-${MONTHS[u.getUTCMonth()]}-${u.getUTCFullYear()} ` +
      `${two(u.getUTCHours())}:${two(u.getUTCMinutes())}:${two(u.getUTCSeconds())} +0000`
    const subj = subject()
    const from = addressList(1, 1)
    const host = pick(HOSTS)
    const id = `${(seq * 7919).toString(36)}.${Math.floor(rand() * 2 ** 31).toString(36)}`
    const inReplyTo = subj.startsWith("Re:") ? `"<${(seq * 31).toString(36)}.ref@${host}>"` : "NIL"
    const r = rand()
    const flags = FLAGS.find(([p]) => r < p)?.[1] ?? "()"
    // Dovecot's switch to a literal: long subjects, or ones a quoted string would need escapes for.
    const asLiteral = subj.length > 70 || subj.includes('"') || subj.includes("\\")
    if (asLiteral) literals++
    const subjectToken = asLiteral ? `{${Buffer.byteLength(subj)}}\r\n${subj}` : `"${subj}"`
    parts.push(
      `* ${seq} FETCH (UID ${1000 + seq * 3} FLAGS ${flags} ENVELOPE ("${date}" ${subjectToken} ` +
        `${from} ${from} ${from} ${addressList(1, 3)} ${chance(0.45) ? addressList(1, 3) : "NIL"} NIL ` +
        `${inReplyTo} "<${id}@${host}>") RFC822.SIZE ${800 + Math.floor(rand() * rand() * 250_000)} ` +
        `INTERNALDATE "${internal}")\r\n`
    )
  }
  const tag = "a007"
  parts.push(`${tag} OK Fetch completed (0.002 + 0.000 + 0.001 secs).\r\n`)
  return { bytes: Buffer.from(parts.join(""), "latin1"), messages, responses: messages + 1, literals, tag }
}

/**
 * The stream cut into independent chunks of `size` bytes, as a socket would hand them over: each
 * chunk is its own copy, so a parser that keeps a view of one keeps that chunk alive, not the
 * whole stream.
 */
export const chunk = (bytes: Buffer, size: number): Array<Buffer> => {
  const out: Array<Buffer> = []
  for (let i = 0; i < bytes.length; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)))
  return out
}
