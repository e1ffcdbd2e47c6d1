/**
 * The client's integration tests that do not depend on Dovecot's own behaviour run on two servers:
 * the run's Dovecot and @pkg/testing's in-process server (one per worker, InProcessServer.ts). A
 * `Backend` is what those tests need of either: where it listens, the one password, fresh users,
 * mail delivered from outside, and cutting a user's connections.
 */
import { Effect } from "effect"
import { beforeAll } from "vitest"
import * as InProcessServer from "./InProcessServer.ts"
import { dovecot, freshUser } from "./TestServer.ts"

export type BackendName = "dovecot" | "testing"
export const backendNames: ReadonlyArray<BackendName> = ["dovecot", "testing"]

export interface Backend {
  readonly name: BackendName
  readonly host: string
  readonly port: number
  /** Implicit TLS, with the certificate in `caPath`. */
  readonly tlsPort: number
  readonly caPath: string
  readonly password: string
  /** A user nobody else has used, who logs in with `password`. */
  readonly freshUser: (prefix?: string) => string
  /** Mail arriving from outside (a delivery agent), creating the mailbox if needed. */
  readonly deliver: (user: string, mailbox: string, rfc822: string) => Promise<void>
  readonly importMany: (user: string, mailbox: string, messages: ReadonlyArray<string>) => Promise<void>
  /** Ends the user's sessions from the server's side, as an administrator would. */
  readonly kick: (user: string) => Promise<void>
}

const fromDovecot = (): Backend => {
  const d = dovecot()
  return {
    name: "dovecot",
    host: d.host,
    port: d.port,
    tlsPort: d.tlsPort,
    caPath: d.caPath,
    password: d.password,
    freshUser,
    deliver: (user, mailbox, rfc822) => d.deliver(user, mailbox, rfc822),
    importMany: (user, mailbox, messages) => d.importMany(user, mailbox, messages),
    kick: (user) => d.kick(user)
  }
}

const fromInProcess = (s: InProcessServer.InProcess): Backend => {
  const deliver = async (user: string, mailbox: string, rfc822: string) => {
    const existing = await Effect.runPromise(s.handle.mailbox(user, mailbox))
    if (existing === undefined) await Effect.runPromise(s.handle.createMailbox(user, mailbox))
    await Effect.runPromise(s.handle.deliver(user, mailbox, rfc822))
  }
  return {
    name: "testing",
    host: s.handle.host,
    port: s.handle.port,
    tlsPort: s.handle.tlsPort ?? 0,
    caPath: s.caPath,
    password: s.password,
    freshUser: (prefix) => {
      const user = freshUser(prefix)
      Effect.runSync(s.handle.addAccount({ user, password: s.password }))
      return user
    },
    deliver,
    importMany: async (user, mailbox, messages) => {
      for (const m of messages) await deliver(user, mailbox, m)
    },
    kick: async (user) => {
      await Effect.runPromise(s.handle.kick(user))
    }
  }
}

/**
 * The backend `name`, for a `describe.each(backendNames)` block: Dovecot at once; the in-process
 * server is started in the block's `beforeAll`, so its fields are read inside tests.
 */
export const backend = (name: BackendName): Backend => {
  if (name === "dovecot") return fromDovecot()
  let resolved: Backend | undefined
  beforeAll(async () => {
    resolved = fromInProcess(await InProcessServer.start())
  })
  const get = (): Backend => {
    if (resolved === undefined) throw new Error("the in-process server starts in beforeAll")
    return resolved
  }
  return {
    name,
    get host() {
      return get().host
    },
    get port() {
      return get().port
    },
    get tlsPort() {
      return get().tlsPort
    },
    get caPath() {
      return get().caPath
    },
    get password() {
      return get().password
    },
    freshUser: (prefix) => get().freshUser(prefix),
    deliver: (...a) => get().deliver(...a),
    importMany: (...a) => get().importMany(...a),
    kick: (user) => get().kick(user)
  }
}
