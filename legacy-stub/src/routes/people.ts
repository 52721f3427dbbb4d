import { Router } from 'express';
import { legacyErrors } from '../legacy-error.ts';
import { requiredQuery } from '../params.ts';
import { findUser, unreadCount } from '../queries.ts';
import { assertSelfOrAdmin, callerOf } from '../require-auth.ts';
import type { SeedUser } from '../seed.ts';
import type { StubContext } from '../context.ts';

/** Users, their organisations and their unread notifications. Mounted behind requireAuth. */
export function peopleRoutes({ world }: StubContext): Router {
  const router = Router();

  router.get('/api/users/profile', (_req, res) => {
    res.json(profileOf(callerOf(res)));
  });

  router.get('/api/users/:id/profile', (req, res) => {
    const user = findUser(world, req.params.id);
    if (!user) throw legacyErrors.notFound(`No user with id "${req.params.id}".`);
    res.json(profileOf(user));
  });

  router.get('/api/organisations/:id', (req, res) => {
    const organisation = world.organisations.find((o) => o.id === req.params.id);
    if (!organisation) throw legacyErrors.notFound(`No organisation with id "${req.params.id}".`);
    res.json(organisation);
  });

  router.get('/api/notifications/unread', (req, res) => {
    const userId = requiredQuery(req, 'userId');
    assertSelfOrAdmin(callerOf(res), userId);
    if (!findUser(world, userId)) throw legacyErrors.notFound(`No user with id "${userId}".`);
    res.json({ userId, count: unreadCount(world, userId) });
  });

  return router;
}

/** The legacy profile: no username or email, and avatarPath omitted (not null) when absent. */
export function profileOf(user: SeedUser) {
  const { id, firstName, lastName, organisationId, roleCode, avatarPath } = user;
  return { id, firstName, lastName, organisationId, roleCode, ...(avatarPath ? { avatarPath } : {}) };
}
