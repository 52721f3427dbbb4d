import { Router } from 'express';
import { problems, sendProblem } from './problem.ts';
import { stateOf } from './request-state.ts';

export interface ReadinessProbe {
  /** Is the legacy API reachable? Cached briefly so a busy probe does not load it. */
  check(): Promise<{ reachable: boolean; latencyMs: number | null; checkedAt: string; error?: string }>;
}

export function createLegacyProbe(legacyUrl: string, timeoutMs = 2_000, cacheMs = 1_000): ReadinessProbe {
  let last: { at: number; result: Awaited<ReturnType<ReadinessProbe['check']>> } | null = null;
  let inFlight: Promise<Awaited<ReturnType<ReadinessProbe['check']>>> | null = null;
  return {
    async check() {
      if (last && Date.now() - last.at < cacheMs) return last.result;
      inFlight ??= (async () => {
        const started = performance.now();
        try {
          const res = await fetch(`${legacyUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
          await res.body?.cancel();
          const latencyMs = Math.round(performance.now() - started);
          return res.ok
            ? { reachable: true, latencyMs, checkedAt: new Date().toISOString() }
            : { reachable: false, latencyMs, checkedAt: new Date().toISOString(), error: `legacy /health answered ${res.status}` };
        } catch (err) {
          return { reachable: false, latencyMs: null, checkedAt: new Date().toISOString(), error: (err as Error).name };
        }
      })().finally(() => (inFlight = null));
      const result = await inFlight;
      last = { at: Date.now(), result };
      return result;
    },
  };
}

/** `/health/live`: the process answers. `/health/ready`: and the legacy API is reachable. */
export function healthRouter(probe: ReadinessProbe): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'live' });
  });
  router.get('/health/ready', async (req, res) => {
    const legacy = await probe.check();
    if (legacy.reachable) {
      res.json({ status: 'ready', legacy });
      return;
    }
    sendProblem(res, { ...problems.serviceUnavailable('The legacy API is not reachable.'), legacy }, stateOf(req).correlationId);
  });
  return router;
}
