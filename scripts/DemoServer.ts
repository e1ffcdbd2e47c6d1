/**
 * The demo's throwaway IMAP server: a private Dovecot where Dovecot's IMAP server is installed, else
 * `@pkg/testing`'s in-process server (nothing to install). Either serves implicit TLS with its own
 * CA, one user, and takes mail "from outside" (as a delivery agent would).
 */
import * as Effect from "effect/Effect"
import { existsSync } from "node:fs"
import * as Dovecot from "../test/support/Dovecot.ts"
import * as InProcessServer from "../test/support/InProcessServer.ts"

export interface DemoServer {
  /** What it is, as the demo says it. */
  readonly name: string
  /** What it does before announcing new mail, as the demo says it. */
  readonly notificationNote: string
  readonly host: string
  readonly tlsPort: number
  readonly caPath: string
  readonly password: string
  readonly deliver: (user: string, mailbox: string, rfc822: string) => Promise<void>
  readonly stop: () => Promise<void>
}

/** Whether Dovecot's IMAP server is installed (dovecot-core alone has none). */
export const dovecotInstalled = (): boolean =>
  ["/usr/sbin/dovecot", "/usr/bin/dovecot"].some((p) => existsSync(p)) &&
  ["/usr/lib/dovecot/imap", "/usr/libexec/dovecot/imap"].some((p) => existsSync(p))

const dovecot = async (): Promise<DemoServer> => {
  const server = await Dovecot.start()
  return {
    name: "a private Dovecot",
    notificationNote: "Dovecot holds each notification about half a second before sending it",
    host: server.host,
    tlsPort: server.tlsPort,
    caPath: server.caPath,
    password: server.password,
    deliver: (user, mailbox, rfc822) => server.deliver(user, mailbox, rfc822),
    stop: () => server.stop()
  }
}

const inProcess = async (user: string): Promise<DemoServer> => {
  const password = "demo-password"
  const { handle, caPath, stop } = await InProcessServer.startWithCaFile(
    { accounts: [{ user, password }] },
    "effect-imap-demo-"
  )
  return {
    name: "@pkg/testing's in-process server (Dovecot is not installed)",
    notificationNote: "this server announces each message at once",
    host: handle.host,
    tlsPort: handle.tlsPort ?? 0,
    caPath,
    password,
    deliver: async (to, mailbox, rfc822) => {
      await Effect.runPromise(handle.deliver(to, mailbox, rfc822))
    },
    stop
  }
}

/**
 * Which server the demo runs: `choice` ("dovecot" or "testing", from DEMO_SERVER) if given, else
 * Dovecot where installed and the in-process server otherwise.
 */
export const choose = (choice: string | undefined, installed: boolean): "dovecot" | "testing" =>
  choice === "testing" ? "testing" : choice === "dovecot" || installed ? "dovecot" : "testing"

/** Starts the server `choose` picks. */
export const start = (user: string, choice: string | undefined): Promise<DemoServer> =>
  choose(choice, dovecotInstalled()) === "dovecot" ? dovecot() : inProcess(user)
