/**
 * An IMAP server in the test process, on loopback: one clear-text port (with STARTTLS) and one
 * implicit-TLS port, a self-signed certificate (made once per process) whose PEM the handle gives
 * to the client, and in-memory accounts shared by every connection. `make` gives the handle in a scope, `layer`
 * provides it as the `TestServer` service; the handle seeds accounts and mail, delivers mail while
 * a client idles, injects faults and tells what the client sent.
 *
 * @example
 * ```ts
 * import { ImapClient } from "@pkg/client"
 * import { TestServer } from "@pkg/testing"
 * import { Effect, Layer } from "effect"
 *
 * // The client under test, logged in as alice on the server the test layer started.
 * const client = Layer.unwrap(Effect.map(TestServer.config("alice"), ImapClient.layer))
 * export const test = client.pipe(
 *   Layer.provideMerge(TestServer.layer({ accounts: [{ user: "alice", password: "secret" }] }))
 * )
 * ```
 *
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as net from "node:net"
import * as tls from "node:tls"
import * as Behaviour from "./Behaviour.ts"
import type { Fault } from "./Fault.ts"
import * as Certificate from "./internal/Certificate.ts"
import { type Received, type ServerContext, serve } from "./internal/Connection.ts"
import { Faults } from "./internal/Faults.ts"
import { Io } from "./internal/Io.ts"
import type { Session } from "./internal/Session.ts"
import { Store } from "./internal/Store.ts"

export type {
  /** A command as the server received it: connection number, tag and the typed command (secrets `Redacted`). */
  Received
} from "./internal/Connection.ts"

/** A message to seed or deliver: raw RFC 5322 text or bytes, with optional flags and internal date. */
export type MessageInput =
  | string
  | Uint8Array
  | {
      readonly raw: string | Uint8Array
      readonly flags?: ReadonlyArray<string> | undefined
      readonly internalDate?: Date | undefined
    }

/** A mailbox to seed: its special use (`\Sent`, `\Trash`, ...) and messages. */
export interface MailboxSeed {
  readonly specialUse?: string | undefined
  readonly messages?: ReadonlyArray<MessageInput> | undefined
}

/** An account to seed: INBOX always exists; `tokens` are OAuth access tokens that log this user in. */
export interface AccountSeed {
  readonly user: string
  readonly password?: string | undefined
  readonly tokens?: ReadonlyArray<string> | undefined
  readonly mailboxes?: Readonly<Record<string, MailboxSeed>> | undefined
}

/** Options of `make` and `layer`. */
export interface Options {
  /** A whole behaviour (a profile) or fields that replace the defaults'. */
  readonly behaviour?: Partial<Behaviour.ServerBehaviour> | undefined
  readonly accounts?: ReadonlyArray<AccountSeed> | undefined
  /** Faults armed before the first connection. */
  readonly faults?: ReadonlyArray<Fault> | undefined
  /** Serve TLS (implicit port and STARTTLS). Default true. */
  readonly tls?: boolean | undefined
}

/**
 * Connection options for `@pkg/client`'s `ImapClient.make` / `layer`: the same shape as
 * `ImapClientOptions` (this package does not depend on the client).
 */
export interface ClientOptions {
  readonly host: string
  readonly port: number
  readonly tls: "implicit" | "starttls" | "none"
  readonly tlsOptions?: { readonly ca: string; readonly servername: string } | undefined
  readonly auth:
    | {
        readonly _tag: "Password"
        readonly user: string
        readonly password: Redacted.Redacted<string>
        readonly mechanism?: "LOGIN" | "PLAIN" | undefined
      }
    | {
        readonly _tag: "OAuth2"
        readonly user: string
        readonly accessToken: Redacted.Redacted<string>
        readonly mechanism?: "XOAUTH2" | "OAUTHBEARER" | undefined
      }
}

/** How `config` logs in and connects. */
export interface ConfigOptions {
  /** Default "none" (clear text). */
  readonly tls?: "implicit" | "starttls" | "none" | undefined
  /** Password mechanism, or an OAuth mechanism with a token the server issues (`issueToken`). */
  readonly mechanism?: "LOGIN" | "PLAIN" | "XOAUTH2" | "OAUTHBEARER" | undefined
  /** An access token to log in with (OAuth mechanisms); default a fresh one from `issueToken`. */
  readonly token?: string | undefined
}

/** The running server and what a test does with it. */
export interface TestServerHandle {
  readonly host: string
  /** Clear text, STARTTLS offered when TLS is on. */
  readonly port: number
  /** Implicit TLS; undefined when TLS is off. */
  readonly tlsPort: number | undefined
  /** The certificate's PEM, to trust as a CA (`tlsOptions.ca`); undefined when TLS is off. */
  readonly ca: string | undefined
  readonly behaviour: Behaviour.ServerBehaviour
  /** Client options to log in as `user` (password accounts use their password). */
  readonly config: (user: string, options?: ConfigOptions) => ClientOptions
  readonly addAccount: (seed: AccountSeed) => Effect.Effect<void>
  readonly createMailbox: (user: string, name: string, seed?: MailboxSeed) => Effect.Effect<void>
  /**
   * Delivers a message (as an MTA would): selected sessions are told, idling ones at once. Its UID.
   * An unknown user or mailbox is created (the user with an empty password).
   */
  readonly deliver: (user: string, mailbox: string, message: MessageInput) => Effect.Effect<number>
  /** Replaces a message's flags from outside (another client): selected sessions get FETCH FLAGS. */
  readonly setFlags: (user: string, mailbox: string, uid: number, flags: ReadonlyArray<string>) => Effect.Effect<void>
  /** Expunges messages from outside: selected sessions get EXPUNGE (VANISHED under QRESYNC). */
  readonly expunge: (user: string, mailbox: string, uids: ReadonlyArray<number>) => Effect.Effect<void>
  /** The mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and messages (UID, flags). */
  readonly mailbox: (
    user: string,
    name: string
  ) => Effect.Effect<
    | {
        readonly uidValidity: number
        readonly uidNext: number
        readonly highestModSeq: bigint
        readonly messages: ReadonlyArray<{ readonly uid: number; readonly flags: ReadonlyArray<string> }>
      }
    | undefined
  >
  /** A new access token that logs `user` in (XOAUTH2, OAUTHBEARER) until expired. */
  readonly issueToken: (user: string) => Effect.Effect<string>
  /** Every command received so far, in order, secrets still `Redacted`. */
  readonly received: Effect.Effect<ReadonlyArray<Received>>
  readonly inject: (fault: Fault) => Effect.Effect<void>
  /** Removes the faults not spent (and the lasting ones: Slow, WithholdExists, DelayExists). */
  readonly clearFaults: Effect.Effect<void>
  /** Connections open now. */
  readonly connections: Effect.Effect<number>
  /**
   * Drops connections at once, as a crashed server process would (no BYE): every one, or the one
   * whose client end is `remotePort`. How many.
   */
  readonly disconnect: (which?: { readonly remotePort?: number | undefined }) => Effect.Effect<number>
  /**
   * Ends every session logged in as `user` with `* BYE text`, as an administrator's kick does
   * (Dovecot's `doveadm kick`). How many.
   */
  readonly kick: (user: string, text?: string) => Effect.Effect<number>
}

/** The `TestServer` service: the handle of a server started by `layer`. */
export class TestServer extends Context.Service<TestServer, TestServerHandle>()("@pkg/testing/TestServer") {}

const encoder = new TextEncoder()

const toMessage = (m: MessageInput) => {
  const input = typeof m === "string" || m instanceof Uint8Array ? { raw: m } : m
  return {
    raw: typeof input.raw === "string" ? encoder.encode(input.raw) : input.raw,
    flags: "flags" in input ? (input.flags ?? []) : [],
    internalDate: ("internalDate" in input ? input.internalDate : undefined) ?? new Date()
  }
}

const listen = (server: net.Server): Effect.Effect<number, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
    }),
    () =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const seedAccount = (store: Store, seed: AccountSeed): void => {
  const account = store.addAccount(seed.user, seed.password ?? "")
  for (const token of seed.tokens ?? []) store.tokens.set(token, seed.user)
  for (const [name, mailboxSeed] of Object.entries(seed.mailboxes ?? {}))
    seedMailbox(store, seed.user, name, mailboxSeed)
  void account
}

const seedMailbox = (store: Store, user: string, name: string, seed: MailboxSeed | undefined): void => {
  const account = store.account(user) ?? store.addAccount(user, "")
  const mailbox = account.create(name, seed?.specialUse)
  if (seed?.specialUse !== undefined) mailbox.specialUse = seed.specialUse
  for (const m of seed?.messages ?? []) {
    const { raw, flags, internalDate } = toMessage(m)
    mailbox.append(raw, flags, internalDate)
  }
}

/** Starts a server for the scope's lifetime; closing the scope closes every connection. */
export const make = (options: Options = {}): Effect.Effect<TestServerHandle, never, Scope.Scope> =>
  Effect.gen(function* () {
    const behaviour = Behaviour.make(options.behaviour ?? {})
    const store = new Store()
    for (const a of options.accounts ?? []) seedAccount(store, a)
    const faults = new Faults()
    for (const f of options.faults ?? []) faults.inject(f)
    const certificate = options.tls === false ? undefined : Certificate.shared()
    const tlsContext = certificate === undefined ? undefined : tls.createSecureContext(certificate)
    const received: Array<Received> = []
    const sessions = new Set<Session>()
    const sockets = new Set<net.Socket>()
    const ctx: ServerContext = { store, behaviour, faults, tlsContext, sessions, record: (r) => received.push(r) }
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    let nextId = 0
    const accept = (secure: boolean) => (socket: net.Socket) => {
      socket.setNoDelay(true)
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      nextId += 1
      runFork(serve(new Io(socket), ctx, nextId, secure))
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
      })
    )
    const port = yield* listen(
      net.createServer((s) => {
        accept(false)(s)
      })
    )
    const tlsPort =
      certificate === undefined
        ? undefined
        : yield* listen(
            tls.createServer({ ...certificate }, (s) => {
              accept(true)(s)
            })
          )
    const find = (user: string, name: string) => store.account(user)?.mailbox(name)
    const issue = (user: string): string => {
      const token = `token-${randomBytes(12).toString("hex")}`
      store.tokens.set(token, user)
      return token
    }
    const handle: TestServerHandle = {
      host: "127.0.0.1",
      port,
      tlsPort,
      ca: certificate?.cert,
      behaviour,
      config: (user, o) => clientOptions(handle, store, user, o, issue),
      addAccount: (seed) => Effect.sync(() => seedAccount(store, seed)),
      createMailbox: (user, name, seed) => Effect.sync(() => seedMailbox(store, user, name, seed)),
      deliver: (user, mailbox, message) =>
        Effect.sync(() => {
          const target = find(user, mailbox) ?? store.addAccount(user, "").create(mailbox)
          const { raw, flags, internalDate } = toMessage(message)
          return target.append(raw, flags, internalDate).uid
        }),
      setFlags: (user, mailbox, uid, flags) =>
        Effect.sync(() => {
          const target = find(user, mailbox)
          const m = target?.byUid(uid)
          if (target !== undefined && m !== undefined) target.setFlags(m, new Set(flags), undefined, false)
        }),
      expunge: (user, mailbox, uids) => Effect.sync(() => find(user, mailbox)?.expunge(uids)),
      mailbox: (user, name) =>
        Effect.sync(() => {
          const m = find(user, name)
          return m === undefined
            ? undefined
            : {
                uidValidity: m.uidValidity,
                uidNext: m.uidNext,
                highestModSeq: m.highestModSeq,
                messages: m.messages.map((x) => ({ uid: x.uid, flags: [...x.flags] }))
              }
        }),
      issueToken: (user) => Effect.sync(() => issue(user)),
      received: Effect.sync(() => [...received]),
      inject: (fault) => Effect.sync(() => applyFault(ctx, fault)),
      clearFaults: Effect.sync(() => faults.clear()),
      connections: Effect.sync(() => sockets.size),
      disconnect: (which) =>
        Effect.sync(() => {
          let dropped = 0
          for (const s of sockets) {
            if (which?.remotePort !== undefined && s.remotePort !== which.remotePort) continue
            s.destroy()
            dropped += 1
          }
          return dropped
        }),
      kick: (user, text = "Disconnected by an administrator") =>
        Effect.sync(() => {
          let kicked = 0
          for (const session of [...sessions]) {
            if (session.account?.user !== user) continue
            session.kick(text)
            kicked += 1
          }
          return kicked
        })
    }
    return handle
  })

/** Arms a fault, or applies at once the ones that act on the store (UIDVALIDITY, tokens). */
const applyFault = (ctx: ServerContext, fault: Fault): void => {
  switch (fault._tag) {
    case "ExpireToken":
      ctx.store.expiredTokens.add(fault.token)
      return
    case "ChangeUidValidity": {
      const mailbox = ctx.store.account(fault.user)?.mailbox(fault.mailbox)
      if (mailbox === undefined) return
      mailbox.resetUidValidity()
      // The sessions selected on it can no longer trust their UIDs: told BYE, as after a rebuild.
      for (const s of ctx.sessions) if (s.selected?.mailbox === mailbox) s.kick("Mailbox UIDVALIDITY changed")
      return
    }
    default:
      ctx.faults.inject(fault)
  }
}

const clientOptions = (
  handle: TestServerHandle,
  store: Store,
  user: string,
  options: ConfigOptions | undefined,
  issue: (user: string) => string
): ClientOptions => {
  const mode = options?.tls ?? "none"
  const port = mode === "implicit" ? handle.tlsPort : handle.port
  if (port === undefined) throw new Error("TestServer.config: implicit TLS asked of a server started with tls: false")
  const mechanism = options?.mechanism
  const auth: ClientOptions["auth"] =
    mechanism === "XOAUTH2" || mechanism === "OAUTHBEARER"
      ? { _tag: "OAuth2", user, accessToken: Redacted.make(options?.token ?? issue(user)), mechanism }
      : {
          _tag: "Password",
          user,
          password: Redacted.make(store.account(user)?.password ?? ""),
          ...(mechanism === undefined ? {} : { mechanism })
        }
  return {
    host: handle.host,
    port,
    tls: mode,
    ...(mode !== "none" && handle.ca !== undefined ? { tlsOptions: { ca: handle.ca, servername: "localhost" } } : {}),
    auth
  }
}

/** Provides `TestServer` for the layer's lifetime. */
export const layer = (options: Options = {}): Layer.Layer<TestServer> => Layer.effect(TestServer, make(options))

/** Client options for `user` from the `TestServer` service (see `TestServerHandle.config`). */
export const config = (user: string, options?: ConfigOptions): Effect.Effect<ClientOptions, never, TestServer> =>
  Effect.map(TestServer, (server) => server.config(user, options))
