/**
 * Faults a test injects into a running test server (`TestServer.inject`), as data: cut the
 * connection after some bytes or at a named point, stall, answer slowly, say BYE, send a garbage
 * line, refuse (throttling), hold back or delay new-mail notifications, change a mailbox's
 * UIDVALIDITY, expire an access token. Each fires once (or `times` times) unless it says it lasts;
 * `TestServer.clearFaults` removes those not spent.
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import type { Refusal, Trigger } from "./Behaviour.ts"

export type {
  /** A refusal a `Refuse` fault answers with (see `Behaviour.Refusal`). */
  Refusal,
  /** Where a fault fires: the greeting, a command tag, or `*` (see `Behaviour.Trigger`). */
  Trigger
} from "./Behaviour.ts"

/** Every fault the server can apply. */
export type Fault =
  /** The next connection opened is cut once the server has written `bytes` bytes on it (greeting included). */
  | { readonly _tag: "CutAfterBytes"; readonly bytes: number }
  /** The next FETCH response holding a literal is cut halfway through the literal. */
  | { readonly _tag: "CutMidLiteral" }
  /** The next IDLE is cut right after its `+` continuation. */
  | { readonly _tag: "CutMidIdle" }
  /** The next command matching `on` is cut just before its tagged reply (its untagged data is sent). */
  | { readonly _tag: "CutBeforeTagged"; readonly on: Trigger }
  /** The next command matching `on` is never answered; the connection stays open and silent. */
  | { readonly _tag: "Stall"; readonly on: Trigger }
  /** Every write waits `delay` first, on every connection, until `clearFaults`. */
  | { readonly _tag: "Slow"; readonly delay: Duration.Input }
  /** `* BYE text` and a close, instead of answering the next command matching `on` (or instead of the greeting). */
  | { readonly _tag: "Bye"; readonly on: Trigger; readonly text: string }
  /** A line that is no IMAP response, written before the reply to the next command matching `on`. */
  | { readonly _tag: "Garbage"; readonly on: Trigger; readonly line: string }
  /** A refusal (throttling, `[UNAVAILABLE]`, ...) of the next matching commands. */
  | { readonly _tag: "Refuse"; readonly refusal: Refusal }
  /** New-mail, flag and expunge notifications are not pushed to idling sessions until `clearFaults` (told at their next command). */
  | { readonly _tag: "WithholdExists" }
  /** Notifications to idling sessions wait `delay` more, until `clearFaults`. */
  | { readonly _tag: "DelayExists"; readonly delay: Duration.Input }
  /**
   * The mailbox gets a new UIDVALIDITY and its messages new UIDs (a server's index rebuilt); the
   * sessions selected on it are told BYE and closed, as Dovecot does.
   */
  | { readonly _tag: "ChangeUidValidity"; readonly user: string; readonly mailbox: string }
  /** The access token is refused from now on, as a provider answers an expired one (`Behaviour.oauthFailure`). */
  | { readonly _tag: "ExpireToken"; readonly token: string }

/** `* BYE` and a close instead of answering `on`. */
export const bye = (on: Trigger, text = "Server shutting down."): Fault => ({ _tag: "Bye", on, text })

/** Microsoft 365's throttling refusal of `on` (docs/servers.md), `times` times (default once). */
export const throttled = (on: Trigger, times = 1): Fault => ({
  _tag: "Refuse",
  refusal: { on, status: "NO", text: "Request is throttled. Suggested Backoff Time: 1000 milliseconds", times }
})
