import express, { Router } from 'express';
import { legacyErrors, sendLegacyError } from '../legacy-error.ts';
import { findUserByUsername } from '../queries.ts';
import { SEED_PASSWORD } from '../seed.ts';
import type { StubContext } from '../context.ts';

export function authRoutes({ world, tokens }: StubContext): Router {
  const router = Router();

  router.post('/api/auth/login', express.json({ limit: '10kb' }), (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string')
      throw legacyErrors.badRequest('A JSON body with "username" and "password" is required.');
    const user = findUserByUsername(world, username);
    if (!user || password !== SEED_PASSWORD) {
      sendLegacyError(res, 401, 'invalid_credentials', 'Wrong username or password.');
      return;
    }
    res.set('cache-control', 'no-store').json({ token: tokens.issue(user) });
  });

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.json(tokens.jwks());
  });

  return router;
}
