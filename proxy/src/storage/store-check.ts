import type { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { withDeadline } from './store-deadline.ts';

export interface StoreCheck {
  /** Whether the store answers a PING within the store deadline; cached briefly, one at a time. */
  (): Promise<{ reachable: boolean; error?: string }>;
}

/**
 * Readiness's question to the store (Redis): a PING with the same deadline as every store call
 * (STORE_TIMEOUT_MS). A stopped Redis fails at once (commands are not queued while offline);
 * a hung one fails at the deadline. The answer is kept for `cacheMs` so that frequent probes
 * from several load balancers cost one PING a second. A memory store is always reachable.
 */
export function createStoreCheck(keyv: Keyv<unknown>, timeoutMs: number, cacheMs = 1_000): StoreCheck {
  const store = keyv.store as unknown;
  if (!(store instanceof KeyvRedis)) return async () => ({ reachable: true });
  let last: { at: number; result: { reachable: boolean; error?: string } } | null = null;
  let inFlight: Promise<{ reachable: boolean; error?: string }> | null = null;

  async function ping(): Promise<{ reachable: boolean; error?: string }> {
    try {
      await withDeadline(
        (async () => {
          const client = await (store as KeyvRedis<unknown>).getClient();
          await client.ping();
        })(),
        timeoutMs,
        'PING',
      );
      return { reachable: true };
    } catch {
      // Never the driver's words: they can name the Redis host, and REDIS_URL is kept out of answers.
      return { reachable: false, error: `the store (Redis) did not answer PING within ${timeoutMs} ms` };
    }
  }

  return () => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.result);
    inFlight ??= ping()
      .then((result) => {
        last = { at: Date.now(), result };
        return result;
      })
      .finally(() => (inFlight = null));
    return inFlight;
  };
}
