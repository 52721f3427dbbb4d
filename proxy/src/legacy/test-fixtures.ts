// Shared by the legacy client's tests (not a test file itself).
import { pino } from 'pino';
import { createLegacyClient, type LegacyClient, type LegacyClientOptions } from './client.ts';
import type { EndpointPolicyOverride } from './policies.ts';

/** msw answers before any socket opens; nothing listens here should it ever leak. */
export const LEGACY = 'http://127.0.0.1:9';

export const silentLog = pino({ level: 'silent' });

/** Small numbers so fault tests run in milliseconds. */
export const FAST: EndpointPolicyOverride = {
  attemptTimeoutMs: 200,
  deadlineMs: 1_000,
  retries: 2,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
  bulkhead: { maxConcurrent: 4, maxQueue: 0 },
};

/** A client with the FAST policy, `options.defaults` layered over it. */
export function fastClient(options: Partial<LegacyClientOptions> = {}): Promise<LegacyClient> {
  const o = options.defaults ?? {};
  const defaults = {
    ...FAST,
    ...o,
    breaker: { ...FAST.breaker, ...o.breaker },
    bulkhead: { ...FAST.bulkhead, ...o.bulkhead },
  };
  return createLegacyClient({ baseUrl: LEGACY, log: silentLog, ...options, defaults });
}

/** Counts requests per method and path (with query) as the legacy API saw them. */
export function hitCounter() {
  const hits = new Map<string, number>();
  return {
    record(request: Request): number {
      const url = new URL(request.url);
      const key = `${request.method} ${url.pathname}${url.search}`;
      const n = (hits.get(key) ?? 0) + 1;
      hits.set(key, n);
      return n;
    },
    of(key: string): number {
      return hits.get(key) ?? 0;
    },
  };
}

/** A wait that ends early when the request is abandoned, like a real server's would. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Runs `fn` and returns its rejection, failing when it resolves. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a value');
}
