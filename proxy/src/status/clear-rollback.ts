import type { RequestHandler } from 'express';
import type { CanaryGuard } from '../canary/canary-guard.ts';
import { ProblemError, problems } from '../edge/problem.ts';
import { checkCsrf } from '../identity/csrf.ts';
import { isNavigation, type Refusals } from '../identity/refusals.ts';
import { LockBusyError } from '../storage/lock.ts';
import type { StatusGrant } from './access.ts';

export interface ClearRollbackDeps {
  guard: Pick<CanaryGuard, 'clear'>;
  /** Where a signed-in staff member's POST may come from: the public origin and ALLOWED_ORIGINS. */
  allowedOrigins: readonly string[];
  refusals: Pick<Refusals, 'csrf'>;
  /** `${prefix}/status`: where the page's form comes back to. */
  basePath: string;
}

/**
 * `POST ${prefix}/status/routes/:id/clear-rollback`: staff end a canary rollback, and the
 * route's canary is served again on every instance within about a second. Behind the status
 * page's access (status-router.ts); a session's POST must also come from the proxy's own
 * origin (a page elsewhere cannot press the button for them), the status token needs no more.
 * The page's form gets a 303 back to the route; a script gets JSON. Logged with who did it.
 */
export function clearRollbackHandler(deps: ClearRollbackDeps): RequestHandler {
  return async (req, res) => {
    const grant = (res.locals as { grant: StatusGrant }).grant;
    if (grant.via === 'session') {
      const verdict = checkCsrf(req, deps.allowedOrigins);
      if (!verdict.ok) return deps.refusals.csrf(req, res, verdict.reason);
    }
    const id = String(req.params['id']);
    const named = JSON.stringify(id.slice(0, 128));
    const by = grant.via === 'session' ? grant.userId : 'status token';
    let outcome: Awaited<ReturnType<CanaryGuard['clear']>>;
    try {
      outcome = await deps.guard.clear(id, by);
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err;
      throw new ProblemError(problems.serviceUnavailable(`Another instance is changing the rollback of ${named} right now. Try again in a moment.`), { 'Retry-After': '2' });
    }
    if ('unknownRoute' in outcome) throw new ProblemError(problems.notFound(`There is no migrated route ${named}.`));
    if ('notRolledBack' in outcome) {
      throw new ProblemError({ type: 'urn:strangler-proxy:not-rolled-back', title: 'Conflict', status: 409, detail: `Route ${named} is not rolled back: there is nothing to clear.` });
    }
    res.set('cache-control', 'no-store');
    if (isNavigation(req) || (req.headers.accept ?? '').includes('text/html')) return res.redirect(303, `${deps.basePath}#route-${encodeURIComponent(id)}`);
    const { at, reason, detail, flag } = outcome.cleared;
    res.json({ route: id, cleared: { at, reason, detail, flag }, by });
  };
}
