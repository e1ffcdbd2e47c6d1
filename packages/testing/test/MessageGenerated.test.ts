/**
 * `Message.parse` and `Message.section` answer as Dovecot does for generated messages, not only for
 * the hand-written corpus: fast-check builds MIME trees (nested multiparts, message/rfc822, digest
 * parts, boundaries that extend their parent's, missing close delimiters, preambles and epilogues,
 * lines that start with `--`, bare LF, 8-bit text, odd header case and folding, RFC 2231 and
 * quoted parameters) and each is compared with Dovecot item by item (`DovecotCompare.ts`). CI
 * replays a fixed seed (test/support/properties.ts); a local run draws new messages each time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { differences } from "./DovecotCompare.ts"
import { message } from "./MimeArbitrary.ts"

describe("Message against Dovecot, generated messages", { timeout: 120_000 }, () => {
  it.live("size, envelope, bodystructure and every section equal Dovecot's for 40 generated messages", () =>
    Effect.gen(function* () {
      const messages = fc
        .sample(message, 40)
        .map((raw, i) => ({ name: `#${i} ${JSON.stringify(raw.toString("utf8"))}`, raw }))
      const found = yield* differences(messages)
      assert.deepStrictEqual(found.slice(0, 5), [], `${found.length} differences`)
    })
  )
})
