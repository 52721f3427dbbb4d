import type KeyvRedis from '@keyv/redis';
import type { Keyv } from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../../../test-support/redis-server.ts';
import { closeKeyv, createKeyv } from '../../storage/keyv-store.ts';
import { registerPasskey, signIn, softFor } from './passkey-flows.ts';
import { createClient, startPasskeyTestApp, type PasskeyTestApp } from './passkey-test-app.ts';

// Two proxy instances on one Redis, serving one origin (behind one load balancer).
const ORIGIN = 'http://localhost:4180';
let redis: RedisHandle;
const apps: PasskeyTestApp[] = [];
const keyvs: Keyv[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
  await Promise.all(keyvs.splice(0).map((k) => closeKeyv(k)));
});
afterAll(() => redis?.stop());

async function instance(): Promise<PasskeyTestApp> {
  const app = await startPasskeyTestApp({
    origins: [ORIGIN],
    keyv: (namespace) => {
      const keyv = createKeyv({ redisUrl: redis.url, namespace }) as Keyv;
      keyvs.push(keyv);
      return keyv;
    },
  });
  apps.push(app);
  return app;
}

const names = async (app: PasskeyTestApp) =>
  ((await createClient(app).request('GET', '/passkeys', undefined, { bearer: 'legacy-alice' })).body as { name: string }[]).map((p) => p.name).sort();

describe('passkeys on two instances sharing one Redis', () => {
  it('keeps every passkey a user adds on both instances at the same moment, and each signs in on either', async () => {
    const a = await instance();
    const b = await instance();
    // The first registrations also race to create the user's WebAuthn handle.
    const added = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const app = i % 2 ? a : b;
        return registerPasskey(createClient(app), softFor(app), 'legacy-alice', { name: `key ${i}` });
      }),
    );
    for (const { verify } of added) expect(verify.status).toBe(201);
    const all = Array.from({ length: 6 }, (_, i) => `key ${i}`);
    expect(await names(a)).toEqual(all);
    expect(await names(b)).toEqual(all);

    for (const [i, { passkey }] of added.entries()) {
      const other = i % 2 ? b : a;
      const { verify } = await signIn(createClient(other), softFor(other), passkey);
      expect(verify.status).toBe(200);
    }
  });

  it('finishes a ceremony on the other instance than the one that began it', async () => {
    const a = await instance();
    const b = await instance();
    const jar = new Map<string, string>();
    const soft = softFor(a);
    const options = await createClient(a, jar).request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' });
    const verify = await createClient(b, jar).request('POST', '/passkeys/register/verify', { response: soft.register(options.body), name: 'across' }, { bearer: 'legacy-alice' });
    expect(verify.status).toBe(201);
    const signInOptions = await createClient(b, jar).request('POST', '/passkeys/authenticate/options', {});
    const assertion = soft.assert(signInOptions.body, soft.passkeys[0]!);
    const signedIn = await createClient(a, jar).request('POST', '/passkeys/authenticate/verify', { response: assertion });
    expect(signedIn.status).toBe(200);
  });

  it('adopts the passkeys an earlier version stored as one value per user, handle included', async () => {
    const a = await instance();
    const { passkey } = await registerPasskey(createClient(a), softFor(a), 'legacy-bob', { name: 'from before' });
    // Make it look as the previous version left it: one `user:` value, no set, no handle key.
    const passkeys = keyvs.find((k) => (k.store as KeyvRedis<unknown>).namespace === 'passkeys')!;
    const client = await (passkeys.store as KeyvRedis<unknown>).getClient();
    const handle = (await client.get('passkeys::handle:u-bob'))!;
    await client.del(['passkeys::handle:u-bob', 'passkeys::ids:u-bob']);
    await passkeys.set('user:u-bob', { handle, credentialIds: [passkey.id] });

    const b = await instance();
    const list = await createClient(b).request('GET', '/passkeys', undefined, { bearer: 'legacy-bob' });
    expect(list.body).toMatchObject([{ id: passkey.id, name: 'from before' }]);
    const { verify } = await signIn(createClient(b), softFor(b), passkey);
    expect(verify.status).toBe(200);
    expect(await client.get('passkeys::handle:u-bob')).toBe(handle);
    expect(await client.sMembers('passkeys::ids:u-bob')).toEqual([passkey.id]);
  });
});
