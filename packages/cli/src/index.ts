/**
 * `@pkg/cli`: the `imap` command, as a module for tests and embedding (`bin.ts` runs it).
 *
 * @module
 */

/** The `imap` command with its subcommands, and `main`, which runs it on the process's arguments. */
export * as Cli from "./Cli.ts"

/** The exit codes of `imap` and how a failure maps to one. */
export * as ExitCode from "./ExitCode.ts"

/** How `imap` prints messages and progress: text lines or JSON, terminal-safe. */
export * as Output from "./Output.ts"
