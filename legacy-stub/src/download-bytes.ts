/**
 * The large download's content: byte i is `i % 251`. 251 is prime, so the pattern
 * never lines up with power-of-two buffer sizes, and a chunk the proxy drops,
 * repeats or reorders changes the sha256. Tests compute the expected digest with
 * `downloadBytes(n)` (or by streaming `downloadChunks(n)` through a hash).
 */
export const DOWNLOAD_PATTERN_PERIOD = 251;

// A whole number of periods, so every block starts at phase 0 and blocks can be reused.
const BLOCK = Buffer.from(Array.from({ length: DOWNLOAD_PATTERN_PERIOD * 256 }, (_, i) => i % DOWNLOAD_PATTERN_PERIOD));

export function* downloadChunks(total: number): Generator<Buffer> {
  for (let left = total; left > 0; left -= BLOCK.length) yield BLOCK.subarray(0, Math.min(left, BLOCK.length));
}

export function downloadBytes(n: number): Buffer {
  return Buffer.concat([...downloadChunks(n)], n);
}
