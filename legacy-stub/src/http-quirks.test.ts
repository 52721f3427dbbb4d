import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyStub, type LegacyStub } from './server.ts';
import { call } from './test-client.ts';

describe('the HTTP habits a transparent proxy must carry', () => {
  let stub: LegacyStub;

  beforeAll(async () => {
    stub = await startLegacyStub({ quiet: true });
  });
  afterAll(() => stub.close());

  it('redirects with an absolute Location to its own listening origin, whatever the Host header says', async () => {
    // node:http, because fetch will not send a Host header of our choosing.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: stub.port, path: '/api/me', headers: { host: 'proxy.example:8080' } }, resolve)
        .on('error', reject),
    );
    res.resume();
    expect(stub.received.at(-1)!.rawHeaders).toContain('proxy.example:8080');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`http://127.0.0.1:${stub.port}/api/users/profile`);
  });

  it('creates with 201 and an absolute Location that can be followed', async () => {
    const res = await call(stub.url, '/api/feedback', { json: { message: 'More maths, please' } });
    expect(res.status).toBe(201);
    const location = res.headers.get('location')!;
    expect(location).toBe(`${stub.url}/api/feedback/${res.body.id}`);
    expect((await call(location, '')).body).toMatchObject({ id: res.body.id, message: 'More maths, please' });
  });

  it('sets two cookies at once, one with Domain=127.0.0.1 and one host-only', async () => {
    const res = await call(stub.url, '/api/preferences', { headers: { cookie: 'legacy_lang=en' } });
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(/^legacy_lang=en; Domain=127\.0\.0\.1; Path=\//);
    expect(cookies[1]).toMatch(/^legacy_theme=light; Path=\/; HttpOnly/);
    expect(cookies[1]).not.toMatch(/Domain=/i);
    expect(res.body).toEqual({ lang: 'en', theme: 'light' });
  });

  it('answers 304 to a matching If-None-Match, and HEAD with the same headers but no body', async () => {
    const full = await call(stub.url, '/api/terms');
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect((await call(stub.url, '/api/terms', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call(stub.url, '/api/terms', { headers: { 'if-none-match': `W/${etag}` } })).status).toBe(304);
    expect((await call(stub.url, '/api/terms', { headers: { 'if-none-match': '"other"' } })).status).toBe(200);

    const head = await call(stub.url, '/api/terms', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const name of ['etag', 'content-type', 'content-length', 'cache-control'])
      expect(head.headers.get(name), name).toBe(full.headers.get(name));
  });

  it('answers the activity beacon with 204 and no body', async () => {
    const res = await call(stub.url, '/api/activity', { json: { event: 'opened-dashboard' } });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
  });

  it('answers unknown paths in the legacy error format, asking for a token first under /api', async () => {
    expect((await call(stub.url, '/nowhere')).body).toEqual({ error: 'not_found', message: expect.any(String) });
    expect((await call(stub.url, '/api/nowhere')).status).toBe(401);
    expect((await call(stub.url, '/api/nowhere', { token: stub.issueToken('ola') })).status).toBe(404);
    const badJson = await fetch(`${stub.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: 'invalid_json' });
  });
});
