/**
 * The faults armed on a server and the counters of its refusals: which one fires for a trigger,
 * and how many times it still may. Shared by every connection, so "the next LOGIN" means the next
 * on any connection.
 */
import type { Command } from "@pkg/protocol"
import type { Refusal, Trigger } from "../Behaviour.ts"
import type { Fault } from "../Fault.ts"

/** True when a fault or refusal for `trigger` applies to `event` (a command tag or the greeting). */
export const fires = (trigger: Trigger, event: Command.CommandTag | "Greeting"): boolean =>
  trigger === event || (trigger === "*" && event !== "Greeting")

/** Whether a refusal that has seen `seen` earlier matching events refuses this one. */
export const refuses = (r: Pick<Refusal, "skip" | "times">, seen: number): boolean => {
  const skip = r.skip ?? 0
  return seen >= skip && (r.times === undefined || seen < skip + r.times)
}

const lasting: ReadonlySet<Fault["_tag"]> = new Set(["Slow", "WithholdExists", "DelayExists"])

export class Faults {
  private armed: Array<Fault> = []
  private readonly seen = new Map<Refusal, number>()

  inject(fault: Fault): void {
    // An injected refusal fires once unless it says otherwise (a profile's fires every time).
    this.armed.push(
      fault._tag === "Refuse" && fault.refusal.times === undefined
        ? { _tag: "Refuse", refusal: { ...fault.refusal, times: 1 } }
        : fault
    )
  }

  clear(): void {
    this.armed = []
  }

  /** The first armed fault of `tag` that `accept` takes; spent unless it is a lasting one. */
  take<T extends Fault["_tag"]>(
    tag: T,
    accept: (f: Extract<Fault, { _tag: T }>) => boolean = () => true
  ): Extract<Fault, { _tag: T }> | undefined {
    const i = this.armed.findIndex((f) => f._tag === tag && accept(f as Extract<Fault, { _tag: T }>))
    if (i < 0) return undefined
    const f = this.armed[i] as Extract<Fault, { _tag: T }>
    if (!lasting.has(tag)) this.armed.splice(i, 1)
    return f
  }

  /** The refusal (from the behaviour or an injected `Refuse`) that answers `event`, counting it. */
  refusal(fromBehaviour: ReadonlyArray<Refusal>, event: Command.CommandTag | "Greeting"): Refusal | undefined {
    const injected = this.armed.flatMap((f) => (f._tag === "Refuse" ? [f.refusal] : []))
    let found: Refusal | undefined
    for (const r of [...injected, ...fromBehaviour]) {
      if (!fires(r.on, event)) continue
      const seen = this.seen.get(r) ?? 0
      this.seen.set(r, seen + 1)
      if (found === undefined && refuses(r, seen)) found = r
    }
    // An injected refusal is spent once its last refusal is given.
    this.armed = this.armed.filter(
      (f) => f._tag !== "Refuse" || (this.seen.get(f.refusal) ?? 0) < (f.refusal.skip ?? 0) + (f.refusal.times ?? 1)
    )
    return found
  }
}
