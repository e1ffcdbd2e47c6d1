/**
 * The SASL initial responses the server reads (RFC 4616 PLAIN, Google's XOAUTH2, RFC 7628
 * OAUTHBEARER): base64 text to who logs in and with what secret. Pure, so the decoding is tested
 * as a table.
 */

/** What a SASL response says: a password or a bearer token, for a user. */
export type Credentials =
  | { readonly _tag: "Password"; readonly user: string; readonly password: string }
  | { readonly _tag: "Token"; readonly user: string; readonly token: string }

const fromBase64 = (text: string): string | undefined => {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined
  return Buffer.from(text, "base64").toString("utf8")
}

/** RFC 5801 saslname: `=2C` is `,` and `=3D` is `=`. */
const unescapeSaslName = (s: string): string => s.replaceAll("=2C", ",").replaceAll("=3D", "=")

const bearer = (fields: ReadonlyArray<string>): string | undefined =>
  fields.find((f) => /^auth=Bearer /i.test(f))?.replace(/^auth=Bearer /i, "")

/** Decodes a base64 initial response for `mechanism`; undefined when it is not well formed. */
export const decode = (mechanism: string, base64: string): Credentials | undefined => {
  const text = fromBase64(base64)
  if (text === undefined) return undefined
  switch (mechanism.toUpperCase()) {
    case "PLAIN": {
      const parts = text.split("\u0000")
      if (parts.length !== 3 || parts[1] === "") return undefined
      return { _tag: "Password", user: parts[1]!, password: parts[2]! }
    }
    case "XOAUTH2": {
      const fields = text.split("\u0001")
      const user = fields.find((f) => f.startsWith("user="))?.slice(5)
      const token = bearer(fields)
      return user === undefined || token === undefined ? undefined : { _tag: "Token", user, token }
    }
    case "OAUTHBEARER": {
      const [gs2, ...fields] = text.split("\u0001")
      const user = /(?:^|,)a=([^,]*)/.exec(gs2 ?? "")?.[1]
      const token = bearer(fields)
      return user === undefined || token === undefined
        ? undefined
        : { _tag: "Token", user: unescapeSaslName(user), token }
    }
    default:
      return undefined
  }
}

/** Gmail's failure challenge for XOAUTH2/OAUTHBEARER: base64 of its JSON error. */
export const gmailFailureChallenge: string = Buffer.from(
  '{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}'
).toString("base64")
