import type { LegacyReach, LegacyReachability } from './legacy-reachability.ts';

/**
 * GET `legacyUrl + path`, at most once per `cacheMs` and one at a time. Any answer below 500
 * counts as reachable (a 404 or 401 at /health still proves the legacy API is up and
 * answering); a 5xx, a refused connection or no answer within `timeoutMs` does not.
 * Redirects are not followed: an answer is an answer.
 */
export function createLegacyProbe(opts: { legacyUrl: string; path: string; timeoutMs?: number; cacheMs?: number }): LegacyReachability {
  const { path } = opts;
  const url = `${opts.legacyUrl}${path}`;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const cacheMs = opts.cacheMs ?? 1_000;
  let last: { at: number; result: LegacyReach } | null = null;
  let inFlight: Promise<LegacyReach> | null = null;

  async function probe(): Promise<LegacyReach> {
    const started = performance.now();
    const checkedAt = () => new Date().toISOString();
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      const latencyMs = Math.round(performance.now() - started);
      return res.status < 500
        ? { reachable: true, judgedBy: 'probe', path, latencyMs, checkedAt: checkedAt() }
        : { reachable: false, judgedBy: 'probe', path, latencyMs, checkedAt: checkedAt(), error: `GET ${path} answered ${res.status}` };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      const error = (err as Error).name === 'TimeoutError' ? `no answer to GET ${path} within ${timeoutMs} ms` : `GET ${path} failed${code ? ` (${code})` : ''}`;
      return { reachable: false, judgedBy: 'probe', path, latencyMs: null, checkedAt: checkedAt(), error };
    }
  }

  function refresh(): Promise<LegacyReach> {
    inFlight ??= probe()
      .then((result) => {
        last = { at: Date.now(), result };
        return result;
      })
      .finally(() => (inFlight = null));
    return inFlight;
  }

  const fresh = () => last !== null && Date.now() - last.at < cacheMs;

  return {
    judgedBy: 'probe',
    finishedListeners: [],
    async check() {
      return fresh() ? last!.result : refresh();
    },
    latest() {
      if (!fresh()) void refresh();
      return last?.result ?? { reachable: null, judgedBy: 'probe', path, latencyMs: null, checkedAt: null, note: `not known yet: the first GET ${path} is under way` };
    },
  };
}
