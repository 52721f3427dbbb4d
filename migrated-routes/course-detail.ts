import { defineRoute } from '../proxy/src/routing/route.ts';

/**
 * One course, with the legacy contract unchanged plus the caller's own enrollment status:
 * a superset, so a shadow comparison of the legacy fields matches.
 */

interface Enrollment { courseId: string; status: 'ENROLLED' | 'WAITLISTED' }

export default defineRoute({
  id: 'course-detail',
  method: 'GET',
  path: '/api/courses/:id',
  replaces: 'GET /api/courses/:id',
  flag: 'route.course-detail',
  owner: 'Course team',
  targetDate: '2027-02-01',
  notes: 'Adds myEnrollment (ENROLLED, WAITLISTED, NONE; null when the enrollments service failed).',
  shadow: { extraFields: 'allow' },
  upstream: {
    'courses.detail': { cacheTtlMs: 30_000 },
    'enrollments.mine': { attemptTimeoutMs: 1_000, deadlineMs: 2_000 },
  },
  async handle({ params, caller, legacy }) {
    const [course, mine] = await Promise.allSettled([
      legacy.get<Record<string, unknown>>(`/api/courses/${encodeURIComponent(params.id!)}`, { endpoint: 'courses.detail', cache: { scope: 'shared' } }),
      legacy.get<Enrollment[]>(`/api/enrollments?userId=${encodeURIComponent(caller.userId)}`, { endpoint: 'enrollments.mine', cache: { scope: 'user', ttlMs: 30_000 } }),
    ]);
    // The course itself is the answer: its failure (a 404 included) is the route's failure.
    if (course.status === 'rejected') throw course.reason;
    const status = mine.status === 'fulfilled' ? (mine.value.find((e) => e.courseId === params.id)?.status ?? 'NONE') : null;
    return { body: { ...course.value, myEnrollment: status } };
  },
});
