/**
 * Where the watcher remembers how far it got: (UIDVALIDITY, last delivered UID) per mailbox. A
 * service, so an app can keep it in its own database; in memory by default, and a file-backed layer
 * whose writes are atomic (write to a temp file, fsync, rename) so a crash never leaves half a file.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as fs from "node:fs/promises"
import * as path from "node:path"

export interface Checkpoint {
  readonly uidValidity: number
  readonly lastUid: number
  /**
   * CONDSTORE: every flag change and expunge up to this mod-sequence has been delivered. A decimal
   * string, because mod-sequences are 63-bit and JSON numbers are not.
   */
  readonly highestModSeq?: string | undefined
}

export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export class CheckpointStore extends Context.Service<
  CheckpointStore,
  {
    readonly get: (key: string) => Effect.Effect<Option.Option<Checkpoint>, CheckpointError>
    readonly set: (key: string, checkpoint: Checkpoint) => Effect.Effect<void, CheckpointError>
  }
>()("@pkg/client/CheckpointStore") {}

/** A fresh in-memory store (lost with the process). */
export const makeMemory = Effect.sync(() => {
  const map = new Map<string, Checkpoint>()
  return CheckpointStore.of({
    get: (key) => Effect.sync(() => Option.fromNullishOr(map.get(key))),
    set: (key, checkpoint) =>
      Effect.sync(() => {
        map.set(key, checkpoint)
      })
  })
})

export const layerMemory: Layer.Layer<CheckpointStore> = Layer.effect(CheckpointStore, makeMemory)

const FileContents = Schema.Record(
  Schema.String,
  Schema.Struct({
    uidValidity: Schema.Number,
    lastUid: Schema.Number,
    highestModSeq: Schema.optional(Schema.String)
  })
)
const decodeFile = Schema.decodeUnknownEffect(Schema.fromJsonString(FileContents))

/** A JSON file holding every mailbox's checkpoint; survives restarts. */
export const makeFile = (file: string) =>
  Effect.gen(function* () {
    const read = Effect.tryPromise({
      try: () => fs.readFile(file, "utf8"),
      catch: (cause) => new CheckpointError({ message: `cannot read ${file}`, cause })
    }).pipe(
      Effect.catchIf(
        (e) => (e.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT",
        () => Effect.succeed("{}")
      ),
      Effect.flatMap((text) =>
        decodeFile(text).pipe(
          Effect.mapError((cause) => new CheckpointError({ message: `${file} is not a checkpoint file`, cause }))
        )
      )
    )
    let contents: Record<string, Checkpoint> = { ...(yield* read) }
    // One write at a time: writes share the temp file and must land in the order they were asked.
    const lock = yield* Semaphore.make(1)
    const write = (next: Record<string, Checkpoint>) =>
      Effect.tryPromise({
        try: async () => {
          const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
          const handle = await fs.open(tmp, "w")
          try {
            await handle.writeFile(JSON.stringify(next))
            await handle.sync()
          } finally {
            await handle.close()
          }
          await fs.rename(tmp, file)
        },
        catch: (cause) => new CheckpointError({ message: `cannot write ${file}`, cause })
      })
    return CheckpointStore.of({
      get: (key) => Effect.sync(() => Option.fromNullishOr(contents[key])),
      set: (key, checkpoint) =>
        lock.withPermit(
          Effect.suspend(() => {
            const next = { ...contents, [key]: checkpoint }
            return Effect.tap(write(next), () =>
              Effect.sync(() => {
                contents = next
              })
            )
          })
        )
    })
  })

export const layerFile = (file: string): Layer.Layer<CheckpointStore, CheckpointError> =>
  Layer.effect(CheckpointStore, makeFile(file))

/** The key a watcher uses: user, host and mailbox, so one file can serve several accounts. */
export const keyOf = (host: string, user: string | undefined, mailbox: string): string =>
  `${user ?? ""}@${host}/${mailbox}`
