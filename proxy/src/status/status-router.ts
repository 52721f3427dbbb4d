import { isWellFormedCorrelationId } from '../edge/correlation-id.ts';
import express, { type Request, type Response, type Router } from 'express';
import { ProblemError, problems } from '../edge/problem.ts';
import type { StatusAccess, StatusGrant } from './access.ts';
import { clearRollbackHandler, type ClearRollbackDeps } from './clear-rollback.ts';
import type { TrafficAccounting } from './accounting.ts';
import { buildStatusSnapshot, type StatusSources } from './build-snapshot.ts';
import { renderStatusPage, type LookupResult } from './page.ts';
import { parsePageQuery } from './page-sort.ts';
import { STATUS_CSS_HASH } from './page-style.ts';

export interface StatusRouterDeps {
  access: StatusAccess;
  traffic: TrafficAccounting;
  sources: StatusSources;
  /** The reserved prefix; the router is mounted on it and serves `${prefix}/status...`. */
  prefix: string;
  /** Staff clearing a canary rollback (a POST: same-origin for sessions, or the status token). */
  rollbacks: Omit<ClearRollbackDeps, 'basePath'>;
}

const PAGE_HEADERS = {
  'content-security-policy': `default-src 'none'; style-src ${STATUS_CSS_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  // The URL may carry a user's correlation id: keep it out of other sites' logs.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * For staff only (see access.ts):
 *   GET /status                     the page (`?window=`, `?sort=&dir=`, `?usort=&udir=`, `?correlationId=`)
 *   GET /status/api                 the whole snapshot as JSON (snapshot.ts documents it)
 *   GET /status/requests/:id        one recent request by correlation id or trace id; 404 problem when unknown
 *   POST /status/routes/:id/clear-rollback   ends the canary guard's rollback of a route (clear-rollback.ts)
 */
export function createStatusRouter(deps: StatusRouterDeps): Router {
  const router = express.Router();
  const base = `${deps.prefix}/status`;

  router.use('/status', async (req, res, next) => {
    const grant = await deps.access(req, res);
    if (!grant) return;
    (res.locals as { grant?: StatusGrant }).grant = grant;
    next();
  });

  async function snapshot() {
    // This instance's latest counts first; other instances' are as of their last flush.
    await deps.traffic.flush();
    return buildStatusSnapshot(deps.sources);
  }

  router.get('/status', async (req: Request, res: Response) => {
    const q = parsePageQuery(req.query as Record<string, unknown>);
    let lookup: LookupResult | undefined;
    if (q.correlationId !== undefined) {
      lookup = isWellFormedCorrelationId(q.correlationId)
        ? { id: q.correlationId, found: await deps.traffic.lookup(q.correlationId) }
        : { id: q.correlationId, invalid: true };
    }
    const html = renderStatusPage(await snapshot(), q, lookup, base);
    res.set(PAGE_HEADERS).type('html').send(html);
  });

  router.get('/status/api', async (_req, res) => {
    res.set('cache-control', 'no-store').json(await snapshot());
  });

  // A wildcard, not `:id`: correlation ids may contain `/`.
  router.get('/status/requests/*id', async (req, res) => {
    const id = ([] as string[]).concat(req.params['id'] as string | string[]).join('/');
    const found = isWellFormedCorrelationId(id) ? await deps.traffic.lookup(id) : null;
    if (!found) {
      throw new ProblemError(problems.notFound(`No request with correlation id or trace id ${JSON.stringify(id.slice(0, 128))} in the recent window (about the last hour).`));
    }
    res.set('cache-control', 'no-store').json(found);
  });

  router.post('/status/routes/:id/clear-rollback', clearRollbackHandler({ ...deps.rollbacks, basePath: base }));

  return router;
}
