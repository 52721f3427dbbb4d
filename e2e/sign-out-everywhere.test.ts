import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import { passkeySession } from '../test-support/passkey-session.ts';

/** Sign out everywhere: every session of the person ends, nobody else's. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { AUTH_RATE_LIMIT_PER_MIN: '120' } });
});
afterAll(() => stack?.stop());

const profile = (cookie: string) =>
  rawRequest({ port: stack.proxyPort, path: '/api/users/profile', headers: ['Host', `localhost:${stack.proxyPort}`, 'Cookie', cookie, 'Accept', 'application/json'] });

describe('POST /_proxy/auth/sign-out-everywhere', () => {
  it("ends every session of the caller, on this device and the others, and no one else's", async () => {
    const laptop = await passkeySession(stack, stack.legacy.issueToken('ingrid'));
    const phone = await passkeySession(stack, stack.legacy.issueToken('ingrid'));
    const someoneElse = await passkeySession(stack, stack.legacy.issueToken('ola'));
    for (const s of [laptop, phone, someoneElse]) expect((await profile(s.cookie)).status).toBe(200);

    const res = await laptop.client.request('POST', '/sign-out-everywhere');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ endedSessions: 2 });

    for (const s of [laptop, phone]) {
      const after = await profile(s.cookie);
      expect(after.status).toBe(401);
      expect(JSON.parse(after.body.toString()).type).toBe('urn:strangler-proxy:session-expired');
    }
    expect((await profile(someoneElse.cookie)).status).toBe(200);
    expect(stack.logs.some((l) => l.msg === 'signed out everywhere' && l.endedSessions === 2)).toBe(true);
  });

  it('asks who is calling: without a session or a token it is a 401 problem', async () => {
    const anonymous = await rawRequest({ port: stack.proxyPort, method: 'POST', path: '/_proxy/auth/sign-out-everywhere', headers: ['Host', `localhost:${stack.proxyPort}`, 'Origin', stack.publicOrigin] });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toBe('application/problem+json');
  });
});
