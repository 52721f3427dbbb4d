import { Router } from 'express';
import { callerOf } from '../auth.ts';
import { conduitErrors } from '../errors.ts';
import type { ConduitWorld } from '../seed.ts';
import { profileOf } from '../views.ts';

export function profileRoutes(world: ConduitWorld): Router {
  const router = Router();

  router.get('/api/profiles/:username', (req, res) => {
    if (!world.users.some((u) => u.username === req.params.username)) throw conduitErrors.notFound('profile');
    res.json({ profile: profileOf(world, req.params.username, callerOf(res)) });
  });

  return router;
}
