/**
 * `@pkg/testing`: an IMAP server that runs inside the test process, for testing apps built on
 * `@pkg/client` without installing a mail server.
 *
 * @module
 */

/** What the server does where real servers differ (capabilities, greeting, FETCH order, ...), as data. */
export * as Behaviour from "./Behaviour.ts"
