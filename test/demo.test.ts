/**
 * The README's main job, `pnpm demo`, run as a newcomer would: it must start its own server, show
 * the subjects, show the three messages delivered while `imap watch` runs, and exit 0 cleanly; on
 * Dovecot (installed here) and on @pkg/testing's in-process server (what a machine without Dovecot
 * gets), saying which it uses.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as DemoServer from "../scripts/DemoServer.ts"

const demo = path.join(import.meta.dirname, "..", "scripts", "demo.ts")

describe("the demo's server", () => {
  it.each([
    [undefined, true, "dovecot"],
    [undefined, false, "testing"],
    ["testing", true, "testing"],
    ["dovecot", true, "dovecot"]
  ] as const)("DEMO_SERVER=%s, Dovecot installed: %s -> %s", (choice, installed, expected) => {
    expect(DemoServer.choose(choice, installed)).toBe(expected)
  })
})

describe("the demo", () => {
  it.each([
    ["dovecot", "a private Dovecot"],
    ["testing", "@pkg/testing's in-process server"]
  ])(
    "on %s: shows subjects, then the mail delivered while watching, and exits 0",
    async (server, says) => {
      const child = spawn(process.execPath, [demo], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, DEMO_SERVER: server }
      })
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
      expect(out).toContain(`Started ${says}`)
      expect(out).toContain("exited with 0")
    },
    60_000
  )
})
