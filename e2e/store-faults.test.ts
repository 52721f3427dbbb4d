import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startStack, type Stack } from '../test-support/stack.ts';
import { until } from '../test-support/until.ts';
import { createSoftAuthenticator } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type ApiAnswer, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { registerPasskey, signIn } from '../proxy/src/identity/passkeys/passkey-flows.ts';

/**
 * The whole proxy on a real Redis that crashes (SIGKILL, then a restart on the same port) and
 * hangs (SIGSTOP, the socket stays open and nothing answers). Plain pass-through never needs the
 * store; whatever does (sessions, passkey ceremonies, OIDC transactions) gets 503 problem+json
 * with Retry-After, in bounded time; and it all works again when Redis does, with no restart.
 */
let redis: RedisHandle;
let stack: Stack;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    env: {
      REDIS_URL: redis.url,
      STORE_TIMEOUT_MS: '500',
      AUTH_RATE_LIMIT_PER_MIN: '1000', // the reconnect wait below signs in repeatedly
      // Organisation sign-in is on (its transactions live in the store); the provider is never reached.
      OIDC_ISSUER: 'http://127.0.0.1:9',
      OIDC_CLIENT_SECRET: 'store-faults-secret',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop(); // by its pid; resumed first if a failed test left it stopped
});

function passkeyClient() {
  const app = { base: `${stack.publicOrigin}/_proxy/auth`, origin: stack.publicOrigin } as PasskeyTestApp;
  return { client: createClient(app), soft: createSoftAuthenticator({ rpId: 'localhost', origin: stack.publicOrigin }) };
}

/** Ingrid adds a passkey (vouched for by her legacy token) and signs in with it: a session cookie. */
async function passkeySession() {
  const { client, soft } = passkeyClient();
  const reg = await registerPasskey(client, soft, stack.legacy.issueToken('ingrid'));
  if (reg.verify.status !== 201) throw new Error(`passkey registration: ${reg.verify.status}`);
  client.jar.clear();
  const { verify } = await signIn(client, soft, reg.passkey);
  if (verify.status !== 200) throw new Error(`passkey sign-in: ${verify.status}`);
  const cookie = [...client.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return { client, soft, passkey: reg.passkey, cookie };
}

const get = async (path: string, headers: Record<string, string> = {}): Promise<ApiAnswer> => {
  const res = await fetch(`${stack.proxyUrl}${path}`, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
};

/** 503 problem+json naming the correlation id, and when to try again. */
function expectStoreUnavailable(answer: ApiAnswer) {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.headers.get('retry-after')).toBe('5');
  expect(answer.body).toMatchObject({ type: 'urn:strangler-proxy:store-unavailable', status: 503, detail: expect.stringMatching(/try again/i) });
  expect(answer.body.correlationId).toBe(answer.headers.get('x-correlation-id'));
  expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.ts:\d+|Redis|offline|socket/i); // no driver internals
}

const profileOf = (answer: ApiAnswer) => ({ status: answer.status, id: answer.body?.id });

describe('Redis killed', () => {
  it('plain pass-through still answers; sign-in, session and OIDC requests get 503 problem+json with Retry-After', async () => {
    const ingrid = await passkeySession();
    expect(profileOf(await get('/api/users/profile', { cookie: ingrid.cookie }))).toEqual({ status: 200, id: 'u-ingrid' });
    // A sign-in started while Redis was up, to be finished while it is down.
    const started = passkeyClient().client;
    const options = await started.request('POST', '/passkeys/authenticate/options', {});
    expect(options.status).toBe(200);

    await redis.kill();

    const plain = await get('/health'); // the legacy stand-in's own, no cookie: the store is never asked
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({ status: 'ok' });

    expectStoreUnavailable(await passkeyClient().client.request('POST', '/passkeys/authenticate/options', {}));
    const response = ingrid.soft.assert(options.body, ingrid.passkey);
    expectStoreUnavailable(await started.request('POST', '/passkeys/authenticate/verify', { response }));
    expectStoreUnavailable(await ingrid.client.request('GET', '/me'));
    expectStoreUnavailable(await ingrid.client.request('GET', '/passkeys'));
    expectStoreUnavailable(await get('/_proxy/auth/oidc/callback?state=s&code=c', { cookie: `sp_oidc_tx=${'t'.repeat(43)}` }));
    expectStoreUnavailable(await get('/api/users/profile', { cookie: ingrid.cookie }));
  });

  it('once Redis is back on the same port, a fresh sign-in issues a cookie and its session requests work, with no restart', async () => {
    redis = await startRedis({ port: redis.port }); // empty: it kept nothing (no persistence)
    let fresh: Awaited<ReturnType<typeof passkeySession>> | undefined;
    // Each store's client reconnects on its own back-off, at most about 2 s apart.
    await until(async () => {
      fresh = await passkeySession().catch(() => undefined);
      return fresh !== undefined;
    }, 10_000);
    expect(fresh!.cookie).toMatch(/sp_session=/);
    expect(profileOf(await get('/api/users/profile', { cookie: fresh!.cookie }))).toEqual({ status: 200, id: 'u-ingrid' });
    expect(await fresh!.client.request('GET', '/me')).toMatchObject({ status: 200, body: { userId: 'u-ingrid', via: 'session' } });
  });
});

describe('Redis stopped (SIGSTOP): connections open, no answers', () => {
  it('a session request gets 503 instead of hanging, plain pass-through is untouched, and it is served again on SIGCONT', async () => {
    const ingrid = await passkeySession();
    redis.pause();
    try {
      // Without a deadline on the store call these would wait for ever (the test's timeout would fail them).
      expectStoreUnavailable(await get('/api/users/profile', { cookie: ingrid.cookie }));
      expectStoreUnavailable(await ingrid.client.request('GET', '/me'));
      expectStoreUnavailable(await passkeyClient().client.request('POST', '/passkeys/authenticate/options', {}));
      expect((await get('/health')).status).toBe(200);
    } finally {
      redis.resume();
    }
    expect(profileOf(await get('/api/users/profile', { cookie: ingrid.cookie }))).toEqual({ status: 200, id: 'u-ingrid' });
    expect((await ingrid.client.request('GET', '/me')).status).toBe(200);
  });
});
