import type { Logger } from 'pino';

const EVERY_MS = 10_000;

/**
 * A warn line for bulkhead rejections that cannot flood the log: a burst is told in one line
 * once the current turn of the event loop is over (40 requests at once: one line, 36 rejected),
 * then at most one line per endpoint every 10 s, each with the number rejected since the last.
 */
export function rejectionLog(log: Logger, key: string, bulkhead: { maxConcurrent: number; maxQueue: number }, everyMs = EVERY_MS): () => void {
  let rejected = 0;
  let lastAt = -Infinity;
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    lastAt = Date.now();
    log.warn({ endpoint: key, rejected, ...bulkhead }, `legacy bulkhead full: ${rejected} call${rejected === 1 ? '' : 's'} to ${key} rejected`);
    rejected = 0;
  }

  return () => {
    rejected++;
    if (scheduled) return;
    scheduled = true;
    const wait = lastAt + everyMs - Date.now();
    if (wait > 0) setTimeout(flush, wait).unref();
    else setImmediate(flush).unref();
  };
}
