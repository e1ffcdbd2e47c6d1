/**
 * `Message.parse` and `Message.section` answer as Dovecot does: each message of the corpus
 * (`MessageCorpus.ts`) is APPENDed to a real Dovecot, and its RFC822.SIZE, ENVELOPE, BODYSTRUCTURE
 * and every section (`[]`, `[HEADER]`, `[TEXT]`, `[HEADER.FIELDS (...)]`, `[HEADER.FIELDS.NOT
 * (...)]`, and for each part `[n]`, `[n.MIME]`, and `[n.HEADER]` / `[n.TEXT]` of message/rfc822
 * parts, plus parts that do not exist) fetched back must equal what the model computes from the
 * bytes appended.
 */
import { assert, describe, it } from "@effect/vitest"
import { ImapClient, ImapConfig } from "@pkg/client"
import { type BodyStructure, Command, SequenceSet } from "@pkg/protocol"
import { Effect, Stream } from "effect"
import { dovecot, freshUser } from "../../../test/support/TestServer.ts"
import * as Message from "../src/Message.ts"
import { corpus } from "./MessageCorpus.ts"

const server = dovecot()

type PartPath = { readonly path: ReadonlyArray<number>; readonly message: boolean }

/** The parts of a multipart, numbered as RFC 9051 6.4.5 does, descending into each. */
const partPaths = (s: BodyStructure, prefix: ReadonlyArray<number>, out: Array<PartPath>): Array<PartPath> => {
  if (s._tag !== "Multipart") return out
  s.parts.forEach((p, i) => {
    const path = [...prefix, i + 1]
    out.push({ path, message: p._tag === "MessagePart" })
    if (p._tag === "Multipart") partPaths(p, path, out)
    if (p._tag === "MessagePart") encapsulated(p.body, path, out)
  })
  return out
}

/** The parts of the message inside a message/rfc822 part at `path`. */
const encapsulated = (body: BodyStructure, path: ReadonlyArray<number>, out: Array<PartPath>) => {
  if (body._tag === "Multipart") partPaths(body, path, out)
  else out.push({ path: [...path, 1], message: body._tag === "MessagePart" })
}

/** Every part path of a message: a single-part message has one part, 1. */
const allPaths = (s: BodyStructure): Array<PartPath> =>
  s._tag === "Multipart" ? partPaths(s, [], []) : [{ path: [1], message: false }]

const sectionsFor = (message: Message.Message): ReadonlyArray<Command.Section> => {
  const spec = Command.SectionSpec
  const sections: Array<Command.Section> = [
    spec.whole(),
    spec.header(),
    spec.text(),
    spec.headerFields(["Subject", "From", "X-Absent"]),
    { part: [], text: { _tag: "HeaderFields", not: true, fields: ["Subject"] } },
    spec.whole([9]),
    spec.mime([9])
  ]
  for (const { path, message: isMessage } of allPaths(message.bodyStructure)) {
    sections.push(spec.whole(path), spec.mime(path as [number, ...Array<number>]))
    if (isMessage) sections.push(spec.header(path), spec.text(path))
  }
  return sections
}

const sectionName = (s: Command.Section): string => {
  const text = s.text
  const t =
    text === undefined
      ? ""
      : text._tag === "HeaderFields"
        ? `HEADER.FIELDS${text.not ? ".NOT" : ""} (${text.fields.join(" ").toUpperCase()})`
        : text._tag.toUpperCase()
  return [...s.part.map(String), ...(t === "" ? [] : [t])].join(".")
}

/** JSON round trip: drops keys whose value is undefined, so absent and undefined compare equal. */
const plain = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)))

const options = (user: string): ImapConfig.ImapClientOptions => ({
  host: server.host,
  port: server.port,
  tls: "none",
  auth: ImapConfig.password(user, server.password)
})

describe("Message against Dovecot", { timeout: 60_000 }, () => {
  it.live("size, envelope, bodystructure and every section equal Dovecot's for each corpus message", () =>
    Effect.gen(function* () {
      const client = yield* ImapClient.make(options(freshUser("mime")))
      const differences: Array<string> = []
      const same = (ours: unknown, theirs: unknown, what: string) => {
        const a = JSON.stringify(plain(ours))
        const b = JSON.stringify(plain(theirs))
        if (a !== b) differences.push(`${what}\n  ours:    ${a}\n  Dovecot: ${b}`)
      }
      for (const item of corpus) yield* client.append("INBOX", item.raw)
      yield* client.examine("INBOX")
      for (const [index, item] of corpus.entries()) {
        const model = Message.parse(item.raw)
        const sections = sectionsFor(model)
        const fetched = yield* client
          .fetch(SequenceSet.single("uid", SequenceSet.Uid(index + 1)), [
            { _tag: "Rfc822Size" },
            { _tag: "Envelope" },
            { _tag: "BodyStructure" },
            ...sections.map((section) => ({ _tag: "BodySection" as const, peek: true, section }))
          ])
          .pipe(Stream.runCollect)
        const attributes = Object.assign({}, ...fetched.map((f) => f.attributes))
        const label = `${item.name}`
        same(model.size, attributes.size, `${label}: RFC822.SIZE`)
        same(model.envelope, attributes.envelope, `${label}: ENVELOPE`)
        same(model.bodyStructure, attributes.bodyStructure, `${label}: BODYSTRUCTURE`)
        const bodies = new Map<string, Uint8Array | undefined>()
        for (const f of fetched) for (const b of f.attributes.body ?? []) bodies.set(b.section.toUpperCase(), b.data)
        for (const section of sections) {
          const name = sectionName(section)
          const theirs = bodies.get(name)
          const ours = Message.section(model, section)
          same(
            Buffer.from(ours ?? []).toString("latin1"),
            Buffer.from(theirs ?? []).toString("latin1"),
            `${label}: BODY[${name}]`
          )
        }
      }
      assert.deepStrictEqual(differences, [])
    })
  )
})
