import type { Logger } from 'pino';

/**
 * For a fault that repeats on every call while it lasts (a store down, a collector away): a
 * warn line once per `everyMs`, carrying how many were left out since the last one.
 */
export function throttledWarn(log: Logger, everyMs: number): (obj: object, msg: string) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (obj, msg) => {
    const now = Date.now();
    if (now - lastAt < everyMs) {
      suppressed++;
      return;
    }
    log.warn({ ...obj, suppressedSinceLast: suppressed }, msg);
    lastAt = now;
    suppressed = 0;
  };
}
