// vitest globalSetup: one private Dovecot, Cyrus and Courier for the whole run, started in parallel and
// shared by every test file through `inject` (see TestServer.ts). Files isolate themselves by logging
// in as fresh users (Dovecot) or working in fresh folders (Cyrus, Courier), so the servers are never
// restarted between files. Stopped (and their temp dirs removed) in the returned teardown.
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import type { TestProject } from "vitest/node"
import * as Courier from "./Courier.ts"
import * as Cyrus from "./Cyrus.ts"
import { type DovecotInfo, start } from "./Dovecot.ts"
import type { AccountServer } from "./ServerProcess.ts"
import type { Provided } from "./TestServer.ts"

declare module "vitest" {
  export interface ProvidedContext {
    dovecot: DovecotInfo
    cyrus: Provided
    courier: Provided
  }
}

const installer = path.join(import.meta.dirname, "..", "..", "scripts", "install-servers.sh")

/** Why Cyrus and Courier cannot run here (the installer's own words), or undefined when they can. */
const notInstalled = async (): Promise<string | undefined> => {
  try {
    await promisify(execFile)("bash", [installer, "--check"])
    return undefined
  } catch (error) {
    return (error as { stderr?: string }).stderr?.trim() || (error as Error).message
  }
}

/** Starts one of them, or says why it cannot; its tests then fail with that reason (they never skip). */
const startAccountServer = async (
  name: string,
  start: () => Promise<AccountServer>,
  missing: string | undefined
): Promise<{ readonly provided: Provided; readonly stop: () => Promise<void> }> => {
  if (missing !== undefined) return { provided: { unavailable: missing }, stop: async () => {} }
  try {
    const { dir: _, stop, ...info } = await start()
    return { provided: { info }, stop }
  } catch (error) {
    return { provided: { unavailable: `${name} did not start: ${(error as Error).message}` }, stop: async () => {} }
  }
}

// Without Dovecot, unit tests must still run: provide nothing and let TestServer.dovecot() fail the
// integration tests with the install hint instead of failing the whole run here.
const startDovecot = async () => {
  if (["/usr/sbin/dovecot", "/usr/bin/dovecot"].some((p) => existsSync(p))) return start()
  console.warn("globalSetup: dovecot is not installed (apt-get install dovecot-imapd); integration tests will fail")
  return undefined
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const missing = notInstalled()
  const [dovecot, cyrus, courier] = await Promise.all([
    startDovecot(),
    missing.then((why) => startAccountServer("Cyrus", Cyrus.start, why)),
    missing.then((why) => startAccountServer("Courier", Courier.start, why))
  ])
  if (dovecot !== undefined) {
    const { host, port, tlsPort, password, caPath, configPath } = dovecot
    provide("dovecot", { host, port, tlsPort, password, caPath, configPath })
  }
  provide("cyrus", cyrus.provided)
  provide("courier", courier.provided)
  return async () => {
    await Promise.all([dovecot?.stop(), cyrus.stop(), courier.stop()])
  }
}
