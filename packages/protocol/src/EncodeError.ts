/**
 * The one error the command encoder produces: a value that cannot be put on the wire safely (a CR,
 * LF or NUL where no literal is allowed, an invalid keyword or number, an ill-formed string). The
 * encoder returns it in a `Result` rather than throwing; see `CommandEncoder`.
 */
import * as Data from "effect/Data"

/** A value the encoder refused to put on the wire; `field` names where it was, e.g. `LOGIN.user`. */
export class EncodeError extends Data.TaggedError("EncodeError")<{
  readonly message: string
  /** Where in the command the bad value was, e.g. `LOGIN.user` or `STORE.flags[2]`. */
  readonly field: string
}> {}
