import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { downloadBytes } from '../legacy-stub/src/server.ts';
import { createSoftAuthenticator, type SoftPasskey } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { registerPasskey } from '../proxy/src/identity/passkeys/passkey-flows.ts';
import { passkeySession } from '../test-support/passkey-session.ts';
import type { LoadOp } from '../test-support/open-loop-mix.ts';
import type { ProxyCluster } from '../test-support/proxy-cluster.ts';

/**
 * The mixed traffic of e2e/load-balancer.test.ts, through the load balancer, each operation
 * checking that its answer is the proper one: plain pass-through GETs and POSTs (echoed back),
 * a migrated route in canary (bearer tokens, several users), session-cookie callers, sign-ins
 * with a passkey, a streaming download and a WebSocket. A request that needs the store may
 * instead get the defined answer while Redis is down: 503 problem+json with Retry-After
 * ('store-unavailable'); pass-through never.
 */

export const CANARY_USERS = ['ingrid', 'ola', 'kari', 'lars', 'emma', 'nina'];
const SESSION_USERS = ['ingrid', 'ola', 'lars'];
const SIGN_IN_USERS = ['emma', 'nina'];
const DOWNLOAD_BYTES = 256 * 1024;

const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A passkey a user registered, ready to sign in with from any client. */
export interface Signer {
  soft: ReturnType<typeof createSoftAuthenticator>;
  passkey: SoftPasskey;
}

/** A client of the passkey API at `base` (the balancer, or one instance), as the public origin's pages. */
export function authClient(cluster: ProxyCluster, base = cluster.publicOrigin, jar?: Map<string, string>) {
  return createClient({ base: `${base}/_proxy/auth`, origin: cluster.publicOrigin } as PasskeyTestApp, jar);
}

/** Registers a passkey for `username` (vouched for by their legacy token). Synced passkeys report no use counter. */
export async function registerSigner(cluster: ProxyCluster, username: string, base?: string): Promise<Signer> {
  const soft = createSoftAuthenticator({ rpId: 'localhost', origin: cluster.publicOrigin });
  const reg = await registerPasskey(authClient(cluster, base), soft, cluster.legacy.issueToken(username), { countsUses: false });
  if (reg.verify.status !== 201) throw new Error(`passkey registration answered ${reg.verify.status}`);
  return { soft, passkey: reg.passkey };
}

/** Throws unless the answer is the store's defined 503. */
export function expectStoreUnavailable(status: number, headers: Headers, body: unknown): 'store-unavailable' {
  const type = (body as { type?: string } | undefined)?.type;
  if (status !== 503 || headers.get('content-type') !== 'application/problem+json' || !headers.get('retry-after') || type !== 'urn:strangler-proxy:store-unavailable') {
    throw new Error(`expected 200 or the store's 503 problem with Retry-After, got ${status} ${headers.get('content-type')} ${JSON.stringify(body).slice(0, 200)}`);
  }
  return 'store-unavailable';
}

/** Sets up the callers (sessions, passkeys, tokens) and returns one cycle of the mix. */
export async function prepareTraffic(cluster: ProxyCluster): Promise<{ mix: LoadOp[]; canarySides: Map<string, Set<string>>; sessions: Array<{ user: string; cookie: string }> }> {
  const lb = cluster.lb.url;
  const tokens = CANARY_USERS.map((u) => ({ user: u, token: cluster.legacy.issueToken(u) }));
  const sessions = await Promise.all(SESSION_USERS.map(async (u) => ({ user: u, cookie: (await passkeySession(cluster, cluster.legacy.issueToken(u))).cookie })));
  const signers = await Promise.all(SIGN_IN_USERS.map(async (u) => ({ user: u, ...(await registerSigner(cluster, u)) })));
  const bodies = [1_024, 9_000, 40_000].map((n) => {
    const body = new Uint8Array(randomBytes(n));
    return { body, sha: sha256(body) };
  });
  const downloadSha = sha256(downloadBytes(DOWNLOAD_BYTES));
  // Which sides served each canary user: one, whichever instance answers (sticky per user),
  // unless the canary guard rolled the route back.
  const canarySides = new Map<string, Set<string>>();
  const nextToken = cycle(tokens);
  const nextSession = cycle(sessions);
  const nextSigner = cycle(signers);
  const nextBody = cycle(bodies);

  const echoGet: LoadOp = {
    kind: 'pass-through GET',
    async run(signal, id) {
      const path = `/api/echo/${id}?q=x`;
      const res = await fetch(`${lb}${path}`, { headers: { 'x-correlation-id': id }, signal });
      const body = (await res.json()) as { method: string; url: string };
      if (res.status !== 200 || body.method !== 'GET' || body.url !== path) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
      return 'ok';
    },
  };
  const echoPost: LoadOp = {
    kind: 'pass-through POST',
    async run(signal, id) {
      const { body, sha } = nextBody();
      const res = await fetch(`${lb}/api/echo/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'x-correlation-id': id }, signal }).catch((err: Error) => {
        throw new Error(`POST of ${body.length} bytes: ${err.message}`, { cause: err.cause });
      });
      const echo = (await res.json()) as { bodyBytes: number; bodySha256: string };
      if (res.status !== 200 || echo.bodyBytes !== body.length || echo.bodySha256 !== sha) throw new Error(`POST of ${body.length} bytes: ${res.status} ${JSON.stringify(echo)}`);
      return 'ok';
    },
  };
  const canary: LoadOp = {
    kind: 'migrated route in canary',
    async run(signal, id) {
      const { user, token } = nextToken();
      const res = await fetch(`${lb}/api/courses/c-101`, { headers: { authorization: `Bearer ${token}`, 'x-correlation-id': id }, signal });
      const body = (await res.json()) as { id?: string; myEnrollment?: unknown };
      if (res.status !== 200 || body.id !== 'c-101') throw new Error(`course for ${user}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      const side = 'myEnrollment' in body ? 'migrated' : 'legacy';
      canarySides.set(user, new Set([...(canarySides.get(user) ?? []), side]));
      return side;
    },
  };
  const session: LoadOp = {
    kind: 'session cookie',
    async run(signal, id) {
      const { user, cookie } = nextSession();
      const res = await fetch(`${lb}/api/users/profile`, { headers: { cookie, accept: 'application/json', 'x-correlation-id': id }, signal });
      const body = (await res.json()) as { id?: string };
      if (res.status === 200 && body.id === `u-${user}`) return 'ok';
      return expectStoreUnavailable(res.status, res.headers, body);
    },
  };
  const download: LoadOp = {
    kind: 'streaming download',
    async run(signal, id) {
      const res = await fetch(`${lb}/api/download?bytes=${DOWNLOAD_BYTES}`, { headers: { 'x-correlation-id': id }, signal });
      const data = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || data.length !== DOWNLOAD_BYTES || sha256(data) !== downloadSha) throw new Error(`download: ${res.status}, ${data.length} bytes`);
      return 'ok';
    },
  };
  const webSocket: LoadOp = {
    kind: 'WebSocket',
    run: (signal, id) => echoOverWebSocket(`${lb.replace('http', 'ws')}/ws/echo`, `hello ${id}`, id, signal),
  };
  const signIn: LoadOp = {
    kind: 'passkey sign-in',
    async run() {
      const { user, soft, passkey } = nextSigner();
      const client = authClient(cluster);
      const options = await client.request('POST', '/passkeys/authenticate/options', {});
      if (options.status !== 200) return expectStoreUnavailable(options.status, options.headers, options.body);
      const verify = await client.request('POST', '/passkeys/authenticate/verify', { response: soft.assert(options.body, passkey), returnUrl: '/' });
      if (verify.status !== 200) return expectStoreUnavailable(verify.status, verify.headers, verify.body);
      const me = await client.request('GET', '/me');
      if (me.status !== 200) return expectStoreUnavailable(me.status, me.headers, me.body);
      if (me.body.userId !== `u-${user}`) throw new Error(`signed in as ${user}, /me says ${JSON.stringify(me.body)}`);
      return 'ok';
    },
  };

  const mix = [
    [echoGet, 7],
    [echoPost, 4],
    [canary, 4],
    [session, 4],
    [download, 2],
    [webSocket, 2],
    [signIn, 1],
  ] as const;
  // Interleaved (not grouped), so each kind is spread over the whole cycle.
  const ops: LoadOp[] = [];
  for (let round = 0; ops.length < mix.reduce((sum, [, k]) => sum + k, 0); round++) for (const [op, k] of mix) if (round < k) ops.push(op);
  return { mix: ops, canarySides, sessions };
}

/** Hands out a list's items in turn, for ever. */
function cycle<T>(list: T[]): () => T {
  let i = 0;
  return () => list[i++ % list.length]!;
}

/** Opens, sends one message, expects it back unchanged, closes cleanly. */
function echoOverWebSocket(url: string, message: string, id: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'x-correlation-id': id } });
    const abort = () => {
      ws.terminate();
      reject(new Error('WebSocket: no echo and close in time'));
    };
    signal.addEventListener('abort', abort, { once: true });
    let echoed = false;
    ws.once('open', () => ws.send(message));
    ws.once('message', (data, isBinary) => {
      echoed = !isBinary && String(data) === message;
      ws.close(1000);
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket handshake answered ${res.statusCode}`)));
    ws.once('error', (err) => reject(err));
    ws.once('close', (code) => {
      signal.removeEventListener('abort', abort);
      if (echoed && code === 1000) resolve('ok');
      else reject(new Error(`WebSocket closed with ${code}, echoed: ${echoed}`));
    });
  });
}
