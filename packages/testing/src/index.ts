/**
 * `@pkg/testing`: an IMAP server that runs inside the test process, for testing apps built on
 * `@pkg/client` without installing a mail server.
 *
 * @module
 */
export {}
