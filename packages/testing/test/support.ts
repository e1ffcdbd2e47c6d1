// What the test server's tests share: a message maker and a way to collect a stream's first items.
import { type Duration, Effect, Schedule, Stream } from "effect"

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
