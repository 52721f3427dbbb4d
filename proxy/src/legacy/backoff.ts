/**
 * How long to wait before retry number `retry` (1 for the first retry): exponential
 * from `baseMs`, capped at `maxMs`, with "equal jitter" (a random point in the upper
 * half) so callers that failed together do not come back together, yet never retry
 * at once.
 */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * A `Retry-After` value in milliseconds from `now`: delta-seconds or an HTTP-date
 * (RFC 9110 10.2.3). Undefined when absent or unreadable; a date in the past is 0.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // Date.parse is lenient ('1.5' is a date to V8); an HTTP-date always names a day.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
