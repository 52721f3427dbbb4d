import { Router } from 'express';
import { legacyErrors } from '../legacy-error.ts';
import { intQuery, queryString, requiredQuery } from '../params.ts';
import { coursesOfOrg, upcomingSessions } from '../queries.ts';
import type { StubContext } from '../context.ts';

/** Courses and their sessions. Mounted behind requireAuth. */
export function catalogueRoutes({ world, origin }: StubContext): Router {
  const router = Router();

  // An unknown organisation is simply one without courses: the legacy API never checked.
  // The organisation is linked, as old HATEOAS-minded APIs did, by an absolute URL to the
  // legacy origin: a proxy on another origin must point it back at itself.
  router.get('/api/courses', (req, res) => {
    const orgId = requiredQuery(req, 'orgId');
    res.set('link', `<${origin()}/api/organisations/${encodeURIComponent(orgId)}>; rel="related"`);
    res.json(coursesOfOrg(world, orgId));
  });

  router.get('/api/courses/:id', (req, res) => {
    const course = world.courses.find((c) => c.id === req.params.id);
    if (!course) throw legacyErrors.notFound(`No course with id "${req.params.id}".`);
    res.json(course);
  });

  router.get('/api/sessions', (req, res) => {
    const courseIds = queryString(req, 'courseIds');
    if (courseIds === undefined) throw legacyErrors.badRequest('Query parameter "courseIds" is required.');
    const limit = intQuery(req, 'limit', { min: 0, max: 100, fallback: 10 });
    const ids = courseIds.split(',').map((id) => id.trim()).filter(Boolean);
    res.json(upcomingSessions(world, ids, limit));
  });

  router.get('/api/sessions/:id', (req, res) => {
    const session = world.sessions.find((s) => s.id === req.params.id);
    if (!session) throw legacyErrors.notFound(`No session with id "${req.params.id}".`);
    res.json(session);
  });

  return router;
}
