import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { startStack, type Stack } from '../../../test-support/stack.ts';
import { rawRequest, rawHandshake, rawExchange, headerPairs, type RawResponse } from '../../../test-support/raw-http.ts';
import { until } from '../../../test-support/until.ts';

/**
 * The frontend must not notice the proxy: each test sends the same request straight to the
 * legacy stand-in and through the proxy, and compares what comes back.
 */
let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = stack.legacy.issueToken('ingrid');
});
afterAll(() => stack?.stop());

const direct = (r: Omit<Parameters<typeof rawRequest>[0], 'port'>) => rawRequest({ ...r, port: stack.legacy.port });
const proxied = (r: Omit<Parameters<typeof rawRequest>[0], 'port'>) => rawRequest({ ...r, port: stack.proxyPort });
const json = (r: RawResponse) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;

/** What the legacy API saw, minus the fields a proxy is expected to touch. */
function seenHeaders(echo: Record<string, unknown>): Array<[string, string]> {
  const touched = new Set(['host', 'connection', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-correlation-id']);
  return headerPairs(echo.rawHeaders as string[])
    .filter(([name]) => !touched.has(name))
    .sort(([a], [b]) => a.localeCompare(b));
}

describe('request line: method, path and query reach the legacy API byte for byte', () => {
  const odd = [
    '/api/echo/a%2Fb//c/./d/../e?x=1&x=2&x=&flag&y=%20+%2B&z=%E2%9C%93',
    '/api/echo/%7Euser/;matrix=1/semi;colon?q=a%26b&q=a=b',
    '/api/echo//double//slashes/?',
    "/api/echo/it's/(parens)/[brackets]/@at/!bang/*star?sort=-name,+date",
    '/api/echo/UPPER/%c3%a9/%C3%A9?encoded=%2f%2F',
  ];
  for (const path of odd) {
    it(`keeps ${path}`, async () => {
      const [a, b] = await Promise.all([direct({ path }), proxied({ path })]);
      expect(b.status).toBe(a.status);
      expect(json(b).url).toBe(path);
      expect(json(b).url).toBe(json(a).url);
    });
  }

  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
    it(`keeps the method ${method}`, async () => {
      const body = method === 'GET' || method === 'OPTIONS' || method === 'PROPFIND' ? undefined : '{"a":1}';
      const headers = body ? ['Content-Type', 'application/json', 'Content-Length', String(body.length)] : [];
      const [a, b] = await Promise.all([direct({ method, path: '/api/echo/m', headers, body }), proxied({ method, path: '/api/echo/m', headers, body })]);
      expect(json(b).method).toBe(method);
      expect(json(b).bodySha256).toBe(json(a).bodySha256);
    });
  }
});

describe('request-target forms other than a path (RFC 9112 §3.2)', () => {
  it('forwards the * of a server-wide OPTIONS as it came, and relays the answer', async () => {
    const [a, b] = await Promise.all([direct({ method: 'OPTIONS', path: '*' }), proxied({ method: 'OPTIONS', path: '*' })]);
    expect(b.status).toBe(a.status);
    expect(b.body.toString()).toBe(a.body.toString());
    expect(stack.legacy.received.filter((r) => r.method === 'OPTIONS' && r.url === '*')).toHaveLength(2);
  });

  it('routes an absolute-form target by its path, and sends the legacy API origin-form with the path as sent', async () => {
    const path = '/api/echo/a%2Fb//c?x=1&x=2';
    const r = await proxied({ path: `http://frontend.example${path}`, headers: ['Host', 'ignored.example'] });
    expect(r.status).toBe(200);
    expect(json(r).url).toBe(path);
    // The authority stands in for Host (§3.2.2), so the legacy API learns the host the client asked for.
    expect(headerPairs(json(r).rawHeaders as string[])).toContainEqual(['x-forwarded-host', 'frontend.example']);

    const own = await proxied({ path: `http://frontend.example/_proxy/health/live` });
    expect(own.status).toBe(200);
    expect(json(own)).toEqual({ status: 'live' });
  });

  it('upgrades a WebSocket asked for in absolute-form, and refuses one it cannot route', async () => {
    expect((await rawHandshake({ port: stack.proxyPort, path: 'http://frontend.example/ws/echo' })).status).toBe(101);
    const refused = await rawHandshake({ port: stack.proxyPort, path: 'http://user@frontend.example/ws/echo' });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(refused.body)).toMatchObject({ status: 400, correlationId: refused.headers['x-correlation-id'] });
  });

  it('answers 400 problem+json for a target it cannot route, and sends the legacy API nothing', async () => {
    const before = stack.legacy.received.length;
    for (const [method, path] of [['GET', '*'], ['GET', 'http://user:pw@frontend.example/api/echo/x'], ['GET', 'http://[::1/api/echo/x'], ['GET', 'ftp://frontend.example/api/echo/x']] as const) {
      const r = await proxied({ method, path });
      expect(r.status, path).toBe(400);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(json(r).correlationId).toBe(r.headers['x-correlation-id']);
      expect(json(r).detail, path).toMatch(/request target/);
    }
    expect(stack.legacy.received.length).toBe(before);
  });
});

describe('headers', () => {
  it('forwards request headers unchanged, repeated ones as repeated lines', async () => {
    const headers = ['Accept', 'application/json', 'X-Rep', 'one', 'X-Rep', 'two', 'Accept-Language', 'nb-NO, en;q=0.5', 'If-None-Match', '"a", "b"'];
    const [a, b] = await Promise.all([direct({ path: '/api/echo/h', headers }), proxied({ path: '/api/echo/h', headers })]);
    expect(seenHeaders(json(b))).toEqual(seenHeaders(json(a)));
    expect(seenHeaders(json(b)).filter(([n]) => n === 'x-rep')).toEqual([['x-rep', 'one'], ['x-rep', 'two']]);
  });

  it('folds a repeated Cookie header into one, as RFC 6265 says a user agent sends it', async () => {
    const b = await proxied({ path: '/api/echo/cookies', headers: ['Cookie', 'a=1', 'Cookie', 'b=2'] });
    expect(headerPairs(json(b).rawHeaders as string[]).filter(([n]) => n === 'cookie')).toEqual([['cookie', 'a=1; b=2']]);
  });

  it('adds X-Forwarded-For/-Proto/-Host and forwards the correlation id', async () => {
    const b = await proxied({ path: '/api/echo/fwd', headers: ['Host', 'frontend.example:8443', 'X-Correlation-Id', 'abc-123'] });
    const seen = new Map(headerPairs(json(b).rawHeaders as string[]));
    expect(seen.get('x-forwarded-for')).toBe('127.0.0.1');
    expect(seen.get('x-forwarded-proto')).toBe('http');
    expect(seen.get('x-forwarded-host')).toBe('frontend.example:8443');
    expect(seen.get('x-forwarded-port')).toBe('8443');
    expect(seen.get('x-correlation-id')).toBe('abc-123');
    expect(b.headers['x-correlation-id']).toBe('abc-123');
  });

  it('states its own view in X-Forwarded-*, whatever the client claimed (no trusted hop by default)', async () => {
    const b = await proxied({
      path: '/api/echo/fwd2',
      headers: ['Host', 'internal:8080', 'X-Forwarded-For', '203.0.113.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '443', 'X-Forwarded-Host', 'school.example', 'Forwarded', 'for=203.0.113.7;proto=https'],
    });
    const seen = headerPairs(json(b).rawHeaders as string[]);
    const one = (name: string) => seen.filter(([n]) => n === name).map(([, v]) => v);
    expect(one('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(one('x-forwarded-proto')).toEqual(['http']);
    expect(one('x-forwarded-port')).toEqual(['8080']);
    expect(one('x-forwarded-host')).toEqual(['internal:8080']);
    expect(one('forwarded')).toEqual([]);
    expect(one('host')).toEqual([`127.0.0.1:${stack.legacy.port}`]);
  });

  it('serves an HTTP/1.0 client that sends no Host, and tells the legacy API no empty X-Forwarded-Host', async () => {
    const raw = await rawExchange(stack.proxyPort, 'GET /api/echo/old HTTP/1.0\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1.1 200 OK/);
    const seen = headerPairs(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).rawHeaders as string[]);
    expect(seen.map(([name]) => name)).not.toContain('x-forwarded-host');
    expect(seen).toContainEqual(['x-forwarded-for', '127.0.0.1']);
  });

  it('drops hop-by-hop request fields, including those named by Connection', async () => {
    const b = await proxied({
      path: '/api/echo/hop',
      headers: ['Connection', 'keep-alive, X-Hop-Secret', 'X-Hop-Secret', 'internal', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive', 'TE', 'gzip', 'X-End-To-End', 'kept'],
    });
    const names = headerPairs(json(b).rawHeaders as string[]).map(([n]) => n);
    expect(names).not.toContain('x-hop-secret');
    expect(names).not.toContain('keep-alive');
    expect(names).not.toContain('proxy-connection');
    expect(names).not.toContain('te');
    expect(names).toContain('x-end-to-end');
  });

  it('passes every Authorization scheme and API key through untouched', async () => {
    for (const headers of [
      ['Authorization', `Bearer ${token}`],
      ['Authorization', 'Basic aW5ncmlkOnBhc3N3b3Jk'],
      ['Authorization', 'Token abc.def'],
      ['X-Api-Key', 'k-123', 'Authorization', 'ApiKey k-456'],
    ]) {
      const b = await proxied({ path: '/api/echo/auth', headers });
      const seen = headerPairs(json(b).rawHeaders as string[]);
      for (let i = 0; i < headers.length; i += 2) expect(seen).toContainEqual([headers[i]!.toLowerCase(), headers[i + 1]]);
    }
    const profile = await proxied({ path: '/api/users/profile', headers: ['Authorization', `Bearer ${token}`] });
    expect(profile.status).toBe(200);
    expect(json(profile).firstName).toBe('Ingrid');
  });

  it('answers with the same headers as the legacy API, several Set-Cookie included', async () => {
    const path = STUB.cookies;
    const [a, b] = await Promise.all([direct({ path }), proxied({ path })]);
    expect(b.status).toBe(a.status);
    const cookiesA = headerPairs(a.rawHeaders).filter(([n]) => n === 'set-cookie').map(([, v]) => v);
    const cookiesB = headerPairs(b.rawHeaders).filter(([n]) => n === 'set-cookie').map(([, v]) => v);
    expect(cookiesA.length).toBeGreaterThanOrEqual(2);
    expect(cookiesB.length).toBe(cookiesA.length);
    // The cookie that named the legacy host becomes host-only on the proxy; the other is untouched.
    expect(cookiesA.some((c) => /domain=127\.0\.0\.1/i.test(c))).toBe(true);
    expect(cookiesB.some((c) => /domain=/i.test(c))).toBe(false);
    expect(cookiesB).toEqual(cookiesA.map((c) => c.replace(/;\s*domain=127\.0\.0\.1/i, '')));
  });

  it('points an absolute Location at the legacy origin back at the proxy', async () => {
    const path = STUB.redirect;
    const [a, b] = await Promise.all([direct({ path }), proxied({ path, headers: ['Host', `localhost:${stack.proxyPort}`] })]);
    expect(a.status).toBe(302);
    expect(b.status).toBe(302);
    expect(a.headers.location!.startsWith(stack.legacy.url)).toBe(true);
    expect(b.headers.location).toBe(a.headers.location!.replace(stack.legacy.url, `http://localhost:${stack.proxyPort}`));
  });

  it('points a Link target at the legacy origin back at the proxy, and leaves the rest of the field alone', async () => {
    const path = '/api/courses?orgId=org-1';
    const headers = ['Authorization', `Bearer ${token}`];
    const [a, b] = await Promise.all([direct({ path, headers }), proxied({ path, headers: ['Host', `localhost:${stack.proxyPort}`, ...headers] })]);
    expect(a.headers.link).toBe(`<${stack.legacy.url}/api/organisations/org-1>; rel="related"`);
    expect(b.headers.link).toBe(`<http://localhost:${stack.proxyPort}/api/organisations/org-1>; rel="related"`);
    expect(b.body.toString()).toBe(a.body.toString());
  });
});

describe('status codes', () => {
  it('204 and 304 and HEAD come through as the legacy API sent them', async () => {
    const noContent = STUB.noContent;
    const [a204, b204] = await Promise.all([direct({ path: noContent.path, method: noContent.method }), proxied({ path: noContent.path, method: noContent.method })]);
    expect(a204.status).toBe(204);
    expect(b204.status).toBe(204);
    expect(b204.body.length).toBe(0);

    const etagPath = STUB.etag;
    const first = await proxied({ path: etagPath });
    const etag = first.headers.etag!;
    expect(etag).toBeTruthy();
    const [a304, b304] = await Promise.all([direct({ path: etagPath, headers: ['If-None-Match', etag] }), proxied({ path: etagPath, headers: ['If-None-Match', etag] })]);
    expect(a304.status).toBe(304);
    expect(b304.status).toBe(304);
    expect(b304.headers.etag).toBe(etag);

    const [aHead, bHead] = await Promise.all([direct({ method: 'HEAD', path: etagPath }), proxied({ method: 'HEAD', path: etagPath })]);
    expect(bHead.status).toBe(aHead.status);
    expect(bHead.body.length).toBe(0);
    expect(bHead.headers['content-length']).toBe(aHead.headers['content-length']);
    expect(bHead.headers.etag).toBe(aHead.headers.etag);
  });

  it('relays the legacy API decision on Expect: 100-continue', async () => {
    const body = Buffer.alloc(64 * 1024, 7);
    const headers = ['Expect', '100-continue', 'Content-Length', String(body.length), 'Content-Type', 'application/octet-stream'];
    const accepted = await proxied({ method: 'POST', path: `/api/upload?max=${1024 * 1024}`, headers, body, waitForContinue: true });
    expect(accepted.informational).toEqual([100]);
    expect(accepted.status).toBe(200);
    expect(json(accepted).sha256).toBe(createHash('sha256').update(body).digest('hex'));

    const [a, b] = await Promise.all([
      direct({ method: 'POST', path: '/api/upload?max=1024', headers, body, waitForContinue: true }),
      proxied({ method: 'POST', path: '/api/upload?max=1024', headers, body, waitForContinue: true }),
    ]);
    expect(a.status).toBe(413);
    expect(b.status).toBe(413);
    expect(b.informational).toEqual([]);
  });
});

describe('streaming', () => {
  it('delivers chunked responses chunk by chunk, as they are produced', async () => {
    const path = STUB.stream(4, 300);
    const arrivals = await timedChunks(stack.proxyPort, path);
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    // The first chunk is in the client's hands long before the stream ends: nothing buffered it.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(600);
  });

  it('delivers server-sent events as they are emitted', async () => {
    const path = STUB.events(3, 300);
    const arrivals = await timedChunks(stack.proxyPort, path, ['Accept', 'text/event-stream']);
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(400);
  });

  it('relays trailer fields after the last chunk, and answers HEAD on the same path', async () => {
    const path = '/api/stream/checksummed?count=3';
    const [a, b] = await Promise.all([direct({ path }), proxied({ path })]);
    expect(b.body.toString()).toBe(a.body.toString());
    expect(b.trailers).toEqual(a.trailers);
    expect(b.trailers['x-content-sha256']).toBe(createHash('sha256').update(b.body).digest('hex'));
    // Node will not announce trailers on a response it does not chunk; the proxy must not try.
    const head = await proxied({ method: 'HEAD', path });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('relays 103 Early Hints ahead of the answer, but not to an HTTP/1.0 client', async () => {
    const [a, b] = await Promise.all([direct({ path: '/' }), proxied({ path: '/' })]);
    expect(a.informational, 'direct').toEqual([103]);
    expect(b.informational, 'proxied').toEqual([103]);
    expect(b.informationalHeaders[0]!.link).toBe(a.informationalHeaders[0]!.link);
    expect(b.status).toBe(200);
    expect(b.body.toString()).toBe(a.body.toString());

    const old = await rawExchange(stack.proxyPort, 'GET / HTTP/1.0\r\n\r\n');
    expect(old).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('upgrades WebSockets and echoes through the proxy', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${stack.proxyPort}/ws/echo`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello through the proxy'));
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    ws.close();
    expect(reply).toContain('hello through the proxy');
  });
});

describe('WebSocket handshakes', () => {
  const logOf = (correlationId: string) => stack.logs.find((l) => l.correlationId === correlationId && (l.res as { statusCode?: number } | undefined)?.statusCode !== undefined);

  it('carry the correlation id both ways and are logged, as the handshake, when they open', async () => {
    const opened = await rawHandshake({ port: stack.proxyPort, path: '/ws/echo', headers: ['X-Correlation-Id', 'ws-corr-1'] });
    expect(opened.status).toBe(101);
    expect(opened.headers['x-correlation-id']).toBe('ws-corr-1');
    const seen = stack.legacy.received.find((r) => r.rawHeaders.includes('ws-corr-1'));
    expect(seen?.url).toBe('/ws/echo');
    await until(() => logOf('ws-corr-1') !== undefined);
    expect(logOf('ws-corr-1')).toMatchObject({ req: { method: 'GET', url: '/ws/echo' }, res: { statusCode: 101 }, route: 'catch-all', servedBy: 'legacy' });
  });

  it('relay the legacy API refusal with the correlation id', async () => {
    const refused = await rawHandshake({ port: stack.proxyPort, path: '/ws/nowhere', headers: ['X-Correlation-Id', 'ws-corr-2'] });
    expect(refused.status).toBe(404);
    expect(refused.headers['x-correlation-id']).toBe('ws-corr-2');
    await until(() => logOf('ws-corr-2') !== undefined);
    expect(logOf('ws-corr-2')).toMatchObject({ res: { statusCode: 404 }, servedBy: 'legacy' });
  });

  it('are refused with problem+json under the reserved prefix', async () => {
    const refused = await rawHandshake({ port: stack.proxyPort, path: '/_proxy/health/live' });
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toMatchObject({ type: 'urn:strangler-proxy:not-found', correlationId: refused.headers['x-correlation-id'] });
  });

  it('get 502 problem+json when the legacy API cannot be reached, and 504 when it never answers', async () => {
    const down = await startStack({ env: { LEGACY_URL: 'http://127.0.0.1:9' } });
    const silent = http.createServer((_req, res) => res.end('ok'));
    const held = new Set<Duplex>();
    silent.on('upgrade', (_req, socket: Duplex) => held.add(socket)); // takes the handshake and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slow = await startStack({ env: { LEGACY_URL: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, LEGACY_TIMEOUT_MS: '300' } });
    try {
      const unreachable = await rawHandshake({ port: down.proxyPort, path: '/ws/echo', headers: ['X-Correlation-Id', 'ws-corr-502'] });
      expect(unreachable.status).toBe(502);
      expect(JSON.parse(unreachable.body)).toMatchObject({ type: 'urn:strangler-proxy:legacy-unreachable', correlationId: 'ws-corr-502' });
      await until(() => down.logs.some((l) => l.correlationId === 'ws-corr-502' && l.msg === 'legacy unreachable'));

      const started = Date.now();
      const timedOut = await rawHandshake({ port: slow.proxyPort, path: '/ws/echo' });
      expect(timedOut.status).toBe(504);
      expect(JSON.parse(timedOut.body)).toMatchObject({ type: 'urn:strangler-proxy:legacy-timeout' });
      expect(Date.now() - started).toBeLessThan(5_000); // the deadline, not the test's own timeout
    } finally {
      await down.stop();
      await slow.stop();
      for (const socket of held) socket.destroy();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('another Upgrade than WebSocket (h2c, as curl --http2 and Java\'s HttpClient send)', () => {
  const exchange = (request: string, later?: string) => rawExchange(stack.proxyPort, request, later);
  const h2c = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n';

  it('is ignored: the request is served as HTTP/1.1, and the legacy API never sees the Upgrade', async () => {
    const raw = await exchange(`GET /api/echo/h2c?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Correlation-Id: h2c-corr-1\r\n${h2c}\r\n`);
    expect(raw).toMatch(/^HTTP\/1.1 200 OK/);
    await until(() => stack.logs.some((l) => l.correlationId === 'h2c-corr-1' && (l.res as { statusCode?: number } | undefined)?.statusCode === 200));
    const echo = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { url: string; rawHeaders: string[] };
    expect(echo.url).toBe('/api/echo/h2c?x=1');
    const names = headerPairs(echo.rawHeaders).map(([name]) => name);
    expect(names).not.toContain('upgrade');
    expect(names).not.toContain('http2-settings');
  });

  it('keeps a Content-Length body, even one that arrives after the head', async () => {
    const body = 'hello, legacy';
    const raw = await exchange(`POST /api/echo/h2c HTTP/1.1\r\nHost: 127.0.0.1\r\n${h2c}Content-Length: ${body.length}\r\n\r\nhello`, body.slice(5));
    expect(raw).toMatch(/^HTTP\/1.1 200 OK/);
    const echo = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { bodyBytes: number; bodySha256: string };
    expect(echo).toMatchObject({ bodyBytes: body.length, bodySha256: createHash('sha256').update(body).digest('hex') });
  });

  it('answers 400 problem+json for a chunked body it cannot read', async () => {
    const raw = await exchange(`POST /api/echo/h2c HTTP/1.1\r\nHost: 127.0.0.1\r\n${h2c}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1.1 400 Bad Request/);
    expect(raw).toContain('application/problem+json');
  });
});

describe('the legacy URL', () => {
  /** A legacy API that answers every request with the request line and Host it received. */
  async function echoServer(host: string): Promise<{ port: number; close(): Promise<void> }> {
    const server = http.createServer((req, res) => res.end(JSON.stringify({ url: req.url, host: req.headers.host })));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('keeps its base path in front of the request path (not of *), the request path as sent, and the legacy Host', async () => {
    const echo = await echoServer('127.0.0.1');
    const based = await startStack({ env: { LEGACY_URL: `http://127.0.0.1:${echo.port}/legacy/v1/` } });
    try {
      const r = await rawRequest({ port: based.proxyPort, path: '/api//a%2Fb/./c?x=1&x=2' });
      expect(json(r)).toEqual({ url: '/legacy/v1/api//a%2Fb/./c?x=1&x=2', host: `127.0.0.1:${echo.port}` });
      const absolute = await rawRequest({ port: based.proxyPort, path: 'http://frontend.example/api/x?y' });
      expect(json(absolute).url).toBe('/legacy/v1/api/x?y');
      // A server-wide OPTIONS is about the server, not a path below its base.
      const options = await rawRequest({ port: based.proxyPort, method: 'OPTIONS', path: '*' });
      expect(json(options).url).toBe('*');
    } finally {
      await based.stop();
      await echo.close();
    }
  });

  it('takes request and response heads up to MAX_HEADER_BYTES, past Node\'s 16 KiB; beyond, 431 and 502', async () => {
    // A legacy server that takes big heads, as many do: it reports the Cookie it got, and
    // answers with an X-Big field of the size asked for.
    const legacyServer = http.createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
      res.setHeader('x-big', 'b'.repeat(Number(new URL(req.url!, 'http://x').searchParams.get('big') ?? 0)));
      res.end(JSON.stringify({ cookieLength: req.headers.cookie?.length ?? 0 }));
    });
    await new Promise<void>((resolve) => legacyServer.listen(0, '127.0.0.1', resolve));
    const big = await startStack({ env: { LEGACY_URL: `http://127.0.0.1:${(legacyServer.address() as { port: number }).port}` } });
    const send = (path: string, cookieBytes = 0) =>
      rawRequest({ port: big.proxyPort, path, headers: cookieBytes ? ['Cookie', `c=${'c'.repeat(cookieBytes - 2)}`] : [], maxHeaderSize: 1024 * 1024 });
    try {
      const ok = await send('/api/x?big=30000', 30_000);
      expect(ok.status).toBe(200);
      expect(json(ok)).toEqual({ cookieLength: 30_000 });
      expect(ok.headers['x-big']).toBe('b'.repeat(30_000));

      const tooBigRequest = await send('/api/x', 100_000);
      expect(tooBigRequest.status).toBe(431);
      const tooBigAnswer = await send('/api/x?big=100000');
      expect(tooBigAnswer.status).toBe(502);
      expect(json(tooBigAnswer)).toMatchObject({ detail: 'The legacy API sent an answer the proxy could not read.', correlationId: tooBigAnswer.headers['x-correlation-id'] });
    } finally {
      await big.stop();
      await new Promise((resolve) => legacyServer.close(resolve));
    }
  });

  it('may name an IPv6 literal', async () => {
    const echo = await echoServer('::1');
    const v6 = await startStack({ env: { LEGACY_URL: `http://[::1]:${echo.port}` } });
    try {
      const r = await rawRequest({ port: v6.proxyPort, path: '/api/v6' });
      expect(json(r)).toEqual({ url: '/api/v6', host: `[::1]:${echo.port}` });
    } finally {
      await v6.stop();
      await echo.close();
    }
  });
});

describe('failures', () => {
  it('cancels the legacy request when the client goes away', async () => {
    const marker = `cancel-${Date.now()}`;
    const req = http.request({ port: stack.proxyPort, path: `/api/slow?ms=5000&m=${marker}`, agent: false });
    req.on('error', () => {});
    req.end();
    await until(() => stack.legacy.received.some((r) => r.url.includes(marker)), 2_000);
    req.destroy();
    await until(() => stack.legacy.received.find((r) => r.url.includes(marker))?.aborted === true, 3_000);
    // Logged and counted as 499 (client closed the request), not as the status it never got.
    await until(() => stack.logs.some((l) => (l.req as { url?: string } | undefined)?.url?.includes(marker)));
    const line = stack.logs.find((l) => (l.req as { url?: string } | undefined)?.url?.includes(marker))!;
    expect(line).toMatchObject({ res: { statusCode: 499 }, route: 'catch-all', servedBy: 'legacy', level: 40 });
    const metrics = await rawRequest({ port: stack.proxyPort, path: '/_proxy/metrics' });
    expect(metrics.body.toString()).toMatch(/proxy_request_duration_seconds_count\{route="catch-all",served_by="legacy",method="GET",status_class="4xx"\} [1-9]/);
  });

  it('answers 502 problem+json when the legacy API cannot be reached', async () => {
    const down = await startStack({ env: { LEGACY_URL: 'http://127.0.0.1:9' } });
    try {
      const r = await rawRequest({ port: down.proxyPort, path: '/api/users/profile?code=secret-code-502', headers: ['X-Correlation-Id', 'corr-502'] });
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(json(r)).toMatchObject({ status: 502, correlationId: 'corr-502' });
      expect(r.headers['x-correlation-id']).toBe('corr-502');
      expect(r.body.toString()).not.toMatch(/at .*\.ts|ECONNREFUSED/);
      // The warning about the failure names the request too, with its secrets redacted.
      await until(() => down.logs.some((l) => l.correlationId === 'corr-502' && l.msg === 'legacy unreachable'));
      expect(down.logText()).toContain('code=[REDACTED]');
      expect(down.logText()).not.toContain('secret-code-502');
    } finally {
      await down.stop();
    }
  });

  it('answers 502 problem+json, saying so, when the legacy API drops the connection without answering', async () => {
    stack.legacy.setFaults([{ path: '^/api/courses$', drop: true }]);
    try {
      const r = await proxied({ path: '/api/courses?orgId=org-1', headers: ['Authorization', `Bearer ${token}`, 'X-Correlation-Id', 'corr-dropped'] });
      expect(r.status).toBe(502);
      expect(json(r)).toMatchObject({ detail: 'The legacy API closed the connection without answering.', correlationId: 'corr-dropped' });
      await until(() => stack.logs.some((l) => l.correlationId === 'corr-dropped' && l.msg === 'legacy closed the connection'));
    } finally {
      stack.legacy.setFaults([]);
    }
  });

  it('answers 504 problem+json when the legacy API is slower than the timeout, without waiting for it', async () => {
    const slow = await startStack({ env: { LEGACY_TIMEOUT_MS: '300' } });
    try {
      const started = Date.now();
      const r = await rawRequest({ port: slow.proxyPort, path: '/api/slow?ms=5000' });
      expect(r.status).toBe(504);
      expect(json(r)).toMatchObject({ status: 504, title: 'Gateway Timeout' });
      expect(typeof json(r).correlationId).toBe('string');
      expect(r.headers['x-correlation-id']).toBe(json(r).correlationId);
      // The answer came from the proxy's timeout, not from the legacy API finishing.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.stop();
    }
  });
});

describe('edge', () => {
  it('replaces a malformed correlation id and generates one when absent', async () => {
    const bad = await proxied({ path: '/api/echo/c', headers: ['X-Correlation-Id', 'bad id with spaces\t<script>'] });
    expect(bad.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await proxied({ path: '/api/echo/c' });
    expect(none.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Map(headerPairs(json(none).rawHeaders as string[])).get('x-correlation-id')).toBe(none.headers['x-correlation-id']);
  });

  it('logs one line per request with route, status, duration, side and correlation id, and no secrets', async () => {
    const secretCookie = 'session=s3cr3t-cookie-value';
    await proxied({ path: '/api/users/profile?token=leaky-token-value', headers: ['Authorization', `Bearer ${token}`, 'Cookie', secretCookie, 'X-Correlation-Id', 'log-check-1'] });
    await until(() => stack.logs.some((l) => l.correlationId === 'log-check-1'));
    const lines = stack.logs.filter((l) => l.correlationId === 'log-check-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ route: 'catch-all', servedBy: 'legacy', res: { statusCode: 200 } });
    expect(typeof lines[0]!.durationMs).toBe('number');
    const text = stack.logText();
    expect(text).not.toContain(token);
    expect(text).not.toContain('s3cr3t-cookie-value');
    expect(text).not.toContain('leaky-token-value');
  });

  it('answers a request Node cannot parse with problem+json and a correlation id', async () => {
    const raw = await rawExchange(stack.proxyPort, 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1.1 400 Bad Request/);
    expect(raw).toContain('application/problem+json');
    expect(raw).toMatch(/"correlationId":"[0-9a-f-]{36}"/);
  });

  it('serves health and metrics under the reserved prefix', async () => {
    const live = await proxied({ path: '/_proxy/health/live' });
    expect(live.status).toBe(200);
    const ready = await proxied({ path: '/_proxy/health/ready' });
    expect(ready.status).toBe(200);
    expect(json(ready)).toMatchObject({ status: 'ready', checks: { configuration: 'ok', flags: 'ok' } });
    const metrics = await proxied({ path: '/_proxy/metrics' });
    expect(metrics.body.toString()).toMatch(/proxy_request_duration_seconds_count\{route="catch-all",served_by="legacy"/);
    // Readiness is this instance's; the legacy API's reachability rides along (e2e/readiness.test.ts).
    expect(metrics.body.toString()).toMatch(/^proxy_legacy_reachable\{judged_by="probe"\} 1$/m);
    expect(json(await proxied({ path: '/_proxy/health/ready' }))).toMatchObject({ legacy: { reachable: true, judgedBy: 'probe', path: '/health' } });
  });
});

/** The stand-in's demo endpoints (legacy-stub/README.md). */
const STUB = {
  cookies: '/api/preferences',
  redirect: '/api/me',
  etag: '/api/terms',
  noContent: { method: 'POST', path: '/api/activity' },
  stream: (count: number, intervalMs: number) => `/api/stream/chunked?count=${count}&intervalMs=${intervalMs}`,
  events: (count: number, intervalMs: number) => `/api/stream/events?count=${count}&intervalMs=${intervalMs}`,
};

async function timedChunks(port: number, path: string, headers: string[] = []): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const arrivals: number[] = [];
    const req = http.request({ port, path, headers: ['Host', `127.0.0.1:${port}`, ...headers], agent: false }, (res) => {
      res.on('data', () => arrivals.push(Date.now()));
      res.on('end', () => resolve(arrivals));
    });
    req.on('error', reject);
    req.end();
  });
}
