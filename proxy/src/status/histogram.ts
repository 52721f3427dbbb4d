/**
 * Latency histograms with fixed, log-scale buckets: four per doubling from 0.1 ms, so a
 * bucket is at most ~19% wide. Fixed bounds make histograms from different minutes and
 * different instances mergeable by adding counts, which stored samples would not be.
 */

const BASE_MS = 0.1;
const PER_DOUBLING = 4;
/** Index of the overflow bucket: everything above upperBoundMs(OVERFLOW - 1), about 88 s. */
const OVERFLOW = 80;
export const BUCKET_COUNT = OVERFLOW + 1;

/** The bucket a duration falls in; cheap enough for every request (one log2). */
export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  const i = Math.ceil(PER_DOUBLING * Math.log2(ms / BASE_MS));
  return i >= OVERFLOW ? OVERFLOW : i;
}

/** The inclusive upper bound of a bucket; Infinity for the overflow bucket. */
export function upperBoundMs(index: number): number {
  return index >= OVERFLOW ? Infinity : BASE_MS * 2 ** (index / PER_DOUBLING);
}

export function newHistogram(): Uint32Array {
  return new Uint32Array(BUCKET_COUNT);
}

/** Stored form: only the non-empty buckets, `{ "index": count }`. */
export type SparseHistogram = Record<string, number>;

export function toSparse(h: Uint32Array): SparseHistogram {
  const out: SparseHistogram = {};
  for (let i = 0; i < h.length; i++) if (h[i]) out[i] = h[i]!;
  return out;
}

/** Adds a stored histogram into `into`; unknown or malformed entries are ignored. */
export function addSparse(into: Uint32Array, sparse: SparseHistogram | undefined): void {
  if (!sparse) return;
  for (const [key, count] of Object.entries(sparse)) {
    const i = Number(key);
    if (Number.isInteger(i) && i >= 0 && i < into.length && Number.isFinite(count) && count > 0) into[i] = into[i]! + count;
  }
}

export function addHistogram(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = into[i]! + from[i]!;
}

/**
 * The q-quantile as the upper bound of the bucket it falls in: never below the true value,
 * at most one bucket (~19%) above it. Null without data; Infinity when it is in the overflow.
 */
export function quantileMs(h: Uint32Array, q: number): number | null {
  let total = 0;
  for (let i = 0; i < h.length; i++) total += h[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= rank) return upperBoundMs(i);
  }
  return Infinity;
}
