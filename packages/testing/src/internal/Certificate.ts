/**
 * A self-signed certificate for `localhost` and 127.0.0.1, made when a test server starts: the
 * key pair by node:crypto, the X.509 certificate by node-forge (Node can verify certificates but
 * not issue them; @peculiar/x509 would need a global reflect-metadata polyfill). The certificate is
 * its own CA: a client trusts it by passing its PEM as `ca`.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto"
import forge from "node-forge"

/** A PEM key and certificate. */
export interface Certificate {
  readonly key: string
  readonly cert: string
}

/**
 * A certificate serial (hex) from random bytes, positive and DER-minimal: the first octet in
 * 0x40-0x7f. A leading 0x00 octet is only allowed before one with its high bit set; OpenSSL 3
 * refuses any other ("illegal padding"), which a `00` prefix on random bytes met once in 256.
 */
export const serialNumber = (random: Uint8Array): string => {
  const bytes = Uint8Array.from(random)
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40
  return Buffer.from(bytes).toString("hex")
}

/** Makes a certificate valid from a day ago for a year (RSA 2048, SHA-256). */
export const make = (): Certificate => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  cert.serialNumber = serialNumber(randomBytes(8))
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000)
  const name = [{ name: "commonName", value: "localhost" }]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.setExtensions([
    { name: "basicConstraints", cA: true },
    { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: "127.0.0.1" }
      ]
    }
  ])
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create())
  return { key: privateKey, cert: forge.pki.certificateToPem(cert) }
}

let cached: Certificate | undefined

/**
 * One certificate for every server of the process, made on first use: making one costs about
 * 67 ms of CPU (RSA key and signature), and a test suite starts a server per test.
 */
export const shared = (): Certificate => {
  cached ??= make()
  return cached
}
