import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyStub, type LegacyStub } from './server.ts';
import { call, eventually } from './test-client.ts';

describe('fault injection', () => {
  let stub: LegacyStub;
  let withHeaders: LegacyStub;

  beforeAll(async () => {
    [stub, withHeaders] = await Promise.all([
      startLegacyStub({ quiet: true }),
      startLegacyStub({ quiet: true, faultHeaders: true }),
    ]);
  });
  afterAll(() => Promise.all([stub.close(), withHeaders.close()]));

  it('is off by default: fault headers are ignored unless enabled', async () => {
    const res = await call(stub.url, '/api/terms', { headers: { 'x-fault-status': '503', 'x-fault-drop': '1' } });
    expect(res.status).toBe(200);
  });

  it('answers a rule status with a legacy error body, only for the matching method and path', async () => {
    stub.setFaults([{ method: 'get', path: '^/api/courses', status: 503 }]);
    const token = stub.issueToken('ingrid');
    const faulted = await call(stub.url, '/api/courses?orgId=org-uninett', { token });
    expect(faulted.status).toBe(503);
    expect(faulted.body).toEqual({ error: 'service_unavailable', message: expect.stringContaining('503') });
    expect((await call(stub.url, '/api/users/profile', { token })).status).toBe(200);
    expect((await call(stub.url, '/api/courses', { method: 'POST', token, json: {} })).status).not.toBe(503);
    stub.setFaults([]);
    expect((await call(stub.url, '/api/courses?orgId=org-uninett', { token })).status).toBe(200);
  });

  it('never faults /health or /__stub/*', async () => {
    stub.setFaults([{ path: '.*', status: 500 }]);
    expect((await call(stub.url, '/health')).status).toBe(200);
    expect((await call(stub.url, '/__stub/stats')).status).toBe(200);
    expect((await call(stub.url, '/api/terms')).status).toBe(500);
    stub.setFaults([]);
  });

  it('delays a request by latencyMs before the handler answers', async () => {
    stub.setFaults([{ path: '^/api/terms$', latencyMs: 300 }]);
    const started = performance.now();
    const res = await call(stub.url, '/api/terms');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    stub.setFaults([]);
  });

  it('drops the connection without an answer, and the stub does not count that as a client abort', async () => {
    stub.setFaults([{ path: '^/api/terms$', drop: true }]);
    await expect(fetch(`${stub.url}/api/terms?drop-me`)).rejects.toThrow();
    const entry = stub.received.find((r) => r.url === '/api/terms?drop-me')!;
    await eventually(() => entry.dropped);
    expect(entry).toMatchObject({ finished: false, aborted: false });
    stub.setFaults([]);
  });

  it('never fires a rule whose rate is 0, always one whose rate is 1', async () => {
    stub.setFaults([
      { path: '^/api/terms$', status: 500, rate: 0 },
      { path: '^/api/terms$', status: 502, rate: 1 },
    ]);
    const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await call(stub.url, '/api/terms')).status));
    expect(new Set(statuses)).toEqual(new Set([502]));
    stub.setFaults([]);
  });

  it('rejects invalid rules with a message that says where', () => {
    expect(() => stub.setFaults([{ path: '(' }])).toThrow(/\[0\]\.\[path\]/);
    expect(() => stub.setFaults([{ path: 'x', status: 200 }])).toThrow(/status/);
  });

  it('can be set on a running stub through PUT /__stub/faults', async () => {
    const put = await call(stub.url, '/__stub/faults', { method: 'PUT', json: [{ path: '^/api/terms$', status: 504 }] });
    expect(put.status).toBe(200);
    expect((await call(stub.url, '/api/terms')).status).toBe(504);
    const bad = await call(stub.url, '/__stub/faults', { method: 'PUT', json: [{ path: 1 }] });
    expect(bad.status).toBe(400);
    await call(stub.url, '/__stub/faults', { method: 'PUT', json: [] });
    expect((await call(stub.url, '/api/terms')).status).toBe(200);
  });

  it('applies x-fault-* headers per request when enabled', async () => {
    const status = await call(withHeaders.url, '/api/terms', { headers: { 'x-fault-status': '429' } });
    expect(status.status).toBe(429);
    expect(status.body.error).toBe('too_many_requests');

    const started = performance.now();
    expect((await call(withHeaders.url, '/api/terms', { headers: { 'x-fault-latency-ms': '200' } })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    await expect(fetch(`${withHeaders.url}/api/terms`, { headers: { 'x-fault-drop': 'true' } })).rejects.toThrow();
    const invalid = await call(withHeaders.url, '/api/terms', { headers: { 'x-fault-status': 'soon' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe('invalid_fault_header');
  });
});
