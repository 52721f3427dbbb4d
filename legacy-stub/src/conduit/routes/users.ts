import express, { Router } from 'express';
import { requireCaller, signedIn } from '../auth.ts';
import { ConduitError, conduitErrors } from '../errors.ts';
import { SEED_PASSWORD, type ConduitWorld } from '../seed.ts';
import type { ConduitTokens } from '../tokens.ts';
import { userView } from '../views.ts';

export function userRoutes(world: ConduitWorld, tokens: ConduitTokens): Router {
  const router = Router();

  router.post('/api/users/login', express.json({ limit: '10kb' }), (req, res) => {
    const { email, password } = ((req.body as { user?: unknown } | undefined)?.user ?? {}) as Record<string, unknown>;
    const blank: Record<string, string[]> = {};
    if (typeof email !== 'string' || email.trim() === '') blank.email = ["can't be blank"];
    if (typeof password !== 'string' || password === '') blank.password = ["can't be blank"];
    if (Object.keys(blank).length > 0) throw new ConduitError(422, blank);
    const user = world.users.find((u) => u.email === (email as string).trim().toLowerCase());
    if (!user || password !== SEED_PASSWORD) throw conduitErrors.invalid('email or password', 'is invalid');
    res.json(userView(user, tokens.issue(user)));
  });

  // The "who am I" call: with opaque tokens, the only way to learn whom a token names.
  router.get('/api/user', requireCaller, (_req, res) => {
    const { user, token } = signedIn(res);
    res.json(userView(user, token));
  });

  return router;
}
