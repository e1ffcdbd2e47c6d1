/**
 * The server's capability set (RFC 9051 7.2.2), with one owner: which responses carry it, its
 * normal form, the store a connection keeps it in, and CAPABILITY to ask for it again. The greeting,
 * STARTTLS, LOGIN/AUTHENTICATE and a CAPABILITY command all replace the whole set; nothing adds to it.
 */
import { Command, type Response } from "@pkg/protocol"
import * as Effect from "effect/Effect"
import * as Commands from "./Commands.ts"
import type { ImapConnection } from "./ImapConnection.ts"
import type { ImapError } from "./ImapError.ts"

/**
 * Sets already made, by their names in order: the sessions of one process mostly talk to one server,
 * whose list (Dovecot's has some 40 names) was otherwise a Set and strings of its own per session,
 * 2.4 KB each (bench/session-memory.ts). Sessions share one (the type is ReadonlySet). Bounded, so a
 * server that varies its list cannot grow it: past the bound the oldest list is forgotten.
 */
const interned = new Map<string, ReadonlySet<string>>()
const internedLimit = 64

/** Capability names are atoms, which compare case-insensitively: the set keeps them upper-cased. */
export const normalise = (names: ReadonlyArray<string>): ReadonlySet<string> => {
  const upper = names.map((c) => c.toUpperCase())
  const key = upper.join(" ")
  const known = interned.get(key)
  if (known !== undefined) return known
  const set: ReadonlySet<string> = new Set(upper)
  if (interned.size >= internedLimit) interned.delete(interned.keys().next().value!)
  interned.set(key, set)
  return set
}

/** Whether `set` (normalised) holds `name`, in whatever case `name` is written. */
export const has = (set: ReadonlySet<string>, name: string): boolean => set.has(name.toUpperCase())

/**
 * The capabilities a response carries, if any: an untagged CAPABILITY, or a CAPABILITY code on an
 * untagged status (the greeting) or on a tagged OK (Dovecot's reply to LOGIN, docs/servers.md). A refusal
 * says nothing about the session, so a NO's or BAD's code is not taken.
 */
export const carriedBy = (r: Response): ReadonlyArray<string> | undefined => {
  switch (r._tag) {
    case "Capability":
      return r.capabilities
    case "UntaggedStatus":
      return r.code?._tag === "Capability" ? r.code.capabilities : undefined
    case "Tagged":
      return r.status === "OK" && r.code?._tag === "Capability" ? r.code.capabilities : undefined
    default:
      return undefined
  }
}

/**
 * A set that names the protocol revision is a whole list. Cyrus's and Dovecot's post-login lists
 * are whole; an empty set (nothing known yet) is not, and neither would be a partial code.
 */
export const isComplete = (set: ReadonlySet<string>): boolean => set.has("IMAP4REV1") || set.has("IMAP4REV2")

/** The set in force on a connection; the reader updates it from every response it dispatches. */
export interface Store {
  readonly current: () => ReadonlySet<string>
  /** Replaces the set when `r` carries one (see `carriedBy`); says whether it did. */
  readonly observe: (r: Response) => boolean
  readonly replace: (names: ReadonlyArray<string>) => void
}

export const makeStore = (initial: ReadonlyArray<string>): Store => {
  let set = normalise(initial)
  return {
    current: () => set,
    observe: (r) => {
      const names = carriedBy(r)
      if (names === undefined) return false
      set = normalise(names)
      return true
    },
    replace: (names) => {
      set = normalise(names)
    }
  }
}

/**
 * CAPABILITY: asks the server and replaces the connection's set with the answer. Every untagged
 * CAPABILITY line of the reply counts (a long list may come in several).
 */
export const refresh = (connection: ImapConnection): Effect.Effect<ReadonlySet<string>, ImapError> =>
  Effect.suspend(() => {
    const names: Array<string> = []
    const request = Commands.request(connection, Command.capability, {
      collect: (r) => {
        if (r._tag !== "Capability") return false
        names.push(...r.capabilities)
        return true
      }
    })
    return connection.run(request).pipe(
      Effect.map(() => {
        connection.setCapabilities(names)
        return connection.capabilities()
      })
    )
  })
