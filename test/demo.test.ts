/**
 * The README's main job, `pnpm demo`, run as a newcomer would: it must start its own server, show
 * the subjects, show the three messages delivered while `imap watch` runs, and exit 0 cleanly.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const demo = path.join(import.meta.dirname, "..", "scripts", "demo.ts")

describe("the demo", () => {
  it("shows subjects, then the mail delivered while watching, and exits 0", async () => {
    const child = spawn(process.execPath, [demo], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8")
    })
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString("utf8")
    })
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
    expect(code, out).toBe(0)
    expect(out).toContain("Welcome to effect-imap")
    expect(out).toContain("Réunion de lundi")
    for (const subject of ["Are you watching this?", "Second one, a second later", "新しいメール"]) {
      const escaped = subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      expect(out).toMatch(new RegExp(`\\d+\\t[^\\n]*${escaped}`))
    }
    expect(out).toContain("exited with 0")
  }, 60_000)
})
