/**
 * Just enough IMAP for test set-up, beside (never through) the client under test: the greeting probe
 * that tells a server is up, and LOGIN, CREATE and APPEND for putting mail on any of the three servers.
 * Their replies are plain lines (no literals), so lines are all it reads. A separate implementation
 * on purpose: a client defect must not hide in the fixtures that check it.
 */
import * as net from "node:net"

export interface LineSession {
  readonly socket: net.Socket
  /** The server's first line. */
  readonly greeting: string
  /** Sends `tag text` and returns the tagged reply line, skipping untagged data. */
  readonly command: (tag: string, text: string | Uint8Array) => Promise<string>
  /** Sends `tag text` and returns every line up to and including the tagged reply. */
  readonly exchange: (tag: string, text: string | Uint8Array) => Promise<Array<string>>
  /** `command`, failing unless the reply is OK. */
  readonly expectOk: (tag: string, text: string | Uint8Array) => Promise<string>
  /**
   * APPEND with a synchronizing literal (Courier has no LITERAL+): waits for the continuation before
   * the message. Returns the tagged OK line (its APPENDUID has the new UID).
   */
  readonly append: (tag: string, mailbox: string, message: string | Uint8Array) => Promise<string>
}

/** An IMAP quoted string. */
export const quoted = (value: string): string => `"${value.replace(/[\\"]/g, "\\$&")}"`

/**
 * Connects and reads the greeting. Writes nothing before it: a Dovecot imap-login that gets LOGIN
 * before its auth connection is up first answers `* OK Waiting for authentication process to respond..`.
 */
export const open = async (host: string, port: number, idleTimeoutMs: number): Promise<LineSession> => {
  const socket = net.connect(port, host)
  const lines: Array<string> = []
  let partial = ""
  let failure: Error | undefined
  let wake = () => {}
  socket.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("latin1")).split("\r\n")
    partial = parts.pop() ?? ""
    lines.push(...parts)
    wake()
  })
  const fail = (error: Error) => {
    failure ??= error
    socket.destroy()
    wake()
  }
  socket.setTimeout(idleTimeoutMs, () => fail(new Error(`${host}:${port} silent for ${idleTimeoutMs} ms`)))
  socket.on("error", fail)
  socket.on("close", () => fail(new Error(`connection to ${host}:${port} closed`)))
  const next = async (): Promise<string> => {
    for (;;) {
      const line = lines.shift()
      if (line !== undefined) return line
      if (failure !== undefined) throw failure
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  }
  const through = async (tag: string): Promise<Array<string>> => {
    const seen: Array<string> = []
    for (;;) {
      const line = await next()
      seen.push(line)
      if (line.startsWith(`${tag} `)) return seen
    }
  }
  const tagged = async (tag: string): Promise<string> => (await through(tag)).at(-1) ?? ""
  const exchange = async (tag: string, text: string | Uint8Array): Promise<Array<string>> => {
    socket.write(`${tag} `)
    socket.write(text)
    return through(tag)
  }
  const command = async (tag: string, text: string | Uint8Array): Promise<string> =>
    (await exchange(tag, text)).at(-1) ?? ""
  const ok = (line: string, what: string): string => {
    if (!/^\S+ OK/.test(line)) throw new Error(`IMAP ${what} failed: ${line}`)
    return line
  }
  const append = async (tag: string, mailbox: string, message: string | Uint8Array): Promise<string> => {
    const bytes = typeof message === "string" ? Buffer.from(message, "utf8") : message
    socket.write(`${tag} APPEND ${quoted(mailbox)} {${bytes.byteLength}}\r\n`)
    for (;;) {
      const line = await next()
      if (line.startsWith("+")) break
      if (line.startsWith(`${tag} `)) return ok(line, `APPEND to ${mailbox}`)
    }
    socket.write(bytes)
    socket.write("\r\n")
    return ok(await tagged(tag), `APPEND to ${mailbox}`)
  }
  const greeting = await next()
  if (!greeting.startsWith("* OK")) fail(new Error(`unexpected greeting from ${host}:${port}: ${greeting}`))
  if (failure !== undefined) throw failure
  return {
    socket,
    greeting,
    command,
    exchange,
    // Names only the command's verb: a LOGIN's password must not end up in an error message.
    expectOk: async (tag, text) =>
      ok(await command(tag, text), Buffer.from(text).toString("latin1").split(" ")[0] ?? ""),
    append
  }
}
