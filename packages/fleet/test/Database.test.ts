/** `--db` / IMAP_FLEET_DB: `sqlite:PATH` or a postgres URL, anything else refused without echoing it. */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Database from "../src/Database.ts"

describe("Database.parse", () => {
  it.effect.each([
    ["sqlite:fleet.db", { _tag: "Sqlite", filename: "fleet.db" }],
    ["sqlite:/var/lib/imap/fleet.db", { _tag: "Sqlite", filename: "/var/lib/imap/fleet.db" }],
    ["postgres://u:pw@db:5432/fleet", { _tag: "Postgres", url: "postgres://u:pw@db:5432/fleet" }],
    ["postgresql://db/fleet", { _tag: "Postgres", url: "postgresql://db/fleet" }]
  ] as const)("%s", ([text, expected]) =>
    Effect.gen(function* () {
      const location = yield* Database.parse(text)
      assert.deepStrictEqual(
        location._tag === "Postgres" ? { _tag: location._tag, url: Redacted.value(location.url) } : location,
        expected
      )
    })
  )

  it.effect.each(["sqlite:", "fleet.db", "mysql://u:hunter2@db/x", ""])(
    "%j is refused, a password in it never echoed",
    (text) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Database.parse(text))
        assert.match(error.message, /sqlite:PATH or a postgres:\/\/ URL/)
        // The URL may hold a password: the message says what is expected, never what was given.
        if (text.includes("hunter2")) assert.notInclude(error.message, "hunter2")
      })
  )
})
