import { describe, expect, it } from 'vitest';
import { errorAnswerProblem, LEGACY_REJECTED, type LegacyRejection } from './rejection-problem.ts';

const json = (status: number, body: unknown): LegacyRejection => ({ status, body, contentType: 'application/json; charset=utf-8' });
/** A handler relaying the legacy answer as it came: the usual case. */
const relayed = (status: number, body: unknown) => errorAnswerProblem(status, body, json(status, body));

describe('a migrated route relaying a legacy refusal', () => {
  it('answers a problem with the status, the legacy message as detail, and the legacy members kept', () => {
    const body = { error: 'already_enrolled', message: 'You are already enrolled in c-101.' };
    expect(relayed(409, body)).toEqual({
      type: LEGACY_REJECTED,
      title: 'Conflict',
      status: 409,
      detail: 'You are already enrolled in c-101.',
      // The unchanged frontend may read the legacy code: it is still there.
      error: 'already_enrolled',
      message: 'You are already enrolled in c-101.',
    });
  });

  it('carries Conduit field errors as `errors` and names each field in the detail', () => {
    const body = { errors: { email: ["can't be blank"], password: ["can't be blank", 'is too short'] } };
    expect(relayed(422, body)).toEqual({
      type: LEGACY_REJECTED,
      title: 'Unprocessable Entity',
      status: 422,
      detail: "email can't be blank; password can't be blank, is too short",
      errors: body.errors,
    });
  });

  it('finds the message in the shapes other legacy APIs use', () => {
    const detailOf = (body: unknown) => relayed(400, body).detail;
    expect(detailOf({ detail: 'Start date is in the past.' })).toBe('Start date is in the past.');
    expect(detailOf({ error: 'invalid_grant', error_description: 'The code has expired.' })).toBe('The code has expired.');
    expect(detailOf({ error: { code: 7, message: 'Quota exceeded.' } })).toBe('Quota exceeded.');
    expect(detailOf({ errors: [{ detail: 'Title is required.' }, { message: 'Body is required.' }] })).toBe('Title is required.; Body is required.');
    expect(detailOf({ errors: ['first', 'second'] })).toBe('first; second');
    expect(detailOf({ error: 'course_full' })).toBe('course_full');
    expect(detailOf('Course is full.\n')).toBe('Course is full.');
    expect(detailOf({ msg: '  spread\n over lines ' })).toBe('spread over lines');
  });

  it('says the legacy API refused when the answer has no message (empty, HTML, only numbers)', () => {
    for (const body of [undefined, '', '<html><body>Bad Request</body></html>', { code: 4001 }]) {
      expect(relayed(400, body).detail).toBe('The legacy API refused the request (400).');
    }
  });

  it('keeps a long message short', () => {
    const detail = relayed(400, { message: 'x'.repeat(2_000) }).detail!;
    expect(detail.length).toBe(500);
    expect(detail.endsWith('…')).toBe(true);
  });

  it('never lets the legacy body set what the proxy answers', () => {
    const problem = relayed(400, { status: 'error', type: 'validation', title: 42, instance: '/x', correlationId: 'theirs', message: 'No.' });
    expect(problem).toEqual({ type: LEGACY_REJECTED, title: 'Bad Request', status: 400, detail: 'No.', message: 'No.' });
  });

  it('says which status the legacy API gave when the handler answers another', () => {
    const legacy = json(400, { error: 'bad_request', message: 'A JSON body with "courseId" is required.' });
    expect(errorAnswerProblem(422, legacy.body, legacy)).toMatchObject({ type: LEGACY_REJECTED, status: 422, legacyStatus: 400, detail: 'A JSON body with "courseId" is required.' });
    expect(relayed(422, legacy.body)).not.toHaveProperty('legacyStatus');
  });

  it('falls back to the legacy message when the handler answers without one', () => {
    const legacy = json(404, { error: 'not_found', message: 'No course with id "c-9".' });
    expect(errorAnswerProblem(404, { course: 'c-9' }, legacy)).toMatchObject({ detail: 'No course with id "c-9".', course: 'c-9' });
  });
});

describe('error answers that are not a relayed refusal', () => {
  it('passes a legacy problem+json through as it was', () => {
    const body = { type: 'https://legacy.example/probs/out-of-credit', title: 'You do not have enough credit.', status: 403, balance: 30 };
    const legacy: LegacyRejection = { status: 403, body, contentType: 'application/problem+json' };
    expect(errorAnswerProblem(403, body, legacy)).toEqual(body);
    // Even without a title: the legacy API said it is a problem document.
    const bare = { type: 'https://legacy.example/probs/locked' };
    expect(errorAnswerProblem(423, bare, { status: 423, body: bare, contentType: 'application/problem+json; charset=utf-8' })).toEqual({ ...bare, status: 423 });
  });

  it('passes a problem the handler wrote itself through', () => {
    const body = { type: 'urn:example:course-closed', title: 'Course closed', status: 409, detail: 'Enrolment has closed.' };
    expect(errorAnswerProblem(409, body)).toEqual(body);
  });

  it("makes the handler's own error answer a plain problem: the status says it all", () => {
    expect(errorAnswerProblem(404, { error: 'no_such_course', message: 'There is no such course.' })).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'There is no such course.',
      error: 'no_such_course',
      message: 'There is no such course.',
    });
    expect(errorAnswerProblem(503, undefined)).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
  });

  it('does not blame the legacy API for a 5xx the handler chose after a refusal', () => {
    const problem = errorAnswerProblem(500, { message: 'Could not combine the answers.' }, json(409, { message: 'Conflict.' }));
    expect(problem).toMatchObject({ type: 'about:blank', status: 500, detail: 'Could not combine the answers.' });
    expect(problem).not.toHaveProperty('legacyStatus');
  });
});
