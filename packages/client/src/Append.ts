/**
 * A session's APPEND: a message added to a mailbox, and its new UID where the server has UIDPLUS
 * (APPENDUID, RFC 4315).
 */
import { Command } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import { fromReason, MissingCapability } from "./ImapError.ts"
import type { AppendResult, ImapSession } from "./ImapSession.ts"
import type { Operations, SessionContext } from "./internal/SessionContext.ts"

const encoder = new TextEncoder()

const append = Effect.fn("ImapClient.append")(function* (
  ctx: SessionContext,
  mailbox: string,
  message: Uint8Array | string,
  opts?: { readonly flags?: ReadonlyArray<string>; readonly internalDate?: Date }
) {
  const bytes = typeof message === "string" ? encoder.encode(message) : message
  // NUL can only travel in a literal8 (RFC 3516): without BINARY the server cannot take this
  // message, which is the server's lack, not bad input; refused before anything is sent.
  if (bytes.includes(0) && !ctx.has("BINARY")) {
    return yield* Effect.fail(
      fromReason(new MissingCapability({ capability: "BINARY", operation: "APPEND of a message with NUL bytes" }))
    )
  }
  const code = (yield* ctx.run(Command.append(mailbox, bytes, opts))).code
  return code?._tag === "AppendUid"
    ? ({ uidValidity: code.uidValidity, uid: code.uids[0] } satisfies AppendResult)
    : ({ uidValidity: undefined, uid: undefined } satisfies AppendResult)
})

/** Defined once, called with the session's context (see Messages.operations). */
export const operations: Operations<Pick<ImapSession, "append">> = {
  append: (ctx) => (mailbox, message, options) => append(ctx, mailbox, message, options)
}
