// Holds the MIME model to a real Dovecot: APPENDs messages, fetches RFC822.SIZE, ENVELOPE,
// BODYSTRUCTURE and every section back (`[]`, `[HEADER]`, `[TEXT]`, `[HEADER.FIELDS (...)]`,
// `[HEADER.FIELDS.NOT (...)]`, for each part `[n]`, `[n.MIME]`, `[n.HEADER]` / `[n.TEXT]`, and parts
// that do not exist) and lists every answer of `Message.parse` / `Message.section` that differs.
import { ImapClient, ImapConfig } from "@pkg/client"
import { type BodyStructure, Command, SequenceSet } from "@pkg/protocol"
import { Effect, Stream } from "effect"
import { dovecot, freshUser } from "../../../test/support/TestServer.ts"
import * as Message from "../src/Message.ts"

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

/** Every part path of a message: a single-part message has one part, 1 (entered when it is message/rfc822). */
const allPaths = (s: BodyStructure): Array<PartPath> => {
  if (s._tag === "Multipart") return partPaths(s, [], [])
  const out: Array<PartPath> = [{ path: [1], message: s._tag === "MessagePart" }]
  if (s._tag === "MessagePart") encapsulated(s.body, [1], out)
  return out
}

export const sectionsFor = (message: Message.Message): ReadonlyArray<Command.Section> => {
  const spec = Command.SectionSpec
  const sections: Array<Command.Section> = [
    spec.whole(),
    spec.header(),
    spec.text(),
    spec.headerFields(["Subject", "From", "X-Absent"]),
    { part: [], text: { _tag: "HeaderFields", not: true, fields: ["Subject"] } },
    spec.whole([9]),
    spec.mime([9]),
    spec.whole([1, 9]),
    spec.header([1]),
    spec.text([1]),
    spec.whole([1, 1, 1])
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

/**
 * Appends `messages` to a fresh Dovecot user's INBOX and compares; the differences, each named by
 * the message's label and the item, with both answers (empty when the model agrees everywhere).
 */
export const differences = (messages: ReadonlyArray<{ readonly name: string; readonly raw: Uint8Array }>) =>
  Effect.gen(function* () {
    const server = dovecot()
    const client = yield* ImapClient.make({
      host: server.host,
      port: server.port,
      tls: "none",
      auth: ImapConfig.password(freshUser("mime"), server.password)
    })
    const out: Array<string> = []
    const same = (ours: unknown, theirs: unknown, what: string) => {
      const a = JSON.stringify(plain(ours))
      const b = JSON.stringify(plain(theirs))
      if (a !== b) out.push(`${what}\n  ours:    ${a}\n  Dovecot: ${b}`)
    }
    for (const item of messages) yield* client.append("INBOX", item.raw)
    yield* client.examine("INBOX")
    for (const [index, item] of messages.entries()) {
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
      const label = item.name
      same(model.size, attributes.size, `${label}: RFC822.SIZE`)
      same(model.envelope, attributes.envelope, `${label}: ENVELOPE`)
      same(model.bodyStructure, attributes.bodyStructure, `${label}: BODYSTRUCTURE`)
      const bodies = new Map<string, Uint8Array | undefined>()
      for (const f of fetched) for (const b of f.attributes.body ?? []) bodies.set(b.section.toUpperCase(), b.data)
      for (const section of sections) {
        const name = sectionName(section)
        same(
          Buffer.from(Message.section(model, section) ?? []).toString("latin1"),
          Buffer.from(bodies.get(name) ?? []).toString("latin1"),
          `${label}: BODY[${name}]`
        )
      }
    }
    return out
  }).pipe(Effect.scoped)
