import express, { type Express } from 'express';
import { identifyCaller } from './auth.ts';
import { conduitErrorHandler, conduitErrors } from './errors.ts';
import { articleRoutes } from './routes/articles.ts';
import { profileRoutes } from './routes/profiles.ts';
import { userRoutes } from './routes/users.ts';
import type { ConduitWorld } from './seed.ts';
import type { ConduitTokens } from './tokens.ts';

/**
 * A RealWorld ("Conduit") API, top to bottom. On purpose there is no /health: many real
 * APIs have none, and the proxy must not depend on one.
 */
export function createConduitApp(world: ConduitWorld, tokens: ConduitTokens): Express {
  const app = express();
  app.use(identifyCaller(world, tokens));
  app.use(userRoutes(world, tokens));
  app.use(profileRoutes(world));
  app.use(articleRoutes(world));
  app.use(() => {
    throw conduitErrors.notFound('body');
  });
  app.use(conduitErrorHandler);
  return app;
}
