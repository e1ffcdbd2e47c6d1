/**
 * `imap append [FILE]`: stores a message (from FILE, or stdin) in the mailbox and prints the UID it
 * got, which the server reports with UIDPLUS (APPENDUID).
 */
import { Flag as ImapFlag } from "@pkg/protocol"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as fs from "node:fs/promises"
import * as Arguments from "./Arguments.ts"
import { UsageError } from "./ExitCode.ts"
import * as Output from "./Output.ts"
import { cannotRead } from "./Report.ts"
import { withCheckedSession } from "./Root.ts"

const readStdin = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return new Uint8Array(Buffer.concat(chunks))
  },
  catch: (cause) => new UsageError({ message: cannotRead("stdin", cause) })
})

const readFile = (file: string) =>
  Effect.tryPromise({
    try: async () => new Uint8Array(await fs.readFile(file)),
    catch: (cause) => new UsageError({ message: cannotRead(file, cause) })
  })

/**
 * A message saved by a Unix editor has bare LF line ends; IMAP wants CRLF (RFC 5322). Only a
 * message with no CRLF at all is converted, so a message that already has them goes byte for byte.
 */
export const toCrlf = (bytes: Uint8Array): Uint8Array => {
  if (Buffer.from(bytes).includes("\r\n")) return bytes
  return new Uint8Array(Buffer.from(Buffer.from(bytes).toString("latin1").replace(/\n/g, "\r\n"), "latin1"))
}

/** `Seen,flagged` -> `\Seen \Flagged`: system flags may be given without their backslash. */
export const parseFlags = (text: string): ReadonlyArray<string> =>
  text
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "")
    .map((f) => ImapFlag.normalize(!f.startsWith("\\") && ImapFlag.isSystemFlag(`\\${f}`) ? `\\${f}` : f))

export const append = Command.make(
  "append",
  {
    file: Argument.String("file").pipe(
      Argument.withDescription("The message (RFC 5322); stdin when absent or -"),
      Argument.optional
    ),
    flags: Flag.String("flags").pipe(
      Flag.withMetavar("F,..."),
      Flag.withDescription("Flags to set, comma-separated: Seen,Flagged,$Label (backslash optional for system flags)"),
      Flag.optional
    )
  },
  withCheckedSession(
    // The flags are checked and the message read before connecting: a flag IMAP cannot carry, an
    // unreadable file or an empty message is a usage error.
    ({ file, flags: text }) =>
      Effect.gen(function* () {
        const flags = Option.match(text, { onNone: () => [], onSome: parseFlags })
        const problem = flags.map(Arguments.flagProblem).find((p) => p !== undefined)
        if (problem !== undefined) return yield* new UsageError({ message: `--flags: ${problem}` })
        const raw = Option.isSome(file) && file.value !== "-" ? yield* readFile(file.value) : yield* readStdin
        if (raw.length === 0) return yield* new UsageError({ message: "the message is empty" })
        return { message: toCrlf(raw), flags }
      }),
    ({ client, flags: shared, format }, { message, flags }) =>
      Effect.gen(function* () {
        const result = yield* client.append(shared.mailbox, message, { flags })
        if (result.uid === undefined) {
          yield* Output.warning("the server did not report the new UID (it lacks UIDPLUS); the message was stored")
          if (format === "json")
            yield* Output.stdout(Output.toJson({ mailbox: shared.mailbox, uid: null, uidValidity: null }))
          return
        }
        yield* Output.item(format, String(result.uid), {
          mailbox: shared.mailbox,
          uid: result.uid,
          uidValidity: result.uidValidity ?? null
        })
      })
  )
).pipe(Command.withDescription("Append a message (FILE or stdin) to the mailbox and print its new UID"))
