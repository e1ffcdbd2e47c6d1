/**
 * `pnpm demo` (`./run demo`): the main job in a minute. Starts a throwaway IMAP server with a few
 * sample messages (a private Dovecot where it is installed, else @pkg/testing's in-process server:
 * DemoServer.ts; DEMO_SERVER=dovecot|testing chooses), runs the real `imap` command against it over
 * a real socket (`imap subjects`, then `imap watch` while new mail is delivered a second apart, so
 * IMAP IDLE is seen at work), stops watch with Ctrl-C (SIGINT) and removes the server and its files.
 * Nothing touches /etc/dovecot or the system's mail.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import * as DemoServer from "./DemoServer.ts"

const root = path.join(import.meta.dirname, "..")
const bin = path.join(root, "packages", "cli", "dist", "bin.js")
const user = "demo"

const say = (text = "") => process.stdout.write(`${text}\n`)
const indent = (text: string) => `    ${text}`

const sample = (from: string, subject: string, date: string, body: string) =>
  `From: ${from}\r\nTo: Demo <demo@example.com>\r\nSubject: ${subject}\r\nDate: ${date}\r\n` +
  `Message-ID: <${Math.random().toString(36).slice(2)}@example.com>\r\nMIME-Version: 1.0\r\n` +
  `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`

const inbox = [
  sample("Alice <alice@example.com>", "Welcome to effect-imap", "Mon, 23 Nov 2026 09:12:00 +0000", "Hello!"),
  sample("Bob <bob@example.com>", "Lunch on Thursday?", "Tue, 24 Nov 2026 11:40:00 +0000", "Noon?"),
  sample(
    "=?UTF-8?Q?Andr=C3=A9?= <andre@example.com>",
    "=?UTF-8?Q?R=C3=A9union_de_lundi?=",
    "Tue, 24 Nov 2026 16:05:00 +0000",
    "Salle 3."
  ),
  sample("Build Bot <ci@example.com>", "main: all 412 tests passed", "Wed, 25 Nov 2026 08:00:00 +0000", "Green.")
]

const arriving = [
  sample("Carol <carol@example.com>", "Are you watching this?", "Thu, 26 Nov 2026 10:00:00 +0000", "IDLE!"),
  sample("Dave <dave@example.com>", "Second one, a second later", "Thu, 26 Nov 2026 10:00:01 +0000", "Still here."),
  sample(
    "=?UTF-8?B?5bGx55Sw?= <yamada@example.com>",
    "=?UTF-8?B?5paw44GX44GE44Oh44O844Or?=",
    "Thu, 26 Nov 2026 10:00:02 +0000",
    "Third."
  )
]

const arrivingSubjects = ["Are you watching this?", "Second one, a second later", "新しいメール"]

/** Runs `imap ARGS` to completion, its output indented under the command line. */
const imap = (env: NodeJS.ProcessEnv, args: ReadonlyArray<string>): Promise<number | null> =>
  new Promise((resolve, reject) => {
    say(`  $ imap ${args.join(" ")}`)
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") say(indent(line))
    }
    child.stdout.on("data", relay)
    child.stderr.on("data", relay)
    child.once("error", reject)
    child.once("close", resolve)
  })

/** `imap watch` in the background: prints its lines as they come and tells who waits for what. */
const startWatch = (env: NodeJS.ProcessEnv) => {
  say("  $ imap watch")
  const child = spawn(process.execPath, [bin, "watch"], { env, stdio: ["ignore", "pipe", "pipe"] })
  const seen: Array<string> = []
  const waiters: Array<() => void> = []
  const onLine = (line: string, annotate: (line: string) => string) => {
    say(indent(annotate(line)))
    seen.push(line)
    for (const w of waiters.splice(0)) w()
  }
  let annotateOut = (line: string) => line
  const lineReader = (annotate: () => (line: string) => string) => {
    let buffered = ""
    return (chunk: Buffer) => {
      buffered += chunk.toString("utf8")
      const parts = buffered.split("\n")
      buffered = parts.pop() ?? ""
      for (const line of parts) if (line !== "") onLine(line, annotate())
    }
  }
  child.stdout.on(
    "data",
    lineReader(() => annotateOut)
  )
  child.stderr.on(
    "data",
    lineReader(() => (line) => line)
  )
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve))
  const waitFor = async (what: string, predicate: (line: string) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs
    while (!seen.some(predicate)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`imap watch: no ${what}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }
  return {
    waitFor,
    set annotate(f: (line: string) => string) {
      annotateOut = f
    },
    interrupt: () => {
      child.kill("SIGINT")
      return exited
    },
    kill: () => child.kill("SIGKILL")
  }
}

const main = async (): Promise<number> => {
  const choice = process.env.DEMO_SERVER
  if (choice === "dovecot" && !DemoServer.dovecotInstalled()) {
    say("DEMO_SERVER=dovecot, but Dovecot's IMAP server is not installed: sudo apt-get install dovecot-imapd")
    return 2
  }

  say("effect-imap demo: the `imap` command against a throwaway local IMAP server")
  say()
  const started = Date.now()
  const server = await DemoServer.start(user, choice)
  say(`1. Started ${server.name}, with a few sample messages (on a free port, files in a temp dir)`)
  let watch: ReturnType<typeof startWatch> | undefined
  let stopped = false
  const stopAll = async () => {
    watch?.kill()
    if (stopped) return
    stopped = true
    await server.stop()
  }
  process.once("SIGINT", () => {
    void stopAll().then(() => process.exit(130))
  })
  try {
    for (const message of inbox) await server.deliver(user, "INBOX", message)
    say(
      indent(`ready on 127.0.0.1:${server.tlsPort} (implicit TLS) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      IMAP_HOST: server.host,
      IMAP_PORT: String(server.tlsPort),
      IMAP_TLS: "implicit",
      IMAP_CA_FILE: server.caPath,
      IMAP_USER: user,
      IMAP_PASSWORD: server.password,
      IMAP_MAILBOX: "INBOX"
    }
    say(indent("the CLI reads its settings from the environment:"))
    say(indent(`IMAP_HOST=${server.host} IMAP_PORT=${server.tlsPort} IMAP_TLS=implicit IMAP_USER=${user}`))
    say(indent("IMAP_CA_FILE=<the server's own CA, so the certificate is checked>  IMAP_PASSWORD=<secret>"))
    say()

    say("2. The subjects of INBOX (UID, date, sender, subject; opened read-only)")
    const code = await imap(env, ["subjects"])
    if (code !== 0) throw new Error(`imap subjects exited with ${code}`)
    say()

    say("3. Watching INBOX: IDLE keeps the connection open and the server announces new mail at once.")
    say("   Three messages are delivered a second apart while `imap watch` runs")
    say(`   (${server.notificationNote}):`)
    watch = startWatch(env)
    await watch.waitFor("watching line", (l) => l.startsWith("watching "))
    for (const [i, message] of arriving.entries()) {
      await sleep(i === 0 ? 300 : 1000)
      const subject = arrivingSubjects[i]!
      const deliveredAt = Date.now()
      watch.annotate = (line) =>
        line.endsWith(subject)
          ? `${line}   <- printed ${((Date.now() - deliveredAt) / 1000).toFixed(1)} s after delivery`
          : line
      say(indent(`(delivering "${subject}")`))
      await server.deliver(user, "INBOX", message)
      await watch.waitFor(`"${subject}"`, (l) => l.endsWith(subject))
    }
    say(indent("(Ctrl-C: sending SIGINT)"))
    const watchCode = await watch.interrupt()
    watch = undefined
    say(indent(`imap watch ended IDLE with DONE, logged out, and exited with ${watchCode}`))
    await stopAll()
    say()
    say("4. Cleaned up: the server is stopped and its temp dir removed.")
    say()
    say("Next: `pnpm imap --help` for every command (list, fetch, append, search, ...),")
    say("`node examples/subjects.ts` and the other examples/, and ./run test for the whole suite.")
    return watchCode === 0 ? 0 : 1
  } finally {
    await stopAll()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
)
