/**
 * `@pkg/testing`: an IMAP server that runs inside the test process, for testing apps built on
 * `@pkg/client` without installing a mail server.
 *
 * @module
 */

/** What the server does where real servers differ (capabilities, greeting, FETCH order, ...), as data. */
export * as Behaviour from "./Behaviour.ts"

/** Faults a test injects into a running server: cuts, stalls, BYE, garbage, throttling, expired tokens. */
export * as Fault from "./Fault.ts"

/** The in-process IMAP server: `make`, `layer`, the `TestServer` service and its handle. */
export * as TestServer from "./TestServer.ts"

/** Server quirk profiles (Courier, Cyrus, Dovecot, Gmail, Microsoft 365) as `Behaviour` values, each fact with its source. */
export * as Profile from "./Profile.ts"
