import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_POLICY, resolvePolicy } from './policies.ts';

describe('endpoint policies', () => {
  it('layers overrides field by field, nested ones included, later ones winning', () => {
    const p = resolvePolicy(
      DEFAULT_ENDPOINT_POLICY,
      { retries: 1, breaker: { consecutiveFailures: 2 } },
      { retries: 0, bulkhead: { maxQueue: 0 }, attemptTimeoutMs: undefined },
    );
    expect(p).toMatchObject({
      retries: 0,
      attemptTimeoutMs: DEFAULT_ENDPOINT_POLICY.attemptTimeoutMs,
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: DEFAULT_ENDPOINT_POLICY.breaker.halfOpenAfterMs },
      bulkhead: { maxConcurrent: DEFAULT_ENDPOINT_POLICY.bulkhead.maxConcurrent, maxQueue: 0 },
    });
    expect(DEFAULT_ENDPOINT_POLICY.retries).toBe(2);
  });

  it('refuses a policy that cannot work, naming the field', () => {
    expect(() => resolvePolicy(DEFAULT_ENDPOINT_POLICY, { bulkhead: { maxConcurrent: 0 } })).toThrow(
      /bulkhead\.maxConcurrent/,
    );
    expect(() => resolvePolicy(DEFAULT_ENDPOINT_POLICY, { deadlineMs: 1_000, attemptTimeoutMs: 3_000 })).toThrow(
      /attemptTimeoutMs must not exceed deadlineMs/,
    );
  });
});
