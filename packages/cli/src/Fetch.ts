/**
 * `imap fetch UID`: the raw message (BODY.PEEK[]), one MIME part (BODY.PEEK[SECTION]) or the header
 * (BODY.PEEK[HEADER]) as bytes on stdout. PEEK, and EXAMINE, so fetching never marks it \Seen.
 */
import { Command as ImapCommand, SequenceSet } from "@pkg/protocol"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Arguments from "./Arguments.ts"
import { OperationFailed, UsageError } from "./ExitCode.ts"
import { withCheckedSession } from "./Root.ts"

type Section = ImapCommand.Section

/** `HEADER`, `TEXT`, `MIME`, or a name and its field list as typed: `HEADER.FIELDS (From Subject)`. */
const textSpec = (text: string, hasPart: boolean): ImapCommand.SectionText | undefined => {
  const m = /^([A-Za-z.]+)(?:\s*\(([^()]*)\))?$/.exec(text)
  if (m === null) return undefined
  const fields = m[2]
    ?.trim()
    .split(/\s+/)
    .filter((f) => f !== "")
  return ImapCommand.sectionText(m[1]!, hasPart, fields)
}

/**
 * An IMAP section spec (RFC 9051 6.4.5) as typed on the command line: `1`, `1.2`, `2.MIME`,
 * `1.TEXT`, `HEADER`, `TEXT`, `HEADER.FIELDS (From Subject)`.
 */
export const parseSection = (spec: string): Section | undefined => {
  const s = spec.trim()
  const m = /^([1-9][0-9]*(?:\.[1-9][0-9]*)*)(?:\.(.+))?$/.exec(s)
  if (m === null) {
    const text = textSpec(s, false)
    return text === undefined ? undefined : { part: [], text }
  }
  const part = m[1]!.split(".").map(Number)
  // A part number is an nz-number like a UID (RFC 9051 9 `section-part`).
  if (!part.every(Arguments.isUid)) return undefined
  if (m[2] === undefined) return { part }
  const text = textSpec(m[2], true)
  return text === undefined ? undefined : { part, text }
}

const writeStdout = (bytes: Uint8Array) =>
  Effect.callback<void>((resume) => {
    process.stdout.write(bytes, () => resume(Effect.void))
  })

export const fetch = Command.make(
  "fetch",
  {
    uid: Argument.Int("uid").pipe(
      Argument.filterMap(
        (n) => (Arguments.isUid(n) ? Option.some(n) : Option.none()),
        (n) => `Expected a UID from 1 to ${SequenceSet.MAX}, got ${n}`
      ),
      Argument.withDescription("UID of the message (see `imap subjects`)")
    ),
    part: Flag.String("part").pipe(
      Flag.withMetavar("SECTION"),
      Flag.withDescription("Only this part: 1, 1.2, 2.MIME, 1.TEXT, TEXT, HEADER.FIELDS (From Subject), ..."),
      Flag.optional
    ),
    headers: Flag.Boolean("headers").pipe(Flag.withDescription("Only the message header"), Flag.withDefault(false))
  },
  withCheckedSession(
    ({ uid, part, headers }) =>
      Effect.gen(function* () {
        if (headers && Option.isSome(part)) {
          return yield* new UsageError({ message: "use either --part or --headers, not both" })
        }
        const section: Section | undefined = headers
          ? ImapCommand.SectionSpec.header()
          : Option.isSome(part)
            ? parseSection(part.value)
            : ImapCommand.SectionSpec.whole()
        if (section === undefined) {
          return yield* new UsageError({ message: `--part: not a section: ${Option.getOrElse(part, () => "")}` })
        }
        return { uid, section }
      }),
    ({ client, flags }, { uid, section }) =>
      Effect.gen(function* () {
        yield* client.examine(flags.mailbox)
        // Partial fetches, written as they come: a 50 MB message is never held whole. The section
        // is taken from whichever FETCH response carries it, and its absence is an error.
        yield* client.fetchBody(SequenceSet.Uid(uid), section).pipe(
          // Copied: the parser hands out views into its receive buffer.
          Stream.runForEach((chunk) => writeStdout(Uint8Array.from(chunk))),
          Effect.catchIf(
            (e) => e.reason._tag === "CommandFailed" && e.reason.code === "NONEXISTENT",
            () => Effect.fail(new OperationFailed({ message: `no message with UID ${uid} in ${flags.mailbox}` }))
          )
        )
      })
  )
).pipe(
  Command.withDescription(
    "Write a message as raw bytes to stdout (BODY.PEEK[]), or one part (--part SECTION) or its header (--headers)"
  )
)
