import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest, rawSend } from '../test-support/raw-http.ts';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { STATUS_TOKEN } from './status-support.ts';

/**
 * A request the proxy answers itself on the way to a backend (an identity refusal, a head it
 * will not forward) is the proxy's, with its reason: in the log line, the lookup by
 * correlation id, the metrics and the status counts. It is never recorded as served by the
 * legacy API, and never counted as an unmigrated legacy endpoint.
 */
let stack: Stack;
const auth = { authorization: `Bearer ${STATUS_TOKEN}` };

beforeAll(async () => {
  stack = await startStack({ env: { AUTH_CUTOFF: '2020-01-01T00:00:00Z', STATUS_TOKEN } });
  // Refused by the identity gate: a legacy token after the cutoff.
  const retired = await rawRequest({ port: stack.proxyPort, path: '/api/refused-only/profile', headers: ['Authorization', `Bearer ${stack.legacy.issueToken('ingrid')}`, 'X-Correlation-Id', 'refused-cutoff-1'] });
  expect(retired.status).toBe(401);
  // Refused at the edge: two Host fields.
  const framing = await rawSend(stack.proxyPort, 'GET /api/refused-too/x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nX-Correlation-Id: refused-head-1\r\n\r\n');
  expect(framing).toMatch(/^HTTP\/1.1 400 /);
  // Served by the legacy API, for contrast.
  expect((await rawRequest({ port: stack.proxyPort, path: '/api/echo/served', headers: ['X-Correlation-Id', 'served-1'] })).status).toBe(200);
  await stack.proxy.traffic.flush();
});
afterAll(() => stack?.stop());

const lookup = async (id: string) => (await fetch(`${stack.proxyUrl}/_proxy/status/requests/${id}`, { headers: auth })).json();

describe('a refused request is the proxy’s, with its reason', () => {
  it('in the lookup by correlation id', async () => {
    expect(await lookup('refused-cutoff-1')).toMatchObject({ servedBy: 'proxy', refusal: 'legacy-token-retired', side: 'refused', status: 401 });
    expect(await lookup('refused-head-1')).toMatchObject({ servedBy: 'proxy', refusal: 'bad-request', side: 'refused', status: 400 });
    expect(await lookup('served-1')).toMatchObject({ servedBy: 'legacy', side: 'legacy', status: 200 });
  });

  it('in the log line', () => {
    const line = stack.logs.find((l) => l.correlationId === 'refused-cutoff-1');
    expect(line).toMatchObject({ servedBy: 'proxy', refusal: 'legacy-token-retired', res: { statusCode: 401 } });
  });

  it('in the metrics', async () => {
    const text = await (await fetch(`${stack.proxyUrl}/_proxy/metrics`)).text();
    expect(text).toMatch(/proxy_refusals_total\{route="catch-all",reason="legacy-token-retired"\} 1/);
    expect(text).toMatch(/proxy_refusals_total\{route="catch-all",reason="bad-request"\} 1/);
    expect(text).toMatch(/proxy_request_duration_seconds_count\{route="catch-all",served_by="proxy",method="GET",status_class="4xx"\} 2/);
  });

  it('in the status counts: not among the legacy endpoints still in use', async () => {
    const snapshot = (await (await fetch(`${stack.proxyUrl}/_proxy/status/api`, { headers: auth })).json()) as StatusSnapshot;
    const endpoints = snapshot.legacy.unmigrated.endpoints.map((e) => e.path);
    expect(endpoints.some((p) => p.startsWith('/api/echo'))).toBe(true);
    expect(endpoints.some((p) => p.includes('refused'))).toBe(false);
    expect(snapshot.legacy.catchAll.hour.requests).toBe(1);
  });
});
