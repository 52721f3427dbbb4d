import express, { Router } from 'express';
import { LegacyError, legacyErrors } from '../legacy-error.ts';
import { requiredQuery } from '../params.ts';
import { assertSelfOrAdmin, callerOf } from '../require-auth.ts';
import { createIdempotencyStore, fingerprintOf, type StoredResponse } from '../idempotency.ts';
import type { Enrollment, SeedUser } from '../seed.ts';
import type { StubContext } from '../context.ts';

type Outcome = Omit<StoredResponse, 'fingerprint'>;

/** Enrolments: the one write the migration must never repeat. Mounted behind requireAuth. */
export function enrollmentRoutes(ctx: StubContext): Router {
  const { world } = ctx;
  const idempotency = createIdempotencyStore();
  const router = Router();

  router.get('/api/enrollments', (req, res) => {
    const userId = requiredQuery(req, 'userId');
    assertSelfOrAdmin(callerOf(res), userId);
    res.json(world.enrollments.filter((e) => e.userId === userId));
  });

  router.get('/api/enrollments/:id', (req, res) => {
    const enrollment = world.enrollments.find((e) => e.id === req.params.id);
    if (!enrollment) throw legacyErrors.notFound(`No enrollment with id "${req.params.id}".`);
    assertSelfOrAdmin(callerOf(res), enrollment.userId);
    res.json(enrollment);
  });

  router.post('/api/enrollments', express.json({ limit: '10kb' }), (req, res) => {
    const caller = callerOf(res);
    const key = req.get('idempotency-key');
    const fingerprint = fingerprintOf(req.body);
    if (key !== undefined) {
      if (key.length === 0 || key.length > 255)
        throw new LegacyError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.');
      const stored = idempotency.get(caller.id, key);
      if (stored && stored.fingerprint !== fingerprint)
        throw new LegacyError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different body.');
      if (stored) {
        res.status(stored.status).set(stored.headers).set('idempotent-replayed', 'true').json(stored.body);
        return;
      }
    }
    const outcome = enroll(ctx, caller, req.body);
    // Every outcome is kept, refusals included: a replay must answer what the first attempt answered.
    if (key !== undefined) idempotency.set(caller.id, key, { fingerprint, ...outcome });
    res.status(outcome.status).set(outcome.headers).json(outcome.body);
  });

  return router;
}

function enroll({ world, stats, origin }: StubContext, caller: SeedUser, body: unknown): Outcome {
  const courseId = (body as { courseId?: unknown } | undefined)?.courseId;
  if (typeof courseId !== 'string' || courseId === '')
    return refusal(400, 'bad_request', 'A JSON body with "courseId" is required.');
  const course = world.courses.find((c) => c.id === courseId);
  if (!course) return refusal(404, 'not_found', `No course with id "${courseId}".`);
  if (world.enrollments.some((e) => e.userId === caller.id && e.courseId === courseId))
    return refusal(409, 'already_enrolled', `You are already enrolled in ${courseId}.`);

  const { enrollment: counts } = course;
  const full = counts.capacity === 0 || counts.enrolled >= counts.capacity;
  if (full) counts.waitlist += 1;
  else counts.enrolled += 1;
  const enrollment: Enrollment = {
    id: `e-${world.enrollments.length + 1}`,
    courseId,
    userId: caller.id,
    status: full ? 'WAITLISTED' : 'ENROLLED',
    createdAt: new Date().toISOString(),
  };
  world.enrollments.push(enrollment);
  stats.enrollmentWrites += 1;
  const { id, userId, status } = enrollment;
  return {
    status: 201,
    // Absolute, to the legacy origin: a proxy in front must rewrite it.
    headers: { location: `${origin()}/api/enrollments/${id}` },
    body: { id, courseId, userId, status },
  };
}

function refusal(status: number, error: string, message: string): Outcome {
  return { status, headers: {}, body: { error, message } };
}
