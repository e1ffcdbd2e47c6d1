/**
 * `Message.parse` and `Message.section` answer as Dovecot does for each message of the corpus
 * (`MessageCorpus.ts`): RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and every section, appended to a real
 * Dovecot and fetched back (`DovecotCompare.ts`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { differences } from "./DovecotCompare.ts"
import { corpus } from "./MessageCorpus.ts"

describe("Message against Dovecot", { timeout: 60_000 }, () => {
  it.live("size, envelope, bodystructure and every section equal Dovecot's for each corpus message", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* differences(corpus), [])
    })
  )
})
