/**
 * The uid-set text of a VANISHED response (`41,43:116,118`) read as ranges, without expanding it:
 * the reducer only counts the UIDs, the watcher lists a bounded number of them. Parts that are not
 * two integers (`*` is not allowed in VANISHED, RFC 7162 3.2.10) are skipped.
 */
export const ranges = (set: string): Array<readonly [low: number, high: number]> => {
  const out: Array<readonly [number, number]> = []
  for (const part of set.split(",")) {
    const colon = part.indexOf(":")
    const a = Number(colon < 0 ? part : part.slice(0, colon))
    const b = colon < 0 ? a : Number(part.slice(colon + 1))
    if (Number.isInteger(a) && Number.isInteger(b)) out.push([Math.min(a, b), Math.max(a, b)])
  }
  return out
}

/** How many UIDs the set names (ranges counted as written). */
export const count = (set: string): number => ranges(set).reduce((n, [low, high]) => n + high - low + 1, 0)
