import { afterEach, describe, expect, it } from 'vitest';
import type { Keyv } from 'keyv';
import { startRedis } from '../../../../test-support/redis-server.ts';
import { closeKeyv, createKeyv } from '../../storage/keyv-store.ts';
import { registerPasskey, signIn, softFor } from './passkey-flows.ts';
import { createClient, startPasskeyTestApp, type PasskeyTestApp } from './passkey-test-app.ts';

const apps: PasskeyTestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

async function setUp(opts: Parameters<typeof startPasskeyTestApp>[0] = {}) {
  const app = await startPasskeyTestApp(opts);
  apps.push(app);
  return { app, client: createClient(app), soft: softFor(app) };
}

const problemType = (slug: string) => `urn:strangler-proxy:passkey:${slug}`;

describe('passkey registration', () => {
  it('needs a signed-in caller: anonymous and bad legacy tokens get a 401 problem', async () => {
    const { client } = await setUp();
    const anonymous = await client.request('POST', '/passkeys/register/options');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(anonymous.body.type).toBe(problemType('sign-in-required'));
    expect(anonymous.body.detail).toMatch(/sign in/i);
    const forged = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'forged' });
    expect(forged.status).toBe(401);
    expect(forged.body.type).toBe(problemType('legacy-sign-in-refused'));
    expect(client.jar.size).toBe(0); // no ceremony was started
  });

  it('asks for a discoverable, user-verified passkey under an opaque user handle, excluding existing ones', async () => {
    const { client, soft } = await setUp();
    const first = await registerPasskey(client, soft, 'legacy-alice');
    expect(first.verify.status).toBe(201);
    const o = first.options.body;
    expect(o.rp).toEqual({ name: 'Education platform', id: 'localhost' });
    expect(o.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(o.attestation).toBe('none');
    expect(o.user.name).toBe('alice');
    expect(Buffer.from(o.user.id, 'base64url').toString()).not.toContain('u-alice');
    expect(Buffer.from(o.user.id, 'base64url')).toHaveLength(32);
    expect(o.excludeCredentials).toEqual([]);

    const again = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    expect(again.body.user.id).toBe(o.user.id); // the same handle every time
    expect(again.body.excludeCredentials).toEqual([{ id: first.passkey.id, type: 'public-key', transports: ['internal'] }]);
  });

  it('refuses a credential that is already registered', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const twice = await registerPasskey(client, soft, 'legacy-alice', { reuseId: passkey.id });
    expect(twice.verify.status).toBe(409);
    expect(twice.verify.body.type).toBe(problemType('already-registered'));
  });

  it('binds the challenge to the user who asked for it', async () => {
    const { client, soft } = await setUp();
    const options = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    const response = soft.register(options.body);
    const asBob = await client.request('POST', '/passkeys/register/verify', { response }, { bearer: 'legacy-bob' });
    expect(asBob.status).toBe(403);
    expect(asBob.body.type).toBe(problemType('other-account'));
  });
});

describe('passkey sign-in', () => {
  it('signs in username-less with a session, and /me shows who', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const { options, verify } = await signIn(client, soft, passkey, { returnUrl: '/courses?x=1' });
    expect(options.body.allowCredentials).toBeUndefined();
    expect(options.body.userVerification).toBe('required');
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({ ok: true, returnUrl: '/courses?x=1' });
    const me = await client.request('GET', '/me');
    expect(me.body).toMatchObject({ userId: 'u-alice', username: 'alice', roles: ['teacher'], via: 'session', authMethod: 'passkey' });
  });

  it('answers with a same-site returnUrl only', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const { verify } = await signIn(client, soft, passkey, { returnUrl: '//evil.example/x' });
    expect(verify.body.returnUrl).toBe('/');
  });

  it('by username lists that user’s passkeys; an unknown username gets username-less options', async () => {
    const { client, soft } = await setUp();
    const a1 = await registerPasskey(client, soft, 'legacy-alice');
    const a2 = await registerPasskey(client, soft, 'legacy-alice');
    const bob = await registerPasskey(client, soft, 'legacy-bob');
    const named = await client.request('POST', '/passkeys/authenticate/options', { username: 'Alice' });
    expect(named.body.allowCredentials.map((c: { id: string }) => c.id).sort()).toEqual([a1.passkey.id, a2.passkey.id].sort());
    const unknown = await client.request('POST', '/passkeys/authenticate/options', { username: 'nobody' });
    expect(unknown.body.allowCredentials).toBeUndefined();
    // Asked for alice, answered with bob's passkey: refused.
    const wrong = await signIn(client, soft, bob.passkey, { username: 'alice' });
    expect(wrong.verify.status).toBe(401);
    expect(wrong.verify.body.type).toBe(problemType('unknown-credential'));
  });

  it('refuses a passkey that is not registered, saying so', async () => {
    const { client, soft } = await setUp();
    const options = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    soft.register(options.body); // created on the device, never sent to the server
    const { verify } = await signIn(client, soft, soft.passkeys[0]!);
    expect(verify.status).toBe(401);
    expect(verify.body.type).toBe(problemType('unknown-credential'));
    expect(verify.body.credentialId).toBe(soft.passkeys[0]!.id);
    expect(verify.body.detail).toMatch(/not registered/);
  });

  it('requires user verification', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const { verify } = await signIn(client, soft, passkey, { userVerified: false });
    expect(verify.status).toBe(401);
    expect(verify.body.type).toBe(problemType('verification-failed'));
  });

  it('refuses an assertion made for another origin', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const { verify } = await signIn(client, soft, passkey, { origin: 'https://evil.example' });
    expect(verify.status).toBe(401);
    expect(client.jar.has('sp_session')).toBe(false);
  });
});

describe('with a user directory (lookupUser)', () => {
  it('signs in with the roles the directory has now, and by username through it', async () => {
    const directory = new Map([['alice', { userId: 'u-alice', username: 'alice', roles: ['teacher', 'admin'] }]]);
    const { client, soft } = await setUp({ lookupUser: async (name) => directory.get(name.toLowerCase()) ?? null });
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const { options, verify } = await signIn(client, soft, passkey, { username: 'ALICE' });
    expect(options.body.allowCredentials).toHaveLength(1);
    expect(verify.status).toBe(200);
    expect((await client.request('GET', '/me')).body.roles).toEqual(['teacher', 'admin']);
  });

  it('refuses a passkey whose account the directory no longer knows', async () => {
    const directory = new Map([['alice', { userId: 'u-alice', username: 'alice', roles: ['teacher'] }]]);
    const { client, soft } = await setUp({ lookupUser: async (name) => directory.get(name) ?? null });
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    directory.delete('alice');
    const { verify } = await signIn(client, soft, passkey);
    expect(verify.status).toBe(401);
    expect(verify.body.type).toBe(problemType('account-gone'));
    expect(client.jar.has('sp_session')).toBe(false);
  });
});

describe('challenges', () => {
  it('are single use: replaying a successful sign-in is refused', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const options = await client.request('POST', '/passkeys/authenticate/options', {});
    const challengeCookie = client.jar.get('sp_passkey_auth')!;
    const response = soft.assert(options.body, passkey, { counter: 0 });
    expect((await client.request('POST', '/passkeys/authenticate/verify', { response })).status).toBe(200);
    client.jar.set('sp_passkey_auth', challengeCookie);
    const replay = await client.request('POST', '/passkeys/authenticate/verify', { response });
    expect(replay.status).toBe(400);
    expect(replay.body.type).toBe(problemType('challenge-expired'));
    expect(replay.body.detail).toBe('This attempt expired or was already used. Nothing was changed. Start again.');
  });

  it('are used up by a failed attempt too', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const options = await client.request('POST', '/passkeys/authenticate/options', {});
    const challengeCookie = client.jar.get('sp_passkey_auth')!;
    const bad = soft.assert(options.body, passkey, { origin: 'https://evil.example' });
    expect((await client.request('POST', '/passkeys/authenticate/verify', { response: bad })).status).toBe(401);
    client.jar.set('sp_passkey_auth', challengeCookie);
    const good = soft.assert(options.body, passkey);
    expect((await client.request('POST', '/passkeys/authenticate/verify', { response: good })).body.type).toBe(problemType('challenge-expired'));
  });

  it('refuse a replayed assertion under a fresh challenge', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice', { countsUses: false });
    const first = await signIn(client, soft, passkey);
    expect(first.verify.status).toBe(200);
    await client.request('POST', '/passkeys/authenticate/options', {});
    const replay = await client.request('POST', '/passkeys/authenticate/verify', { response: first.response });
    expect(replay.status).toBe(401);
    expect(replay.body.type).toBe(problemType('verification-failed'));
  });

  it('expire after 60 seconds', async () => {
    const { app, client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    app.clock.now = Date.now();
    const options = await client.request('POST', '/passkeys/authenticate/options', {});
    app.clock.now += 60_001;
    const late = await client.request('POST', '/passkeys/authenticate/verify', { response: soft.assert(options.body, passkey) });
    expect(late.status).toBe(400);
    expect(late.body.type).toBe(problemType('challenge-expired'));

    app.clock.now = Date.now();
    const reg = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    app.clock.now += 60_001;
    const lateReg = await client.request('POST', '/passkeys/register/verify', { response: soft.register(reg.body) }, { bearer: 'legacy-alice' });
    expect(lateReg.body.type).toBe(problemType('challenge-expired'));
  });

  it('are bound to their ceremony', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    const reg = await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    client.jar.set('sp_passkey_auth', client.jar.get('sp_passkey_reg')!);
    // An assertion over the registration challenge, presented for sign-in.
    const crossed = await client.request('POST', '/passkeys/authenticate/verify', { response: soft.assert(reg.body, passkey) });
    expect(crossed.status).toBe(400);
    expect(crossed.body.type).toBe(problemType('challenge-expired'));
  });

  it('travel in an HttpOnly, SameSite=Strict cookie scoped to the passkey API, for 60 s', async () => {
    const { app } = await setUp();
    const res = await fetch(`${app.base}/passkeys/authenticate/options`, { method: 'POST', headers: { origin: app.origin } });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sp_passkey_auth='))!;
    expect(cookie).toMatch(/; Max-Age=60; Path=\/_proxy\/auth\/passkeys; .*HttpOnly; SameSite=Strict/);
  });

  it('can be finished by another proxy instance sharing the store', async () => {
    const stores = new Map<string, Keyv>();
    const keyv = (namespace: string) => stores.get(namespace) ?? stores.set(namespace, createKeyv({ namespace })).get(namespace)!;
    const origins = ['http://localhost:8080'];
    const one = await setUp({ keyv, origins });
    const two = await setUp({ keyv, origins });
    const soft = softFor(one.app);
    const clientTwo = createClient(two.app, one.client.jar);
    const reg = await one.client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    const saved = await clientTwo.request('POST', '/passkeys/register/verify', { response: soft.register(reg.body) }, { bearer: 'legacy-alice' });
    expect(saved.status).toBe(201);
    const auth = await clientTwo.request('POST', '/passkeys/authenticate/options', {});
    const done = await one.client.request('POST', '/passkeys/authenticate/verify', { response: soft.assert(auth.body, soft.passkeys[0]!) });
    expect(done.body).toEqual({ ok: true, returnUrl: '/' });
  });
});

describe('over Redis', () => {
  it('two instances with their own connections share ceremonies and passkeys', async () => {
    const redis = await startRedis();
    const opened: Keyv[] = [];
    const keyv = (namespace: string) => {
      const k = createKeyv({ redisUrl: redis.url, namespace });
      opened.push(k);
      return k;
    };
    try {
      const origins = ['http://localhost:8080'];
      const one = await setUp({ keyv, origins });
      const two = await setUp({ keyv, origins });
      const soft = softFor(one.app);
      const clientTwo = createClient(two.app, one.client.jar);
      const reg = await one.client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
      const response = soft.register(reg.body);
      expect((await clientTwo.request('POST', '/passkeys/register/verify', { response }, { bearer: 'legacy-alice' })).status).toBe(201);
      const auth = await clientTwo.request('POST', '/passkeys/authenticate/options', { username: 'alice' });
      expect(auth.body.allowCredentials).toHaveLength(1);
      const cookie = one.client.jar.get('sp_passkey_auth')!;
      const assertion = soft.assert(auth.body, soft.passkeys[0]!);
      expect((await one.client.request('POST', '/passkeys/authenticate/verify', { response: assertion })).body.ok).toBe(true);
      one.client.jar.set('sp_passkey_auth', cookie);
      expect((await clientTwo.request('POST', '/passkeys/authenticate/verify', { response: assertion })).status).toBe(400);
    } finally {
      await Promise.all(opened.map((k) => closeKeyv(k)));
      await redis.stop();
    }
  });
});

describe('signature counters', () => {
  it('must go up for authenticators that count; a repeat or a step back is refused', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    expect((await signIn(client, soft, passkey, { counter: 1 })).verify.status).toBe(200);
    expect((await signIn(client, soft, passkey, { counter: 5 })).verify.status).toBe(200);
    for (const counter of [5, 3, 0]) {
      const { verify } = await signIn(client, soft, passkey, { counter });
      expect(verify.status).toBe(401);
      expect(verify.body.type).toBe(problemType('counter-regression'));
      expect(verify.body.detail).toMatch(/copied/);
    }
    expect((await signIn(client, soft, passkey, { counter: 6 })).verify.status).toBe(200);
  });

  it('are not required of authenticators that always report 0', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice', { countsUses: false });
    for (let i = 0; i < 3; i++) expect((await signIn(client, soft, passkey)).verify.status).toBe(200);
  });

  it('are judged only after the signature: a forged low counter is a failed verification, not a clone alarm', async () => {
    const { client, soft } = await setUp();
    const { passkey } = await registerPasskey(client, soft, 'legacy-alice');
    await signIn(client, soft, passkey, { counter: 5 });
    const options = await client.request('POST', '/passkeys/authenticate/options', {});
    const forged = soft.assert(options.body, passkey, { counter: 2 });
    forged.response.signature = soft.assert(options.body, passkey, { counter: 9 }).response.signature;
    const res = await client.request('POST', '/passkeys/authenticate/verify', { response: forged });
    expect(res.body.type).toBe(problemType('verification-failed'));
  });
});

describe('cross-site requests', () => {
  it('are refused for every state-changing call, sign-in included', async () => {
    const { client } = await setUp();
    const evil = await client.request('POST', '/passkeys/authenticate/options', {}, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.type).toBe(problemType('cross-site'));
    const unknown = await client.request('POST', '/sign-out', undefined, { origin: null });
    expect(unknown.status).toBe(403);
  });
});
