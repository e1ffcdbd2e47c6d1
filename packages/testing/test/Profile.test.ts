/**
 * The profiles as data: every transcript line a profile cites says what the profile claims (read
 * from the captured transcripts, packages/protocol/test/fixtures), every value a profile changes
 * from the defaults has a source, capability lists are the
 * captured ones less what the test server lacks, and a profile extends like any object.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Behaviour from "../src/Behaviour.ts"
import * as Profile from "../src/Profile.ts"

const fixtures = path.join(import.meta.dirname, "..", "..", "protocol", "test", "fixtures")
const transcript = (name: string): ReadonlyArray<string> => readFileSync(path.join(fixtures, name), "utf8").split("\n")

const citation = /^(\w+\.txt):(\d+) (.+)$/

const entries = Object.entries(Profile.sources) as ReadonlyArray<
  readonly [Profile.Name, Partial<Record<keyof Behaviour.ServerBehaviour, string>>]
>

describe("Profile sources", () => {
  for (const [name, sources] of entries)
    for (const [field, source] of Object.entries(sources)) {
      const m = citation.exec(source ?? "")
      if (m === null) continue
      it(`${name}.${field}: ${m[1]} line ${m[2]} says ${JSON.stringify(m[3])}`, () => {
        const line = transcript(m[1] as string)[Number(m[2]) - 1] ?? ""
        assert.include(line, m[3] as string)
      })
    }

  for (const [name, sources] of entries)
    it(`${name}: every value it changes from the defaults has a source`, () => {
      const profile = Profile.all[name]
      const changed = (Object.keys(profile) as Array<keyof Behaviour.ServerBehaviour>).filter(
        (k) => JSON.stringify(profile[k]) !== JSON.stringify(Behaviour.defaults[k])
      )
      // A source may also pin a value equal to today's default (Courier's `+ OK`), so that the
      // profile stays true when the defaults change.
      for (const k of changed) assert.property(sources, k)
    })
})

describe("Profile.advertised", () => {
  const table: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["IMAP4rev1 STARTTLS IDLE", ["IMAP4rev1", "IDLE"]],
    ["IMAP4rev1 SORT THREAD=REFS QUOTA ACL UIDPLUS", ["IMAP4rev1", "UIDPLUS"]],
    ["IMAP4rev1 XMOVE LOGINDISABLED IDLE", ["IMAP4rev1", "LOGINDISABLED", "IDLE"]],
    ["IMAP4rev1 X-GM-EXT-1 LITERAL- UTF8=ACCEPT", ["IMAP4rev1", "X-GM-EXT-1", "UTF8=ACCEPT"]],
    ["AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=PLAIN-CLIENTTOKEN", ["AUTH=PLAIN", "AUTH=XOAUTH2"]],
    ["", []]
  ]
  for (const [captured, expected] of table)
    it(`keeps ${JSON.stringify(expected)} of ${JSON.stringify(captured)}`, () =>
      assert.deepStrictEqual(Profile.advertised(captured), expected))
})

describe("the profiles' quirks", () => {
  it("Courier has no LITERAL+ and no AUTH= before login, so clients log in with LOGIN", () => {
    assert.notInclude(Profile.courier.capabilitiesAfterLogin, "LITERAL+")
    assert.isFalse(Profile.courier.capabilitiesBeforeLogin.some((c) => c.startsWith("AUTH=")))
  })

  it("Cyrus lists LOGINDISABLED only after login", () => {
    assert.include(Profile.cyrus.capabilitiesAfterLogin, "LOGINDISABLED")
    assert.notInclude(Profile.cyrus.capabilitiesBeforeLogin, "LOGINDISABLED")
  })

  it("Gmail offers X-GM-EXT-1, CONDSTORE without QRESYNC, and no LITERAL+", () => {
    assert.include(Profile.gmail.capabilitiesAfterLogin, "X-GM-EXT-1")
    assert.include(Profile.gmail.capabilitiesAfterLogin, "CONDSTORE")
    assert.notInclude(Profile.gmail.capabilitiesAfterLogin, "QRESYNC")
    assert.notInclude(Profile.gmail.capabilitiesAfterLogin, "LITERAL+")
  })

  it("Microsoft 365 gains MOVE only after login", () => {
    assert.notInclude(Profile.microsoft365.capabilitiesBeforeLogin, "MOVE")
    assert.include(Profile.microsoft365.capabilitiesAfterLogin, "MOVE")
  })

  it("a profile extends like data: Behaviour.make replaces the fields given and keeps the rest", () => {
    const quick = Behaviour.make({ notificationDelay: 0 }, Profile.dovecot)
    assert.strictEqual(quick.notificationDelay, 0)
    assert.strictEqual(quick.greeting, Profile.dovecot.greeting)
    assert.deepStrictEqual(quick.idleKeepalive, Profile.dovecot.idleKeepalive)
  })
})
