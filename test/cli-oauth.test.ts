/**
 * `imap` (the built CLI, as a subprocess) logging in with OAuth access tokens against a scripted
 * peer that offers XOAUTH2/OAUTHBEARER (Dovecot here has no OAuth): IMAP_ACCESS_TOKEN,
 * `--access-token-file` and `--access-token-command` each reach the wire; `imap watch` runs the
 * token command again on every reconnect (and once more when the server refuses its token); a
 * failing command shows its exit status and stderr but never its stdout; a token source beside a
 * password is a usage error before any connection; a throttled LOGIN exits 75 with the server's
 * wait. No token appears on stdout, stderr or in `--trace`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import * as Peer from "./support/ScriptedPeer.ts"
import { completion, type Result } from "./support/Subprocess.ts"

const bin = path.join(import.meta.dirname, "..", "packages", "cli", "dist", "bin.js")
const scratch = mkdtempSync(path.join(os.tmpdir(), "imap-cli-oauth-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const peers: Array<Peer.ScriptedPeer> = []
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()))
})
const startPeer = async (script: (conn: Peer.PeerConnection, index: number) => Promise<void>) => {
  const peer = await Peer.start(script)
  peers.push(peer)
  return peer
}

const user = "u@example.com"
const tokenOf = (n: number) => `ya29.s3cret-cli-token-${n}`
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64")

/** The environment of a user configured for `peer` in IMAP_* (nothing else IMAP_* leaks in). */
const envFor = (peer: Peer.ScriptedPeer, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("IMAP_")) env[k] = v
  return { ...env, IMAP_HOST: "127.0.0.1", IMAP_PORT: String(peer.port), IMAP_USER: user, IMAP_TLS: "none", ...extra }
}

const spawnCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, [bin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] })

const imap = (peer: Peer.ScriptedPeer, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  completion(spawnCli(args, envFor(peer, env)))

const expectNoToken = (r: Pick<Result, "stdout" | "stderr">) => {
  for (let n = 1; n <= 5; n++) {
    expect(r.stdout).not.toContain(tokenOf(n))
    expect(r.stderr).not.toContain(tokenOf(n))
  }
  expect(r.stderr).not.toContain("s3cret")
}

type Mechanism = "XOAUTH2" | "OAUTHBEARER"

/** The bearer token in an AUTHENTICATE line's initial response. */
const bearerIn = (line: string): string => {
  const blob = /^AUTHENTICATE (?:XOAUTH2|OAUTHBEARER) (\S+)$/.exec(line)?.[1]
  if (blob === undefined) throw new Error(`expected AUTHENTICATE with an initial response, got ${line}`)
  const token = /auth=Bearer ([^\u0001]*)\u0001\u0001$/.exec(Buffer.from(blob, "base64").toString("utf8"))?.[1]
  if (token === undefined) throw new Error("malformed SASL response")
  return token
}

const greetOAuth = (conn: Peer.PeerConnection, mechanisms = "AUTH=XOAUTH2 AUTH=OAUTHBEARER") =>
  Peer.greet(conn, `IMAP4rev1 SASL-IR ${mechanisms} LITERAL+ IDLE`)

/** Reads AUTHENTICATE `mechanism`, records the token, accepts it. */
const acceptToken = async (conn: Peer.PeerConnection, mechanism: Mechanism, seen: Array<string>) => {
  const [tag, line] = await conn.command()
  if (!line.startsWith(`AUTHENTICATE ${mechanism} `)) throw new Error(`expected ${mechanism}, got ${line}`)
  seen.push(bearerIn(line))
  await conn.send(`${tag} OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] Success`)
}

/** Refuses the token as Gmail does: a JSON challenge, the client's empty answer, NO. */
const refuseToken = async (conn: Peer.PeerConnection, seen: Array<string>) => {
  const [tag, line] = await conn.command()
  seen.push(bearerIn(line))
  await conn.send(`+ ${b64('{"status":"401","schemes":"Bearer"}')}`)
  await conn.line()
  await conn.send(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)`)
}

/** `capabilities` after a token login: the peer expects `mechanism`, then LOGOUT. */
const capabilitiesPeer = (mechanism: Mechanism, seen: Array<string>, mechanisms?: string) =>
  startPeer(async (conn) => {
    await greetOAuth(conn, mechanisms)
    await acceptToken(conn, mechanism, seen)
    await Peer.acceptLogout(conn)
  })

describe("imap with an OAuth access token", { timeout: 60_000 }, () => {
  it("IMAP_ACCESS_TOKEN with IMAP_AUTH_MECHANISM=XOAUTH2 logs in; --trace shows <redacted>, never the token", async () => {
    const seen: Array<string> = []
    const peer = await capabilitiesPeer("XOAUTH2", seen)
    const r = await imap(peer, ["capabilities", "--trace"], {
      IMAP_ACCESS_TOKEN: tokenOf(1),
      IMAP_AUTH_MECHANISM: "XOAUTH2"
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split("\n")).toContain("IDLE")
    expect(r.stderr).toContain("AUTHENTICATE XOAUTH2 <redacted>")
    expectNoToken(r)
    expect(seen).toEqual([tokenOf(1)])
    await peer.finished()
  })

  it("--access-token-file is read at login (OAUTHBEARER where offered), its trailing newline dropped", async () => {
    const seen: Array<string> = []
    const peer = await capabilitiesPeer("OAUTHBEARER", seen)
    const file = path.join(scratch, "token")
    writeFileSync(file, `${tokenOf(2)}\n`)
    const r = await imap(peer, ["capabilities", "--access-token-file", file])
    expect(r.code, r.stderr).toBe(0)
    expectNoToken(r)
    expect(seen).toEqual([tokenOf(2)])
    await peer.finished()
  })

  it("a failing --access-token-command exits 3 with its status and stderr, never its stdout, and sends nothing", async () => {
    const peer = await startPeer(async (conn) => {
      await greetOAuth(conn)
      await conn.ended
      if (conn.received.length > 0) throw new Error(`client sent ${conn.received.join(" | ")}`)
    })
    const command = `echo ${tokenOf(3)}; echo "token endpoint: 503 Service Unavailable" >&2; exit 7`
    const [r, traced] = await Promise.all([
      imap(peer, ["capabilities", "--access-token-command", command]),
      imap(peer, ["capabilities", "--trace", "--access-token-command", command])
    ])
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr.trim()).toBe(
      "imap: no access token: access token command failed (exit status 7): token endpoint: 503 Service Unavailable"
    )
    expect(traced.code, traced.stderr).toBe(3)
    expectNoToken(r)
    expectNoToken(traced)
    await peer.finished()
  })

  it("a token source beside a password, or two token sources, is a usage error (exit 2) before connecting", async () => {
    const peer = await startPeer(async () => {
      throw new Error("the client connected")
    })
    const file = path.join(scratch, "token-usage")
    writeFileSync(file, `${tokenOf(4)}\n`)
    const [both, two, plain, missing] = await Promise.all([
      imap(peer, ["capabilities"], { IMAP_ACCESS_TOKEN: tokenOf(4), IMAP_PASSWORD: "pw" }),
      imap(peer, ["capabilities", "--access-token-file", file], { IMAP_ACCESS_TOKEN_COMMAND: "echo x" }),
      imap(peer, ["capabilities", "--auth-mechanism", "PLAIN"], { IMAP_ACCESS_TOKEN: tokenOf(4) }),
      imap(peer, ["capabilities", "--access-token-file", path.join(scratch, "nope")])
    ])
    expect([both.code, two.code, plain.code, missing.code]).toEqual([2, 2, 2, 2])
    expect(both.stderr).toMatch(/both an access token \(IMAP_ACCESS_TOKEN\) and a password \(IMAP_PASSWORD\)/)
    expect(two.stderr).toMatch(/more than one access token source: --access-token-file and --access-token-command/)
    expect(plain.stderr).toMatch(/mechanism PLAIN needs a password/)
    expect(missing.stderr).toMatch(/cannot read access token file/)
    for (const r of [both, two, plain, missing]) expectNoToken(r)
    expect(peer.connections()).toBe(0)
  })

  it("a throttled LOGIN exits 75 and says how long the server wants to be left alone", async () => {
    const peer = await startPeer(async (conn) => {
      await Peer.greet(conn)
      const tag = await conn.expect("LOGIN u@example.com pw")
      await conn.send(`${tag} NO Request is throttled. Suggested Backoff Time: 299609 milliseconds`)
      await conn.ended
    })
    const r = await imap(peer, ["capabilities"], { IMAP_PASSWORD: "pw" })
    expect(r.code, r.stderr).toBe(75)
    expect(r.stderr.trim()).toBe(
      "imap: server is throttling: retry after 300 s (LOGIN: NO Request is throttled. Suggested Backoff Time: 299609 milliseconds)"
    )
    await peer.finished()
  })

  it("watch runs --access-token-command on every connection, and again when the server refuses its token", async () => {
    const seen: Array<Array<string>> = [[], []]
    const secondIdle = Promise.withResolvers<void>()
    const peer = await startPeer(async (conn, index) => {
      await greetOAuth(conn)
      const tokens = seen[index]!
      if (index === 0) {
        await acceptToken(conn, "OAUTHBEARER", tokens)
      } else {
        await refuseToken(conn, tokens)
        await acceptToken(conn, "OAUTHBEARER", tokens)
      }
      const examine = await conn.expect("EXAMINE INBOX")
      await conn.send("* 0 EXISTS", "* OK [UIDVALIDITY 7] UIDs valid", "* OK [UIDNEXT 1] Next", `${examine} OK Done`)
      await Peer.answer(conn, [], /^UID FETCH 1:\* /)
      const idle = await Peer.acceptIdle(conn)
      if (index === 0) {
        // The token expires; the connection drops.
        await new Promise((resolve) => setTimeout(resolve, 100))
        conn.destroy()
        return
      }
      secondIdle.resolve()
      await Peer.acceptDone(conn, idle, 10_000)
      await Peer.acceptLogout(conn)
    })
    const counter = path.join(scratch, "runs")
    const command = `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${counter}'; echo ya29.s3cret-cli-token-$n`
    const child = spawnCli(["watch", "--trace", "--access-token-command", command], envFor(peer))
    const result = completion(child)
    await secondIdle.promise
    // The watcher's `+ idling` reached the client; give it a moment to print before stopping it.
    await new Promise((resolve) => setTimeout(resolve, 200))
    child.kill("SIGINT")
    const r = await result
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(counter, "utf8").trim()).toBe("3")
    expect(seen).toEqual([[tokenOf(1)], [tokenOf(2), tokenOf(3)]])
    expect(r.stderr).toMatch(/reconnecting \(attempt 1\)/)
    expect(r.stderr).toContain("AUTHENTICATE OAUTHBEARER <redacted>")
    expectNoToken(r)
    await peer.finished()
  })
})
