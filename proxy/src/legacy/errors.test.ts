import { describe, expect, it } from 'vitest';
import { LegacyCallError, legacyProblem } from './errors.ts';

describe('legacy call errors as problems', () => {
  it('maps each kind to the status a client should see', () => {
    const status = (kind: LegacyCallError['kind'], upstream?: number) =>
      legacyProblem(new LegacyCallError('e', kind, 'm', upstream)).status;
    expect(status('timeout')).toBe(504);
    expect(status('deadline')).toBe(504);
    expect(status('circuit-open')).toBe(503);
    expect(status('bulkhead-full')).toBe(503);
    expect(status('transport')).toBe(502);
    expect(status('status', 500)).toBe(502);
    expect(status('status', 429)).toBe(503);
    expect(status('status', 503)).toBe(503);
    expect(status('status', 422)).toBe(502);
    expect(status('status', 404)).toBe(404);
    expect(status('status', 401)).toBe(401);
  });

  it('names the endpoint in a message that carries no request detail', () => {
    const err = new LegacyCallError('users.profile', 'status', 'the legacy API answered 500', 500);
    expect(err.message).toBe('legacy users.profile: the legacy API answered 500');
    expect(err).toBeInstanceOf(Error);
  });
});
