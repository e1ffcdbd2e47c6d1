/**
 * `@pkg/testing`'s server as the cross-server harness's fourth server: one per test worker, started
 * on first use and kept until the worker exits, with TLS (its CA written to a file, as the other
 * servers give theirs). Each fresh account is added to it with the one password.
 */
import { TestServer } from "@pkg/testing"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { clientPorts } from "./ServerProcess.ts"

export interface InProcess {
  readonly handle: TestServer.TestServerHandle
  readonly caPath: string
  readonly password: string
}

/** A server started outside Effect, its CA in a file (as the other servers give theirs). */
export interface Started {
  readonly handle: TestServer.TestServerHandle
  readonly caPath: string
  /** Closes the server and removes the CA file's directory. */
  readonly stop: () => Promise<void>
}

/** Starts an in-process server with TLS for a caller that is not an Effect (a harness, the demo). */
export const startWithCaFile = async (options: TestServer.Options, prefix: string): Promise<Started> => {
  const scope = Effect.runSync(Scope.make())
  const handle = await Effect.runPromise(Scope.provide(TestServer.make({ ...options, tls: true }), scope))
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  const caPath = path.join(dir, "ca.pem")
  writeFileSync(caPath, handle.ca ?? "")
  return {
    handle,
    caPath,
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

const password = "testing-password"
let started: Promise<InProcess> | undefined

/** The worker's server, started on the first call. */
export const start = (): Promise<InProcess> => {
  started ??= startWithCaFile({}, "effect-imap-testing-").then(({ handle, caPath, stop }) => {
    process.once("exit", () => void stop())
    return { handle, caPath, password }
  })
  return started
}

/** Adds `user` (the one password) to the worker's server. */
export const addUser = async (user: string): Promise<void> => {
  const { handle } = await start()
  await Effect.runPromise(handle.addAccount({ user, password }))
}

/**
 * Drops the connections `clientPid` holds to the server, as a crash of the process serving them
 * would; the client ports dropped (the in-process server has no process of its own to kill).
 */
export const dropClient = async (clientPid: number): Promise<Array<number>> => {
  const { handle } = await start()
  const ports = await clientPorts(clientPid, [handle.port, ...(handle.tlsPort === undefined ? [] : [handle.tlsPort])])
  for (const remotePort of ports) await Effect.runPromise(handle.disconnect({ remotePort }))
  if (ports.length === 0) throw new Error(`no connection of pid ${clientPid} to the in-process server`)
  return ports
}
