/**
 * A fault-injecting TCP proxy in front of a real server: forwards bytes both ways until told to
 * `cut` every connection (a reset), `stall` them (bytes stop flowing, sockets stay open: a dead
 * NAT or a hung server), or `blackhole` new connections (accepted, never answered).
 */
import * as net from "node:net"

export type Mode = "forward" | "stall" | "blackhole"

export interface FaultProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Destroys every open connection (both sides), like a network reset. */
  readonly cut: () => void
  /** Stops forwarding on current and new connections; `forward` resumes (buffered bytes flow). */
  readonly setMode: (mode: Mode) => void
  readonly stop: () => Promise<void>
}

interface Pair {
  readonly client: net.Socket
  readonly upstream: net.Socket
  readonly held: Array<readonly [net.Socket, Buffer]>
}

export const start = async (targetHost: string, targetPort: number): Promise<FaultProxy> => {
  let mode: Mode = "forward"
  let accepted = 0
  const pairs = new Set<Pair>()

  const server = net.createServer((client) => {
    accepted++
    client.setNoDelay(true)
    client.on("error", () => {})
    if (mode === "blackhole") {
      // Accept and say nothing: the client's greeting timeout must fire.
      const drop = () => client.destroy()
      client.on("close", drop)
      pairs.add({ client, upstream: new net.Socket(), held: [] })
      return
    }
    const upstream = net.connect(targetPort, targetHost)
    upstream.setNoDelay(true)
    upstream.on("error", () => client.destroy())
    const pair: Pair = { client, upstream, held: [] }
    pairs.add(pair)
    const relay = (from: net.Socket, to: net.Socket) =>
      from.on("data", (chunk: Buffer) => {
        if (mode === "forward") to.write(chunk)
        else pair.held.push([to, chunk])
      })
    relay(client, upstream)
    relay(upstream, client)
    const close = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("close", close)
    upstream.on("close", close)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port

  return {
    port,
    accepted: () => accepted,
    cut: () => {
      for (const p of pairs) {
        p.client.resetAndDestroy()
        p.upstream.destroy()
      }
      pairs.clear()
    },
    setMode: (next) => {
      mode = next
      if (next === "forward") {
        for (const p of pairs) {
          for (const [to, chunk] of p.held) to.write(chunk)
          p.held.length = 0
        }
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy()
          p.upstream.destroy()
        }
        server.close(() => resolve())
      })
  }
}
