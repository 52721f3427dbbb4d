import { createHash } from 'node:crypto';
import { defineRoute } from '../proxy/src/routing/route.ts';
import { ProblemError, problems } from '../proxy/src/edge/problem.ts';

/**
 * Enrolling is a write: never retried, always sent with an idempotency key so that a
 * double click or a client retry cannot enroll twice, and followed by invalidating what
 * it changed (the caller's enrollments, the course and its organisation's course list).
 */

export default defineRoute({
  id: 'enrollments',
  method: 'POST',
  path: '/api/enrollments',
  replaces: 'POST /api/enrollments',
  flag: 'route.enrollments',
  owner: 'Course team',
  targetDate: '2027-03-01',
  notes: 'Deterministic Idempotency-Key per user and course unless the client sends its own.',
  upstream: {
    'enrollments.create': { attemptTimeoutMs: 5_000, deadlineMs: 5_000 },
  },
  async handle({ body, headers, caller, legacy }) {
    const courseId = (body as { courseId?: unknown } | undefined)?.courseId;
    if (typeof courseId !== 'string' || courseId.length === 0 || courseId.length > 100) {
      throw new ProblemError(problems.badRequest('Send {"courseId": "<course id>"} to enroll.'));
    }
    const clientKey = headers['idempotency-key'];
    const idempotencyKey =
      typeof clientKey === 'string' && clientKey
        ? clientKey
        : `enroll-${createHash('sha256').update(`${caller.userId}\n${courseId}`).digest('base64url').slice(0, 32)}`;

    const course = await legacy
      .get<{ organisationId?: string }>(`/api/courses/${encodeURIComponent(courseId)}`, { endpoint: 'courses.detail', cache: { scope: 'shared' } })
      .catch(() => undefined);
    const result = await legacy.send('POST', '/api/enrollments', { courseId }, {
      endpoint: 'enrollments.create',
      idempotencyKey,
      invalidates: [
        { scope: 'user', path: `/api/enrollments?userId=${encodeURIComponent(caller.userId)}` },
        { scope: 'shared', path: `/api/courses/${encodeURIComponent(courseId)}` },
        ...(course?.organisationId ? [{ scope: 'shared' as const, path: `/api/courses?orgId=${encodeURIComponent(course.organisationId)}` }] : []),
      ],
    });
    // The legacy Location is absolute to its own origin; the frontend must stay on the proxy.
    const location = result.headers.get('location');
    const replayed = result.headers.get('idempotent-replayed');
    return {
      status: result.status,
      headers: {
        ...(location ? { Location: new URL(location).pathname } : {}),
        ...(replayed ? { 'Idempotent-Replayed': replayed } : {}),
      },
      body: result.body,
    };
  },
});
