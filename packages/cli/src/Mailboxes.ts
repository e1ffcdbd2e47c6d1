/** `imap capabilities` and `imap list`: what the server offers and which mailboxes exist. */
import type { MailboxInfo } from "@pkg/client"
import type { StatusItems } from "@pkg/protocol"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as Output from "./Output.ts"
import { withSession } from "./Root.ts"
import * as TerminalText from "./TerminalText.ts"

export const capabilities = Command.make(
  "capabilities",
  {},
  withSession(({ client, format }) =>
    Effect.gen(function* () {
      const caps = Array.from(yield* client.capabilities)
      if (format === "json") return yield* Output.stdout(Output.toJson(caps))
      for (const c of caps) yield* Output.stdout(TerminalText.field(c))
    })
  )
).pipe(Command.withDescription("Print the server's capabilities after login, one per line (--json: an array)"))

const statusLine = (s: StatusItems): string =>
  [
    s.messages !== undefined ? `messages=${s.messages}` : undefined,
    s.recent !== undefined ? `recent=${s.recent}` : undefined,
    s.unseen !== undefined ? `unseen=${s.unseen}` : undefined,
    s.uidNext !== undefined ? `uidnext=${s.uidNext}` : undefined,
    s.uidValidity !== undefined ? `uidvalidity=${s.uidValidity}` : undefined
  ]
    .filter((x) => x !== undefined)
    .join(" ")

/** Name, attributes and counts, tab-separated; the server's names are fields (`TerminalText.field`). */
export const mailboxLine = (m: MailboxInfo): string =>
  [
    TerminalText.field(m.name),
    m.attributes.map(TerminalText.field).join(" ") || "-",
    ...(m.status === undefined ? [] : [statusLine(m.status)])
  ].join("\t")

const mailboxJson = (m: MailboxInfo) => ({
  name: m.name,
  delimiter: m.delimiter ?? null,
  attributes: m.attributes,
  specialUse: m.specialUse ?? null,
  ...(m.status === undefined
    ? {}
    : {
        status: {
          messages: m.status.messages ?? null,
          recent: m.status.recent ?? null,
          unseen: m.status.unseen ?? null,
          uidNext: m.status.uidNext ?? null,
          uidValidity: m.status.uidValidity ?? null
        }
      })
})

export const list = Command.make(
  "list",
  {
    status: Flag.Boolean("status").pipe(
      Flag.withDescription("Also print message counts (messages, recent, unseen) and UIDNEXT/UIDVALIDITY"),
      Flag.withDefault(false)
    )
  },
  withSession(({ client, format }, { status }) =>
    Effect.gen(function* () {
      const boxes = yield* client.list(
        "*",
        status ? { status: ["MESSAGES", "RECENT", "UNSEEN", "UIDNEXT", "UIDVALIDITY"] } : undefined
      )
      for (const m of boxes) yield* Output.item(format, mailboxLine(m), mailboxJson(m))
    })
  )
).pipe(
  Command.withDescription(
    "List mailboxes: name, attributes (special use such as \\Sent included), and with --status their counts"
  )
)
