/** The end of the dual-auth window: after it, legacy tokens (wherever they travel) are no longer accepted. */
export interface Cutoff {
  date: Date | null;
  passed(): boolean;
}

// A bare local date-time would mean a different instant on each server: demand an offset.
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `isoDateTime` like `2026-03-01T00:00:00Z` (a bare date means midnight UTC); absent: no cutoff. */
export function createCutoff(isoDateTime: string | undefined, now: () => number = Date.now): Cutoff {
  if (isoDateTime === undefined || isoDateTime.trim() === '') return { date: null, passed: () => false };
  const text = isoDateTime.trim();
  const at = WITH_OFFSET.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) {
    throw new Error(
      `legacy token cutoff "${isoDateTime}" is not an ISO date-time with an offset (e.g. 2026-03-01T00:00:00Z)`,
    );
  }
  return { date: new Date(at), passed: () => now() >= at };
}
