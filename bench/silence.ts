/**
 * `pnpm bench:silence [--seconds 60] [--after 1]`: when the command timeout really fires. A local
 * server greets, accepts LOGIN, and answers the client's NOOP with one untagged line after `--after`
 * seconds, then nothing. The command timeout (`--seconds`, the default 60) is a deadline on silence,
 * so the connection must fail that long after the line: this prints the measured silence, the time
 * from the command, and the error's message. Not part of `pnpm bench` (it takes a minute).
 */
import * as net from "node:net"
import { performance } from "node:perf_hooks"
import { ImapClient, ImapConfig } from "@pkg/client"
import { Effect } from "effect"
import { numberOption } from "./support.ts"

const args = process.argv.slice(2)
const seconds = numberOption(args, "seconds", 60)
const after = numberOption(args, "after", 1)

let lastByteAt = 0
const server = net.createServer((socket) => {
  socket.write("* OK [CAPABILITY IMAP4rev1] silence bench ready\r\n")
  let buffered = ""
  socket.on("data", (chunk) => {
    buffered += chunk.toString("latin1")
    for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
      const [tag, command] = buffered.slice(0, end).split(" ")
      buffered = buffered.slice(end + 2)
      if (command === "LOGIN") socket.write(`${tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n`)
      if (command === "NOOP") {
        setTimeout(() => {
          socket.write("* OK Still here\r\n")
          lastByteAt = performance.now()
        }, after * 1000)
      }
    }
  })
  socket.on("error", () => {})
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const port = (server.address() as net.AddressInfo).port

const outcome = await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* ImapClient.make({
        host: "127.0.0.1",
        port,
        tls: "none",
        auth: ImapConfig.password("u", "p"),
        clientId: false,
        enable: [],
        timeouts: { command: `${seconds} seconds` }
      })
      const started = performance.now()
      const error = yield* Effect.flip(client.noop())
      return { error, started, failedAt: performance.now() }
    })
  )
)
server.close()
const silence = (outcome.failedAt - lastByteAt) / 1000
console.log(`configured command timeout: ${seconds} s; one line ${after} s after the command, then silence`)
console.log(
  `failed after ${silence.toFixed(3)} s of silence (${((outcome.failedAt - outcome.started) / 1000).toFixed(3)} s after the command)`
)
console.log(`error: ${outcome.error.message}`)
