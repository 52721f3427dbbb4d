import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../test-support/recording-upstream.ts';
import { startProxy, startStack, type ProxyInFront, type Stack } from '../test-support/stack.ts';
import { rawRequest, headerPairs } from '../test-support/raw-http.ts';
import { passkeySession } from '../test-support/passkey-session.ts';

/**
 * Forwarded fields at the boundary: what the legacy API is told about the client's address,
 * scheme and host comes from the proxy's own view, or from as many trusted hops as are
 * configured, read from the right and validated; never from what the client wrote itself.
 */
let upstream: RecordingUpstream;
const proxies: Record<string, ProxyInFront> = {};

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  for (const [name, hops] of [['untrusted', 'false'], ['oneHop', 'true'], ['twoHops', '2']] as const) {
    // No PUBLIC_URL: redirects are rewritten to what the request says its origin is.
    proxies[name] = await startProxy({ legacyUrl: upstream.url, env: { TRUST_FORWARDED: hops, PUBLIC_URL: '', LOG_LEVEL: 'silent' } });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(proxies).map((p) => p.stop()));
  await upstream?.close();
});
beforeEach(() => upstream.reset());

/** The forwarded fields the upstream received for one request through `proxy`. */
async function forwardedSeen(proxy: ProxyInFront, headers: string[]) {
  const res = await rawRequest({ port: proxy.proxyPort, path: '/fwd', headers: ['Host', 'app.example:8443', ...headers] });
  expect(res.status).toBe(200);
  const pairs = headerPairs(upstream.requests.at(-1)!.rawHeaders);
  const all = (name: string) => pairs.filter(([n]) => n === name).map(([, v]) => v);
  return { for: all('x-forwarded-for'), proto: all('x-forwarded-proto'), host: all('x-forwarded-host'), port: all('x-forwarded-port'), forwarded: all('forwarded') };
}

const SPOOFED = [
  'X-Forwarded-For', '203.0.113.66',
  'X-Forwarded-Host', 'evil.example',
  'X-Forwarded-Proto', 'https://evil.example/#',
  'X-Forwarded-Port', '1',
  'Forwarded', 'for=203.0.113.66;host=evil.example;proto=https',
];

describe('with no trusted hop (the default)', () => {
  it("removes every forwarded field the client sent and states the connection's own", async () => {
    const seen = await forwardedSeen(proxies.untrusted!, SPOOFED);
    expect(seen).toEqual({ for: ['127.0.0.1'], proto: ['http'], host: ['app.example:8443'], port: ['8443'], forwarded: [] });
  });
});

describe('behind trusted hops, each value is the one the outermost trusted hop wrote', () => {
  it('one hop: the rightmost entry; the client-written ones to its left are dropped', async () => {
    const seen = await forwardedSeen(proxies.oneHop!, [
      'X-Forwarded-For', '203.0.113.66, 198.51.100.7',
      'X-Forwarded-Host', 'evil.example, school.example',
      'X-Forwarded-Proto', 'http, https',
      'Forwarded', 'for=203.0.113.66;host=evil.example, for=198.51.100.7;host=school.example;proto=https',
    ]);
    expect(seen).toEqual({
      for: ['198.51.100.7, 127.0.0.1'],
      proto: ['https'],
      host: ['school.example'],
      port: ['443'],
      forwarded: ['for=198.51.100.7;host=school.example;proto=https'],
    });
  });

  it('two hops: the second entry from the right', async () => {
    const seen = await forwardedSeen(proxies.twoHops!, ['X-Forwarded-For', '203.0.113.66, 198.51.100.7, 10.0.0.5', 'X-Forwarded-Proto', 'evil, https, http', 'X-Forwarded-Host', 'evil.example, school.example, lb.internal']);
    expect(seen.for).toEqual(['198.51.100.7, 10.0.0.5, 127.0.0.1']);
    expect(seen.proto).toEqual(['https']);
    expect(seen.host).toEqual(['school.example']);
  });

  it('a value that is no scheme or no host name is not believed', async () => {
    const seen = await forwardedSeen(proxies.oneHop!, ['X-Forwarded-Proto', 'https://evil.example/#', 'X-Forwarded-Host', 'evil.example/#']);
    expect(seen.proto).toEqual(['http']);
    expect(seen.host).toEqual(['app.example:8443']);
  });
});

describe('what forwarded fields may decide', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { TRUST_FORWARDED: 'true', PUBLIC_URL: '' } });
  });
  afterAll(() => stack?.stop());

  it('a redirect to the legacy origin points at the validated public origin, never at a spoofed one', async () => {
    const spoofed = await rawRequest({ port: stack.proxyPort, path: '/api/me', headers: ['X-Forwarded-Proto', 'https://evil.example/#', 'X-Forwarded-Host', 'evil.example/#'] });
    expect(spoofed.status).toBe(302);
    expect(spoofed.headers.location).toBe(`http://127.0.0.1:${stack.proxyPort}/api/users/profile`);
    const trusted = await rawRequest({ port: stack.proxyPort, path: '/api/me', headers: ['X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'school.example'] });
    expect(trusted.headers.location).toBe('https://school.example/api/users/profile');
  });

  it('the CSRF check compares with configured origins only: a forwarded host cannot vouch for a foreign Origin', async () => {
    const { cookie } = await passkeySession({ publicOrigin: `http://localhost:${stack.proxyPort}` }, stack.legacy.issueToken('ingrid'));
    const body = '{"message":"hi"}';
    const post = (origin: string, forwarded: string[]) =>
      rawRequest({
        port: stack.proxyPort,
        method: 'POST',
        path: '/api/feedback',
        headers: ['Host', `localhost:${stack.proxyPort}`, 'Cookie', cookie, 'Origin', origin, ...forwarded, 'Content-Type', 'application/json', 'Content-Length', String(body.length)],
        body,
      });
    const forged = await post('https://evil.example', ['X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil.example']);
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body.toString()).type).toBe('urn:strangler-proxy:csrf');
    expect((await post(`http://localhost:${stack.proxyPort}`, [])).status).toBe(201);
  });
});
