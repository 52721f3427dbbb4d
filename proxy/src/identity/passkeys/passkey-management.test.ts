import { afterEach, describe, expect, it } from 'vitest';
import { registerPasskey, signIn, softFor } from './passkey-flows.ts';
import { createClient, startPasskeyTestApp, type PasskeyTestApp } from './passkey-test-app.ts';

const apps: PasskeyTestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

async function setUp() {
  const app = await startPasskeyTestApp();
  apps.push(app);
  return { app, soft: softFor(app), client: () => createClient(app) };
}

describe('GET /me', () => {
  it('is a 401 problem for nobody, and names a legacy-JWT caller', async () => {
    const { client } = await setUp();
    const anonymous = await client().request('GET', '/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(anonymous.body).toMatchObject({ status: 401, correlationId: 'test' });
    const legacy = await client().request('GET', '/me', undefined, { bearer: 'legacy-bob' });
    expect(legacy.body).toEqual({ userId: 'u-bob', username: 'bob', roles: ['student'], via: 'legacy-jwt' });
    expect(legacy.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the passkey list', () => {
  it('shows the caller only their own passkeys, without keys or counters', async () => {
    const { soft, client } = await setUp();
    const alice = client();
    const a1 = await registerPasskey(alice, soft, 'legacy-alice', { name: 'Work laptop' });
    await registerPasskey(alice, soft, 'legacy-alice', { name: '  Phone\n\u0007 ' });
    await registerPasskey(client(), soft, 'legacy-bob', { name: 'Bob’s key' });
    const list = await alice.request('GET', '/passkeys', undefined, { bearer: 'legacy-alice' });
    expect(list.status).toBe(200);
    expect(list.body.map((p: { name: string }) => p.name)).toEqual(['Work laptop', 'Phone']);
    expect(Object.keys(list.body[0]).sort()).toEqual(['createdAt', 'current', 'id', 'lastUsedAt', 'name']);
    expect(list.body[0]).toMatchObject({ id: a1.passkey.id, lastUsedAt: null, current: false });
    expect(new Date(list.body[0].createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    await signIn(alice, soft, a1.passkey);
    const afterSignIn = await alice.request('GET', '/passkeys');
    expect(afterSignIn.body[0]).toMatchObject({ id: a1.passkey.id, current: true });
    expect(afterSignIn.body[0].lastUsedAt).not.toBeNull();
  });

  it('needs a signed-in caller', async () => {
    const { client } = await setUp();
    expect((await client().request('GET', '/passkeys')).status).toBe(401);
  });
});

describe('renaming and deleting', () => {
  it('only the owner may; to anyone else the passkey does not exist', async () => {
    const { soft, client } = await setUp();
    const alice = client();
    const bob = client();
    const { passkey } = await registerPasskey(alice, soft, 'legacy-alice', { name: 'Laptop' });
    const path = `/passkeys/${passkey.id}`;
    const rename = await bob.request('PATCH', path, { name: 'Mine now' }, { bearer: 'legacy-bob' });
    expect(rename.status).toBe(404);
    expect((await bob.request('DELETE', path, undefined, { bearer: 'legacy-bob' })).status).toBe(404);
    expect((await alice.request('PATCH', path, { name: 'x' })).status).toBe(401);
    const list = await alice.request('GET', '/passkeys', undefined, { bearer: 'legacy-alice' });
    expect(list.body).toMatchObject([{ id: passkey.id, name: 'Laptop' }]);
  });

  it('renames, refusing an empty name', async () => {
    const { soft, client } = await setUp();
    const alice = client();
    const { passkey } = await registerPasskey(alice, soft, 'legacy-alice');
    const path = `/passkeys/${passkey.id}`;
    const renamed = await alice.request('PATCH', path, { name: ' Home desktop ' }, { bearer: 'legacy-alice' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Home desktop');
    expect((await alice.request('PATCH', path, { name: '   ' }, { bearer: 'legacy-alice' })).status).toBe(400);
    const list = await alice.request('GET', '/passkeys', undefined, { bearer: 'legacy-alice' });
    expect(list.body[0].name).toBe('Home desktop');
  });

  it('deleting a passkey revokes the sessions it signed in, and no others', async () => {
    const { soft, client } = await setUp();
    const [laptop, phone, other] = [client(), client(), client()];
    const a = await registerPasskey(laptop, soft, 'legacy-alice', { name: 'A' });
    const b = await registerPasskey(laptop, soft, 'legacy-alice', { name: 'B' });
    for (const [c, passkey] of [[laptop, a.passkey], [phone, a.passkey], [other, b.passkey]] as const) {
      expect((await signIn(c, soft, passkey)).verify.status).toBe(200);
    }
    const deleted = await laptop.request('DELETE', `/passkeys/${a.passkey.id}`);
    expect(deleted.body).toEqual({ deleted: true, revokedSessions: 2, signedOut: true });
    expect(laptop.jar.has('sp_session')).toBe(false); // told to drop the cookie
    expect((await phone.request('GET', '/me')).status).toBe(401);
    expect((await other.request('GET', '/me')).body).toMatchObject({ userId: 'u-alice', via: 'session' });

    const list = await other.request('GET', '/passkeys');
    expect(list.body.map((p: { name: string }) => p.name)).toEqual(['B']);
    const again = await signIn(client(), soft, a.passkey);
    expect(again.verify.body.type).toBe('urn:strangler-proxy:passkey:unknown-credential');
  });

  it('deleting another passkey keeps the current session', async () => {
    const { soft, client } = await setUp();
    const alice = client();
    const a = await registerPasskey(alice, soft, 'legacy-alice');
    const b = await registerPasskey(alice, soft, 'legacy-alice');
    await signIn(alice, soft, a.passkey);
    const deleted = await alice.request('DELETE', `/passkeys/${b.passkey.id}`);
    expect(deleted.body).toEqual({ deleted: true, revokedSessions: 0, signedOut: false });
    expect((await alice.request('GET', '/me')).status).toBe(200);
  });
});

describe('revokeAllPasskeys (OIDC recovery)', () => {
  it('deletes every passkey of that user and no one else’s', async () => {
    const { app, soft, client } = await setUp();
    const alice = client();
    const a = await registerPasskey(alice, soft, 'legacy-alice');
    await registerPasskey(alice, soft, 'legacy-alice');
    await registerPasskey(client(), soft, 'legacy-bob');
    expect(await app.passkeys.revokeAllPasskeys('u-alice')).toBe(2);
    expect((await alice.request('GET', '/passkeys', undefined, { bearer: 'legacy-alice' })).body).toEqual([]);
    expect((await alice.request('GET', '/passkeys', undefined, { bearer: 'legacy-bob' })).body).toHaveLength(1);
    expect((await signIn(alice, soft, a.passkey)).verify.body.type).toBe('urn:strangler-proxy:passkey:unknown-credential');
  });
});

describe('POST /sign-out', () => {
  it('ends the session for good and clears the cookie', async () => {
    const { soft, client } = await setUp();
    const alice = client();
    const { passkey } = await registerPasskey(alice, soft, 'legacy-alice');
    await signIn(alice, soft, passkey);
    const stolen = alice.jar.get('sp_session')!;
    const out = await alice.request('POST', '/sign-out');
    expect(out.status).toBe(204);
    expect(alice.jar.has('sp_session')).toBe(false);
    expect((await alice.request('GET', '/me')).status).toBe(401);
    alice.jar.set('sp_session', stolen);
    const replayed = await alice.request('GET', '/me');
    expect(replayed.status).toBe(401);
    expect(replayed.body.type).toBe('urn:strangler-proxy:passkey:session-ended');
  });
});
