// vitest globalSetup: one private Dovecot for the whole run, shared by every test file through
// `inject("dovecot")` (see TestServer.ts). Files isolate themselves by logging in as fresh users, so the
// server is never restarted between files. Stopped (and its temp dir removed) in the returned teardown.
import { existsSync } from "node:fs"
import type { TestProject } from "vitest/node"
import { type DovecotInfo, start } from "./Dovecot.ts"

declare module "vitest" {
  export interface ProvidedContext {
    dovecot: DovecotInfo
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // Without Dovecot, unit tests must still run: provide nothing and let TestServer.dovecot() fail the
  // integration tests with the install hint instead of failing the whole run here.
  if (!["/usr/sbin/dovecot", "/usr/bin/dovecot"].some((p) => existsSync(p))) {
    console.warn("globalSetup: dovecot is not installed (apt-get install dovecot-imapd); integration tests will fail")
    return async () => {}
  }
  const server = await start()
  const { host, port, tlsPort, password, caPath, configPath } = server
  provide("dovecot", { host, port, tlsPort, password, caPath, configPath })
  return () => server.stop()
}
