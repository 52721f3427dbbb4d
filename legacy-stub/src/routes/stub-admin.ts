import express, { Router } from 'express';
import { legacyErrors } from '../legacy-error.ts';
import type { StubContext } from '../context.ts';

/**
 * /__stub/*: controls for tests and demos, not part of the legacy API. Never faulted,
 * never authenticated: the stub only ever listens on loopback in dev and tests.
 */
export function stubAdminRoutes({ stats, faults }: StubContext): Router {
  const router = Router();

  router.get('/__stub/stats', (_req, res) => {
    res.json({
      enrollmentWrites: stats.enrollmentWrites,
      requestsByPath: Object.fromEntries(stats.requestsByPath),
    });
  });

  router.get('/__stub/faults', (_req, res) => {
    res.json(faults.get());
  });

  // Lets a demo or an end-to-end test make a running stub misbehave, and stop again with [].
  router.put('/__stub/faults', express.json({ limit: '100kb' }), (req, res) => {
    try {
      faults.set(req.body);
    } catch (err) {
      throw legacyErrors.badRequest(`Fault rules rejected: ${(err as Error).message}`);
    }
    res.json(faults.get());
  });

  return router;
}
