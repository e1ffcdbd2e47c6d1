/**
 * How `imap` writes its data lines: batched into few `write` calls, in order, handed to stdout by
 * the next turn of the event loop (so `watch` prints at once), before any later stderr line, and
 * held back while stdout is over its high-water mark until it drains. And a message's `--json` line,
 * written without `toJson`'s replacer and `TerminalText.text`, is the line those made. Runs on this
 * process's stdout and stderr with their `write` replaced; the backpressure that reaches the socket
 * is shown end to end in test/cli-backpressure.test.ts. A batch of messages (`messages`) prints what
 * `message` prints for each.
 */
import type { MessageSummary } from "@pkg/client"
import { SequenceSet } from "@pkg/protocol"
import { Effect } from "effect"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import * as Output from "../src/Output.ts"
import * as TerminalText from "../src/TerminalText.ts"

let written: Array<readonly ["stdout" | "stderr", string]> = []
let accept = true

beforeEach(() => {
  written = []
  accept = true
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(["stdout", String(chunk)])
    return accept
  })
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(["stderr", String(chunk)])
    return true
  })
})

afterEach(async () => {
  // Nothing batched may leak into the next test.
  await Effect.runPromise(Output.flushNow)
  vi.restoreAllMocks()
})

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe("Output: batched stdout", () => {
  it("writes the lines printed in one turn in one write, in order", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`)
    await Effect.runPromise(Effect.forEach(lines, Output.stdout, { discard: true }))
    expect(written).toEqual([])
    await Effect.runPromise(Output.flush)
    expect(written).toEqual([["stdout", lines.map((l) => `${l}\n`).join("")]])
  })

  it("hands a line to stdout by the next turn of the event loop, without a flush", async () => {
    await Effect.runPromise(Output.stdout("new message"))
    await nextTurn()
    expect(written).toEqual([["stdout", "new message\n"]])
  })

  it("writes batched lines before a later stderr line, a warning, a log line or the help", async () => {
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Output.stdout("a")
        yield* Output.warning("w")
        yield* Output.stdout("b")
        yield* Output.verbatim("stdout", "help")
      })
    )
    expect(written).toEqual([
      ["stdout", "a\n"],
      ["stderr", "imap: warning: w\n"],
      ["stdout", "b\n"],
      ["stdout", "help\n"]
    ])
  })

  it("writes a batch as soon as it is large, without waiting for the turn to end", async () => {
    const line = "x".repeat(1000)
    await Effect.runPromise(
      Effect.forEach(
        Array.from({ length: 40 }, () => line),
        Output.stdout,
        { discard: true }
      )
    )
    expect(written.length).toBeGreaterThan(0)
    await Effect.runPromise(Output.flush)
    expect(written.map(([, text]) => text).join("")).toBe(`${line}\n`.repeat(40))
  })

  it("holds writers while stdout is over its high-water mark, and lets them go on drain", async () => {
    accept = false
    await Effect.runPromise(Output.stdout("first"))
    await Effect.runPromise(Output.flushNow)
    let second = false
    const pending = Effect.runPromise(Output.stdout("second")).then(() => {
      second = true
    })
    await nextTurn()
    await nextTurn()
    expect(second).toBe(false)
    accept = true
    process.stdout.emit("drain")
    await pending
    expect(second).toBe(true)
  })

  it("prints a message's --json line exactly as toJson and TerminalText.text made it", async () => {
    const hostile = "Re: \u001b]0;owned\u0007 \u202eevil\u202c \u009b31m caf\u00e9 \r\n\t\u007f \ud83c\udf89"
    const m: MessageSummary.MessageSummary = {
      mailbox: "INBOX",
      uid: SequenceSet.Uid(42),
      uidValidity: 7,
      seq: 3,
      subject: hostile,
      from: [
        { name: hostile, address: "a@example.com" },
        { name: undefined, address: "b@example.com" }
      ],
      date: new Date("2026-11-26T10:00:00Z"),
      internalDate: undefined,
      flags: ["\\Seen", "$Junk"],
      size: 2048,
      envelope: undefined
    }
    await Effect.runPromise(Effect.andThen(Output.message("json", m), Output.flush))
    expect(written).toEqual([["stdout", `${TerminalText.text(Output.toJson(Output.messageJson(m)))}\n`]])
  })

  it("prints a batch of messages as message prints each, in both formats", async () => {
    const base: MessageSummary.MessageSummary = {
      mailbox: "INBOX",
      uid: SequenceSet.Uid(1),
      uidValidity: 7,
      seq: 1,
      subject: "caf\u00e9 \u001b[31m\tred",
      from: [{ name: "A \u202eB", address: "a@example.com" }],
      date: new Date("2026-11-26T10:00:00Z"),
      internalDate: undefined,
      flags: ["\\Seen"],
      size: 10,
      envelope: undefined
    }
    const ms = [base, { ...base, uid: SequenceSet.Uid(2), seq: 2, subject: undefined, from: [], date: undefined }]
    for (const format of ["json", "line"] as const) {
      written = []
      await Effect.runPromise(
        Effect.andThen(
          Effect.forEach(ms, (m) => Output.message(format, m)),
          Output.flush
        )
      )
      const one = written.map(([, text]) => text).join("")
      written = []
      await Effect.runPromise(Effect.andThen(Output.messages(format, ms), Output.flush))
      expect(written.map(([, text]) => text).join("")).toBe(one)
      expect(one.split("\n")).toHaveLength(3)
    }
  })
})
