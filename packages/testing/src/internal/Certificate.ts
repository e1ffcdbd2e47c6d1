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

/** Makes a certificate valid from a day ago for a year (RSA 2048, SHA-256). */
export const make = (): Certificate => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  // A positive serial: a leading 0x00 octet keeps the DER integer from reading as negative.
  cert.serialNumber = `00${randomBytes(8).toString("hex")}`
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
