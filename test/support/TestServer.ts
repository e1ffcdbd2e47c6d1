// What an integration test file uses to reach the run's shared Dovecot (started by globalSetup.ts):
// the injected connection details plus the server-side actions (kick, deliver, importMany,
// createMailbox), and `freshUser` so each file or test gets a mailbox store nobody else touches.
import { randomBytes } from "node:crypto"
import { inject } from "vitest"
import * as Dovecot from "./Dovecot.ts"

export type { DovecotInfo } from "./Dovecot.ts"

export interface TestDovecot extends Dovecot.DovecotInfo, Dovecot.DovecotActions {}

export const dovecot = (): TestDovecot => {
  // globalSetup provides nothing when Dovecot is not installed, despite the declared type.
  const info = inject("dovecot") as Dovecot.DovecotInfo | undefined
  if (info === undefined)
    throw new Error("no Dovecot for this run: install it (apt-get install dovecot-imapd) or use ./run test")
  return {
    ...info,
    kick: (user) => Dovecot.kick(info.configPath, user),
    deliver: (user, mailbox, rfc822) => Dovecot.deliver(info.configPath, user, mailbox, rfc822),
    importMany: (user, mailbox, messages) => Dovecot.importMany(info, user, mailbox, messages),
    createMailbox: (user, name) => Dovecot.createMailbox(info.configPath, user, name)
  }
}

let counter = 0

/**
 * A username no other test (in any worker, or an earlier run) has used; any name logs in with the shared
 * password. Lower-case and restricted to Dovecot's default `auth_username_chars`, because Dovecot
 * lower-cases logins (`auth_username_format = %Lu`) and rejects other characters.
 */
export const freshUser = (prefix = "user"): string => {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9._-]+/g, "-")
  counter += 1
  return `${clean}-${process.pid}-${counter}-${randomBytes(3).toString("hex")}`
}
