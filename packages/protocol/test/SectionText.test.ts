/**
 * `Command.sectionText`, the one reading of a section-text name that the command parser (wire
 * text) and the CLI's `--part` (typed text) share: which names exist, in any case, MIME only after a
 * part number, field names after HEADER.FIELDS[.NOT] and after nothing else.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Command from "../src/Command.ts"

describe("Command.sectionText", () => {
  const rows: ReadonlyArray<
    readonly [string, boolean, ReadonlyArray<string> | undefined, Command.SectionText | undefined]
  > = [
    ["HEADER", false, undefined, { _tag: "Header" }],
    ["header", true, undefined, { _tag: "Header" }],
    ["Text", false, undefined, { _tag: "Text" }],
    ["MIME", true, undefined, { _tag: "Mime" }],
    ["MIME", false, undefined, undefined],
    ["HEADER.FIELDS", false, ["From", "Subject"], { _tag: "HeaderFields", not: false, fields: ["From", "Subject"] }],
    ["header.fields.not", true, ["X"], { _tag: "HeaderFields", not: true, fields: ["X"] }],
    ["HEADER.FIELDS", false, [], undefined],
    ["HEADER.FIELDS", false, undefined, undefined],
    ["HEADER", false, ["From"], undefined],
    ["BODY", false, undefined, undefined],
    ["", false, undefined, undefined]
  ]
  it.each(rows)("%s (part: %s, fields: %j)", (name, hasPart, fields, expected) => {
    expect(Command.sectionText(name, hasPart, fields)).toEqual(expected)
  })

  it("says which names take field names", () => {
    expect(["HEADER.FIELDS", "header.fields.not", "HEADER", "HEADER.FIELDSX"].map(Command.sectionTakesFields)).toEqual([
      true,
      true,
      false,
      false
    ])
  })
})
