import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest, headerPairs, type RawResponse } from '../test-support/raw-http.ts';
import { passkeySession } from '../test-support/passkey-session.ts';
import { freePort } from '../test-support/free-port.ts';

/**
 * Credentials at the boundary: the legacy API acts only for the caller the proxy decided on.
 * A session's request carries the proxy's minted token whatever the client added; a repeated
 * Authorization is refused; after the cutoff, a bearer the proxy cannot verify is never
 * forwarded; the correlation id the legacy API sees is the one the proxy logs.
 */
let stack: Stack;
let ingrid: string; // her session cookie

beforeAll(async () => {
  stack = await startStack();
  ingrid = (await passkeySession(stack, stack.legacy.issueToken('ingrid'))).cookie;
});
afterAll(() => stack?.stop());

const get = (port: number, path: string, headers: string[]) => rawRequest({ port, path, headers: ['Host', `localhost:${port}`, ...headers] });
const seenBy = (res: RawResponse) => headerPairs(JSON.parse(res.body.toString()).rawHeaders as string[]);
const values = (pairs: Array<[string, string]>, name: string) => pairs.filter(([n]) => n === name).map(([, v]) => v);
const subjectOf = (authorization: string) => JSON.parse(Buffer.from(authorization.split(' ')[1]!.split('.')[1]!, 'base64url').toString()).sub as string;
const problemOf = (res: RawResponse) => JSON.parse(res.body.toString()) as { type: string; correlationId: string };

describe("a session's request carries only the proxy's credential", () => {
  it("another user's bearer sent along is replaced by the session user's minted token", async () => {
    const ola = stack.legacy.issueToken('ola');
    const res = await get(stack.proxyPort, '/api/echo/who', ['Cookie', ingrid, 'Authorization', `Bearer ${ola}`]);
    expect(res.status).toBe(200);
    const auth = values(seenBy(res), 'authorization');
    expect(auth).toHaveLength(1);
    expect(auth[0]).not.toContain(ola);
    expect(subjectOf(auth[0]!)).toBe('u-ingrid');
  });

  it('a Proxy-Authorization sent along does not reach the legacy API', async () => {
    const res = await get(stack.proxyPort, '/api/echo/who', ['Cookie', ingrid, 'Proxy-Authorization', 'Basic b2xhOnBhc3N3b3Jk']);
    expect(values(seenBy(res), 'proxy-authorization')).toEqual([]);
  });

  for (const who of ['a session', 'a bearer caller']) {
    it(`two Authorization fields from ${who} are refused with 400, and nothing is forwarded`, async () => {
      const before = stack.legacy.received.length;
      const cookie = who === 'a session' ? ['Cookie', ingrid] : [];
      const res = await get(stack.proxyPort, '/api/echo/who', [...cookie, 'Authorization', `Bearer ${stack.legacy.issueToken('ola')}`, 'Authorization', `Bearer ${stack.legacy.issueToken('kari')}`]);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers.connection).toBe('close');
      expect(problemOf(res).correlationId).toBe(res.headers['x-correlation-id']);
      expect(stack.legacy.received.length).toBe(before);
    });
  }
});

describe('a legacy API that takes its token in a header of its own (LEGACY_TOKEN_HEADER)', () => {
  let custom: Stack;
  beforeAll(async () => {
    custom = await startStack({ env: { LEGACY_TOKEN_HEADER: 'X-Auth-Token' } });
  });
  afterAll(() => custom?.stop());

  it('two X-Auth-Token fields are refused with 400 and nothing is forwarded; one goes on as sent', async () => {
    const before = custom.legacy.received.length;
    const twice = await get(custom.proxyPort, '/api/echo/who', ['X-Auth-Token', 'token-of-ola', 'x-auth-token', 'token-of-kari']);
    expect(twice.status).toBe(400);
    expect(twice.headers['content-type']).toBe('application/problem+json');
    expect(twice.headers.connection).toBe('close');
    expect(problemOf(twice).correlationId).toBe(twice.headers['x-correlation-id']);
    expect(custom.legacy.received.length).toBe(before);

    const once = await get(custom.proxyPort, '/api/echo/who', ['X-Auth-Token', 'token-of-ola']);
    expect(once.status).toBe(200);
    expect(values(seenBy(once), 'x-auth-token')).toEqual(['token-of-ola']);
  });
});

describe('the correlation id', () => {
  it('two X-Correlation-Id fields reach the legacy API as the one id the proxy uses and echoes', async () => {
    const res = await get(stack.proxyPort, '/api/echo/ids', ['X-Correlation-Id', 'from-client-a', 'X-Correlation-Id', 'from-client-b']);
    const ids = values(seenBy(res), 'x-correlation-id');
    expect(ids).toEqual([res.headers['x-correlation-id']]);
    expect(ids[0]).not.toMatch(/from-client/);
  });
});

describe('after the cutoff a bearer the proxy cannot verify is refused, never forwarded', () => {
  let closed: Stack;
  let unreachable: Stack;
  let slow: Stack;
  let silent: net.Server;
  beforeAll(async () => {
    closed = await startStack({ env: { AUTH_CUTOFF: '2020-01-01T00:00:00Z' } });
    // Keys at a closed port, and keys behind a server that accepts and never answers.
    unreachable = await startStack({ env: { AUTH_CUTOFF: '2020-01-01T00:00:00Z', LEGACY_JWKS_URL: `http://127.0.0.1:${await freePort()}/jwks.json` } });
    silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    slow = await startStack({ env: { AUTH_CUTOFF: '2020-01-01T00:00:00Z', LEGACY_JWKS_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/jwks.json` } });
  });
  afterAll(async () => {
    await Promise.all([closed?.stop(), unreachable?.stop(), slow?.stop()]);
    silent?.close();
  });

  for (const [name, which] of [['unreachable', () => unreachable], ['slow', () => slow]] as const) {
    it(`keys ${name}: a retired token gets 503 problem+json with Retry-After`, async () => {
      const s = which();
      const before = s.legacy.received.length;
      const res = await get(s.proxyPort, '/api/users/profile', ['Authorization', `Bearer ${s.legacy.issueToken('ingrid')}`]);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(problemOf(res).type).toBe('urn:strangler-proxy:token-unverifiable');
      expect(s.legacy.received.length).toBe(before);
    });
  }

  for (const authorization of ['Bearer not-a-jwt', 'Bearer', 'bearer   ', 'BEARER eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LWthcmkifQ.']) {
    it(`${JSON.stringify(authorization)} gets 401 and is not forwarded`, async () => {
      const before = closed.legacy.received.length;
      const res = await get(closed.proxyPort, '/api/echo/x', ['Authorization', authorization, 'Accept', 'application/json']);
      expect(res.status).toBe(401);
      expect(problemOf(res).type).toBe('urn:strangler-proxy:legacy-token-retired');
      expect(closed.legacy.received.length).toBe(before);
    });
  }
});

describe('a migrated route whose caller cannot be checked right now', () => {
  let keysDown: Stack;
  beforeAll(async () => {
    keysDown = await startStack({ flags: { 'route.dashboard': { rollout: 100 } }, env: { LEGACY_JWKS_URL: `http://127.0.0.1:${await freePort()}/jwks.json` } });
  });
  afterAll(() => keysDown?.stop());

  it('answers 503 with Retry-After, not a 401 that would make the frontend drop a good token', async () => {
    const res = await get(keysDown.proxyPort, '/api/dashboard', ['Authorization', `Bearer ${keysDown.legacy.issueToken('ingrid')}`, 'Accept', 'application/json']);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(problemOf(res).type).toBe('urn:strangler-proxy:token-unverifiable');
  });
});
