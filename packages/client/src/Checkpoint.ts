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

/**
 * How far a watcher has delivered in one mailbox: the UIDVALIDITY it saw, the last UID handed to
 * the consumer, and the CONDSTORE mod-sequence.
 */
export interface Checkpoint {
  readonly uidValidity: number
  readonly lastUid: number
  /**
   * CONDSTORE: every flag change and expunge up to this mod-sequence has been delivered. A decimal
   * string, because mod-sequences are 63-bit and JSON numbers are not.
   */
  readonly highestModSeq?: string | undefined
}

/** A checkpoint could not be read or written (an unreadable file, invalid JSON, a failed rename). */
export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * Where a watcher keeps its checkpoints, one per key (user, host, mailbox): in a file (`layerFile`)
 * or in memory.
 */
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

/** A `CheckpointStore` in memory: for tests, or a watcher that need not survive a restart. */
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

// One write at a time per file in this process, across store instances: each write is a
// read-merge-write of the whole file, which two interleaved writers would turn into a lost key.
const fileLocks = new Map<string, Semaphore.Semaphore>()
const lockFor = (file: string): Semaphore.Semaphore => {
  const resolved = path.resolve(file)
  let lock = fileLocks.get(resolved)
  if (lock === undefined) {
    lock = Semaphore.makeUnsafe(1)
    fileLocks.set(resolved, lock)
  }
  return lock
}
let tmpCounter = 0

/**
 * A JSON file holding every mailbox's checkpoint; survives restarts. Each `set` re-reads the file
 * and replaces only its own key, so several watchers (or processes, one after another) can share a
 * file without erasing each other's mailboxes. Two processes writing at the same instant can still
 * race: give concurrent processes their own files.
 */
export const makeFile = Effect.fnUntraced(function* (file: string) {
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
  // Fails early, not at the first message: a file that is there but unreadable or not a
  // checkpoint file, or a directory the store could not write its file into.
  yield* read
  const dir = path.dirname(file)
  yield* Effect.tryPromise({
    try: () => fs.access(dir, fs.constants.W_OK),
    catch: (cause) =>
      new CheckpointError({ message: `cannot write ${file}: ${dir} is not a writable directory`, cause })
  })
  const lock = lockFor(file)
  const write = (next: Record<string, Checkpoint>) =>
    Effect.tryPromise({
      try: async () => {
        const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`)
        const handle = await fs.open(tmp, "w")
        try {
          await handle.writeFile(JSON.stringify(next))
          await handle.sync()
        } finally {
          await handle.close()
        }
        await fs.rename(tmp, file)
        await syncDirectory(dir)
      },
      catch: (cause) => new CheckpointError({ message: `cannot write ${file}`, cause })
    })
  return CheckpointStore.of({
    get: (key) => Effect.map(read, (fresh) => Option.fromNullishOr(fresh[key])),
    set: (key, checkpoint) => lock.withPermit(Effect.flatMap(read, (fresh) => write({ ...fresh, [key]: checkpoint })))
  })
})

/** Makes a rename durable: fsync the directory (not possible everywhere; best effort). */
const syncDirectory = async (dir: string): Promise<void> => {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(dir, "r")
    await handle.sync()
  } catch {
    // Some platforms and file systems refuse to open or fsync a directory.
  } finally {
    await handle?.close()
  }
}

/** A `CheckpointStore` kept in a JSON file, written atomically (temporary file, then rename). */
export const layerFile = (file: string): Layer.Layer<CheckpointStore, CheckpointError> =>
  Layer.effect(CheckpointStore, makeFile(file))

/** The key a watcher uses: user, host and mailbox, so one file can serve several accounts. */
export const keyOf = (host: string, user: string | undefined, mailbox: string): string =>
  `${user ?? ""}@${host}/${mailbox}`
