import { Router } from 'express';
import { buildHome } from '../home.ts';
import { callerOf } from '../require-auth.ts';
import type { StubContext } from '../context.ts';

export function homeRoutes({ world }: StubContext): Router {
  const router = Router();
  router.get('/api/home', (_req, res) => {
    res.json(buildHome(world, callerOf(res)));
  });
  return router;
}
