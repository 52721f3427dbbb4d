import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test-support/free-port.ts';
import { until } from '../../../../test-support/until.ts';
import { startWhoAmIServer, type WhoAmIServer } from '../../../../test-support/whoami-server.ts';
import { createIntrospectionVerifier, type IntrospectionOptions } from './introspection.ts';
import { createTokenLocation } from './token-location.ts';

/** Opaque legacy tokens, checked against a real "who am I" endpoint on loopback. */

const claims = { userId: 'user.username', roles: 'user.roles', username: 'user.email' };
const jake = { user: { username: 'jake', email: 'jake@jake.jake', roles: ['author'], bio: null } };
const location = createTokenLocation({ kind: 'authorization', schemes: ['Token'] });
const sent = (token: string) => location.asSent({ headers: { authorization: `Token ${token}` } } as never);

let whoami: WhoAmIServer;
let clock = Date.parse('2027-01-20T12:00:00Z');

beforeAll(async () => {
  whoami = await startWhoAmIServer();
});
afterAll(() => whoami.stop());
beforeEach(() => whoami.answers.clear());

function verifier(extra: Partial<IntrospectionOptions> = {}) {
  return createIntrospectionVerifier({ url: whoami.url, claims, cacheSec: 60, timeoutMs: 2_000, now: () => clock, ...extra });
}

describe('opaque legacy tokens, by asking the legacy API who they belong to', () => {
  it('maps the answer by dotted paths, sending the credential as it came', async () => {
    whoami.answers.set('t-map', { status: 200, body: jake });
    expect(await verifier().verify('t-map', sent('t-map'))).toMatchObject({
      ok: true,
      caller: { userId: 'jake', username: 'jake@jake.jake', roles: ['author'], via: 'legacy-jwt' },
    });
    expect(whoami.calls.at(-1)!.headers).toMatchObject({ authorization: 'Token t-map', accept: 'application/json' });
    expect(whoami.calls.at(-1)!.headers).not.toHaveProperty('cookie');
  });

  it('keeps an answer per token for LEGACY_INTROSPECTION_CACHE_S, then asks again', async () => {
    whoami.answers.set('t-cache', { status: 200, body: jake });
    const v = verifier({ cacheSec: 60 });
    for (let i = 0; i < 3; i++) expect((await v.verify('t-cache', sent('t-cache'))).ok).toBe(true);
    expect(whoami.callsFor('t-cache')).toBe(1);
    clock += 61_000;
    whoami.answers.set('t-cache', { status: 401 }); // revoked meanwhile
    expect(await v.verify('t-cache', sent('t-cache'))).toEqual({ ok: false, reason: 'rejected' });
    expect(whoami.callsFor('t-cache')).toBe(2);
  });

  it('asks once for many requests with the same token at the same moment', async () => {
    whoami.answers.set('t-flight', { status: 200, body: jake });
    whoami.hold('t-flight');
    const v = verifier();
    const all = Promise.all(Array.from({ length: 8 }, () => v.verify('t-flight', sent('t-flight'))));
    await until(() => whoami.callsFor('t-flight') === 1);
    whoami.release('t-flight');
    for (const result of await all) expect(result).toMatchObject({ ok: true, caller: { userId: 'jake' } });
    expect(whoami.callsFor('t-flight')).toBe(1);
  });

  it('says a 401, 403 or 400 is a bad credential, and asks again next time (refusals are not kept)', async () => {
    const v = verifier();
    whoami.answers.set('t-403', { status: 403, body: {} });
    whoami.answers.set('t-400', { status: 400, body: {} });
    expect(await v.verify('t-401', sent('t-401'))).toEqual({ ok: false, reason: 'rejected' });
    expect(await v.verify('t-403', sent('t-403'))).toEqual({ ok: false, reason: 'rejected' });
    expect(await v.verify('t-400', sent('t-400'))).toEqual({ ok: false, reason: 'rejected' });
    expect(await v.verify('t-401', sent('t-401'))).toEqual({ ok: false, reason: 'rejected' });
    expect(whoami.callsFor('t-401')).toBe(2);
  });

  it('says a 5xx, a redirect, a 404 or a broken answer means it cannot tell now; never kept, so recovery is immediate', async () => {
    const v = verifier();
    for (const answer of [{ status: 500 }, { status: 503 }, { status: 302 }, { status: 404 }, { status: 200, raw: '<html>' }]) {
      whoami.answers.set('t-flaky', answer);
      expect(await v.verify('t-flaky', sent('t-flaky'))).toEqual({ ok: false, reason: 'introspection-unavailable' });
    }
    whoami.answers.set('t-flaky', { status: 200, body: jake });
    expect((await v.verify('t-flaky', sent('t-flaky'))).ok).toBe(true);
    expect(whoami.callsFor('t-flaky')).toBe(6);
  });

  it('says an answer without a user id where LEGACY_USER_ID_CLAIM points is no caller', async () => {
    whoami.answers.set('t-noid', { status: 200, body: { user: { email: 'x@y' } } });
    expect(await verifier().verify('t-noid', sent('t-noid'))).toEqual({ ok: false, reason: 'claims' });
  });

  it('cannot tell when the endpoint is too slow or not there', async () => {
    whoami.answers.set('t-slow', { status: 200, body: jake });
    whoami.hold('t-slow');
    try {
      expect(await verifier({ timeoutMs: 200 }).verify('t-slow', sent('t-slow'))).toEqual({ ok: false, reason: 'introspection-unavailable' });
    } finally {
      whoami.release('t-slow');
    }
    const nowhere = createIntrospectionVerifier({ url: `http://127.0.0.1:${await freePort()}/api/user`, claims, cacheSec: 60, timeoutMs: 2_000 });
    expect(await nowhere.verify('t', sent('t'))).toEqual({ ok: false, reason: 'introspection-unavailable' });
  });

  it('keeps a bounded number of answers: the least recently used is asked again', async () => {
    for (const t of ['t-a', 't-b', 't-c']) whoami.answers.set(t, { status: 200, body: jake });
    const v = verifier({ maxCachedTokens: 2 });
    for (const t of ['t-a', 't-b', 't-c', 't-c', 't-b']) await v.verify(t, sent(t));
    expect([whoami.callsFor('t-a'), whoami.callsFor('t-b'), whoami.callsFor('t-c')]).toEqual([1, 1, 1]);
    await v.verify('t-a', sent('t-a'));
    expect(whoami.callsFor('t-a')).toBe(2);
  });

  it('passes a cookie credential on as the cookie alone', async () => {
    whoami.answers.set('c-1', { status: 200, body: jake });
    const cookieAt = createTokenLocation({ kind: 'cookie', name: 'session' });
    const req = { headers: { cookie: 'theme=dark; session=c-1; sp_session=ours' } } as never;
    expect((await verifier().verify(cookieAt.read(req)!, cookieAt.asSent(req))).ok).toBe(true);
    expect(whoami.calls.at(-1)!.headers.cookie).toBe('session=c-1');
  });
});
