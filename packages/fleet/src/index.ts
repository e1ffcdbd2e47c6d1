/**
 * `@pkg/fleet`: many watched mailboxes across processes and hosts on Effect's cluster, their
 * checkpoints and an outbox of new messages in SQL (a SQLite file on one host, Postgres across
 * many), so a runner's crash loses and repeats nothing.
 *
 * @module
 */

/** Fleet layers: one process on SQLite, or one runner of many. */
export * as Fleet from "./Fleet.ts"

/** Where each new message goes. */
export * as Sink from "./Sink.ts"

/** Accounts' connection settings and where their secrets come from. */
export * as Account from "./Account.ts"

/** The watched mailboxes: add, remove, list. */
export * as Registry from "./Registry.ts"

/** New messages on their way downstream, recorded with their checkpoint. */
export * as Outbox from "./Outbox.ts"

/** The watcher's checkpoints in the fleet's database, never moving backwards. */
export * as SqlCheckpoints from "./SqlCheckpoints.ts"

/** The fleet's database from `sqlite:PATH` or a `postgres://` URL, migrated. */
export * as Database from "./Database.ts"

/** The fleet's tables. */
export * as Migrations from "./Migrations.ts"

/** A watched mailbox as a cluster entity. */
export * as MailboxEntity from "./MailboxEntity.ts"

/** The singleton that keeps the cluster's watches in step with the registry. */
export * as Reconciler from "./Reconciler.ts"

/** Runners and mailboxes as `imap fleet status` shows them. */
export * as Status from "./Status.ts"
