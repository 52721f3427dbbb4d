import { Router } from 'express';
import { problems, sendProblem } from '../edge/problem.ts';
import { stateOf } from '../edge/request-state.ts';
import type { Readiness } from './readiness.ts';

/**
 * `/health/live`: the process answers (restart it if not).
 * `/health/ready`: this instance can serve (route to it if so): 200 with the checks, else 503
 * problem+json naming what is missing (a 200 names what is `degraded`: the store, down since it
 * first answered). Either way it carries the legacy API's reachability as a report (`legacy`),
 * never as a condition.
 */
export function healthRouter(readiness: Readiness): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'live' });
  });
  router.get('/health/ready', async (req, res) => {
    const report = await readiness.check();
    res.setHeader('cache-control', 'no-store');
    if (report.ready) {
      res.json({ status: 'ready', ...(report.degraded.length > 0 ? { degraded: report.degraded } : {}), checks: report.checks, legacy: report.legacy });
      return;
    }
    const why = report.missing.map((name) => `${name}: ${report.checks[name]}`).join('; ');
    sendProblem(
      res,
      { ...problems.serviceUnavailable(`This instance cannot serve yet (${why}).`), missing: report.missing, checks: report.checks, legacy: report.legacy },
      stateOf(req).correlationId,
    );
  });
  return router;
}
