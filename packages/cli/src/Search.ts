/**
 * `imap search`: the UIDs of the messages matching every given criterion (none given: all), from a
 * read-only EXAMINE. Dates are calendar days (YYYY-MM-DD), as IMAP SEARCH compares them.
 */
import { SearchKey } from "@pkg/protocol"
import { Effect, Option } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import { Command, Flag } from "effect/cli"
import * as Output from "./Output.ts"
import { withSession } from "./Root.ts"

/** `2026-11-26` as a UTC calendar day; rejects 2026-02-31. */
export const parseDay = (text: string): Date | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim())
  if (m === null) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = SearchKey.day(y, mo, d)
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : undefined
}

const text = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

const day = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("YYYY-MM-DD"),
    Flag.filterMap(
      (s) => Option.fromNullishOr(parseDay(s)),
      (s) => `Expected a date as YYYY-MM-DD, got ${s}`
    ),
    Flag.withDescription(description),
    Flag.optional
  )

const size = (name: string, description: string) =>
  Flag.Int(name).pipe(
    Flag.withMetavar("BYTES"),
    Flag.filterMap(
      (n) => (n >= 0 ? Option.some(n) : Option.none()),
      (n) => `Expected a size in bytes, got ${n}`
    ),
    Flag.withDescription(description),
    Flag.optional
  )

const is = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

const criteria = {
  from: text("from", "From header contains this text"),
  to: text("to", "To header contains this text"),
  subject: text("subject", "Subject contains this text"),
  body: text("body", "Body contains this text"),
  since: day("since", "Received on or after this day"),
  before: day("before", "Received before this day"),
  on: day("on", "Received on this day"),
  larger: size("larger", "Larger than this many bytes"),
  smaller: size("smaller", "Smaller than this many bytes"),
  seen: is("seen", "Marked \\Seen"),
  unseen: is("unseen", "Not marked \\Seen"),
  flagged: is("flagged", "Marked \\Flagged"),
  answered: is("answered", "Marked \\Answered")
}

type Criteria = {
  readonly [K in keyof typeof criteria]: (typeof criteria)[K] extends Flag.Flag<infer A> ? A : never
}

export const toSearchKey = (c: Criteria): SearchKey.SearchKey => {
  const keys: Array<SearchKey.SearchKey> = []
  const add = <A>(o: Option.Option<A>, f: (a: A) => SearchKey.SearchKey) => {
    if (Option.isSome(o)) keys.push(f(o.value))
  }
  add(c.from, SearchKey.from)
  add(c.to, SearchKey.to)
  add(c.subject, SearchKey.subject)
  add(c.body, SearchKey.body)
  add(c.since, SearchKey.since)
  add(c.before, SearchKey.before)
  add(c.on, SearchKey.on)
  add(c.larger, SearchKey.larger)
  add(c.smaller, SearchKey.smaller)
  if (c.seen) keys.push(SearchKey.seen)
  if (c.unseen) keys.push(SearchKey.unseen)
  if (c.flagged) keys.push(SearchKey.flagged)
  if (c.answered) keys.push(SearchKey.answered)
  if (keys.length <= 1) return keys[0] ?? SearchKey.all
  return SearchKey.and(...(keys as unknown as NonEmptyReadonlyArray<SearchKey.SearchKey>))
}

export const search = Command.make(
  "search",
  criteria,
  withSession(({ client, flags, format }, input) =>
    Effect.gen(function* () {
      yield* client.examine(flags.mailbox)
      // Ascending already: `search` sorts (a plain SEARCH reply is in any order).
      const uids = yield* client.search(toSearchKey(input))
      if (format === "json") return yield* Output.stdout(Output.toJson(uids))
      for (const uid of uids) yield* Output.stdout(String(uid))
    })
  )
).pipe(Command.withDescription("Print the UIDs of the messages matching all the given criteria (none: every message)"))
