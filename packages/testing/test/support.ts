// What the test server's tests share: a message maker and a way to collect a stream's first items.
import { type Cause, type Duration, Effect, Schedule, Stream } from "effect"
import * as net from "node:net"

let counter = 0

/** A small RFC 5322 message with a unique Message-ID. */
export const message = (
  subject: string,
  options?: { readonly from?: string; readonly body?: string; readonly date?: string }
) => {
  counter += 1
  return [
    `From: ${options?.from ?? "Ann Example <ann@example.com>"}`,
    "To: Bob <bob@example.com>",
    `Subject: ${subject}`,
    `Date: ${options?.date ?? "Mon, 7 Dec 2026 10:00:00 +0000"}`,
    `Message-ID: <m${counter}.${process.pid}@example.com>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    options?.body ?? `Body of ${subject}.`,
    ""
  ].join("\r\n")
}

/** The first `n` items of a stream, failing after `timeout` so that a missing item fails the test. */
export const take = <A, E>(stream: Stream.Stream<A, E>, n: number, timeout: Duration.Input = "5 seconds") =>
  stream.pipe(Stream.take(n), Stream.runCollect, Effect.timeout(timeout))

/** Waits until the server has received `count` IDLE commands (the client is idling, or about to). */
export const idling = (
  server: { readonly received: Effect.Effect<ReadonlyArray<{ readonly command: { readonly _tag: string } }>> },
  count = 1
) =>
  server.received.pipe(
    Effect.map((r) => r.filter((x) => x.command._tag === "Idle").length >= count),
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("10 millis") }),
    Effect.timeout("5 seconds")
  )

/** A bare socket to the server, for exact bytes: what was received so far, send, and wait for a pattern. */
export const raw = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly text: () => string
      readonly send: (s: string) => Effect.Effect<void>
      readonly until: (re: RegExp) => Effect.Effect<string, Cause.TimeoutError>
      readonly socket: net.Socket
    }>((resume) => {
      let received = ""
      const socket = net.connect(port, "127.0.0.1", () =>
        resume(
          Effect.succeed({
            text: () => received,
            send: (s: string) => Effect.sync(() => socket.write(s)),
            until: (re: RegExp) =>
              Effect.sync(() => re.test(received)).pipe(
                Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }),
                Effect.timeout("3 seconds"),
                Effect.map(() => received)
              ),
            socket
          })
        )
      )
      socket.on("data", (d) => {
        received += d.toString("utf8")
      })
      socket.on("error", () => {})
    }),
    (s) => Effect.sync(() => s.socket.destroy())
  )
