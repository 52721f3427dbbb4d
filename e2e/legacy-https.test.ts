import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startLegacyStub, type LegacyStub } from '../legacy-stub/src/server.ts';
import { startProxyProcess, type ProxyProcess } from '../test-support/proxy-process.ts';
import { rawRequest, headerPairs } from '../test-support/raw-http.ts';
import { until } from '../test-support/until.ts';

/**
 * A legacy API served over HTTPS (LEGACY_URL=https://...), its certificate from a private CA
 * the proxy is told to trust the standard Node way (NODE_EXTRA_CA_CERTS). The frontend still
 * talks plain HTTP to the proxy and must not notice. A legacy API whose certificate is not
 * trusted is never talked to: 502, not a request sent in the clear or to an unverified peer.
 */
const certFile = fileURLToPath(new URL('../test-support/tls/dev-only-legacy.crt', import.meta.url));
const keyFile = fileURLToPath(new URL('../test-support/tls/dev-only-legacy.key', import.meta.url));

let legacy: LegacyStub;
let proxy: ProxyProcess;

beforeAll(async () => {
  legacy = await startLegacyStub({ quiet: true, tls: { key: readFileSync(keyFile), cert: readFileSync(certFile) } });
  proxy = await startProxyProcess({ LEGACY_URL: legacy.url, NODE_EXTRA_CA_CERTS: certFile });
});
afterAll(async () => {
  await proxy?.stop();
  await legacy?.close();
});

const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

describe('a legacy API on HTTPS', () => {
  it('serves the legacy sign-in and the caller profile through the proxy', async () => {
    expect(legacy.url).toMatch(/^https:\/\//);
    const login = await rawRequest({
      port: proxy.port,
      method: 'POST',
      path: '/api/auth/login',
      headers: ['Content-Type', 'application/json'],
      body: JSON.stringify({ username: 'ingrid', password: 'password' }),
    });
    expect(login.status).toBe(200);
    const token = String(json(login.body).token);
    const profile = await rawRequest({ port: proxy.port, path: '/api/users/profile', headers: ['Authorization', `Bearer ${token}`] });
    expect(profile.status).toBe(200);
    expect(json(profile.body)).toMatchObject({ firstName: expect.any(String), roleCode: expect.any(String) });
    expect(profile.headers['x-correlation-id']).toBeTruthy();
  });

  it('points an absolute Location and a cookie Domain for the legacy origin back at the proxy', async () => {
    const redirect = await rawRequest({ port: proxy.port, path: '/api/me' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(`http://127.0.0.1:${proxy.port}/api/users/profile`);
    const prefs = await rawRequest({ port: proxy.port, path: '/api/preferences' });
    const cookies = headerPairs(prefs.rawHeaders).filter(([n]) => n === 'set-cookie').map(([, v]) => v);
    expect(cookies).toHaveLength(2);
    expect(cookies.join('\n')).not.toMatch(/domain=/i);
  });

  it('upgrades a WebSocket to the legacy API over TLS', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/echo`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello over tls'));
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    ws.close();
    expect(reply).toContain('hello over tls');
  });

  it('reports the legacy API reachable: the probe reaches it over HTTPS', async () => {
    const ready = () => rawRequest({ port: proxy.port, path: '/_proxy/health/ready' });
    expect((await ready()).status).toBe(200);
    // The ready answer never waits on the legacy API: it carries the probe's latest answer.
    await until(async () => (json((await ready()).body).legacy as { reachable?: boolean } | undefined)?.reachable === true, 10_000);
    expect(json((await ready()).body)).toMatchObject({ status: 'ready', legacy: { reachable: true, judgedBy: 'probe', path: '/health' } });
  });

  it('answers 502 problem+json, and talks to nobody, when the legacy certificate is not trusted', async () => {
    const untrusting = await startProxyProcess({ LEGACY_URL: legacy.url });
    try {
      const before = legacy.received.length;
      const r = await rawRequest({ port: untrusting.port, path: '/api/courses?orgId=org-uninett', headers: ['X-Correlation-Id', 'tls-untrusted'] });
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(json(r.body)).toMatchObject({ status: 502, correlationId: 'tls-untrusted' });
      expect(legacy.received.length).toBe(before);
      await until(() => /"correlationId":"tls-untrusted"[^\n]*"msg":"legacy unreachable"/.test(untrusting.output()));
      expect(untrusting.output()).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      await untrusting.stop();
    }
  });
});
