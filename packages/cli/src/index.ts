/** `@pkg/cli`: the `imap` command, as a module for tests and embedding (`bin.ts` runs it). */
export * as Cli from "./Cli.ts"
export * as ExitCode from "./ExitCode.ts"
export * as Output from "./Output.ts"
