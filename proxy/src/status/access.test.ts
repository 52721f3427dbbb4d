import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { rawRequest } from '../../../test-support/raw-http.ts';
import { setState } from '../edge/request-state.ts';
import { createRefusals } from '../identity/refusals.ts';
import type { SessionUser } from '../identity/sessions/sessions.ts';
import { createStatusAccess, type StatusAccessOptions } from './access.ts';

const TOKEN = 'a-status-token-for-scripts-0123456789';
const user = (o: Partial<SessionUser>): SessionUser => ({ userId: 'u-x', roles: [], via: 'session', createdAt: 0, authMethod: 'passkey', ...o });
const SESSIONS: Record<string, SessionUser> = {
  kari: user({ userId: 'u-kari', username: 'kari', roles: ['ADMIN'] }),
  ingrid: user({ userId: 'u-ingrid', username: 'ingrid', roles: ['TEACHER'] }),
  ola: user({ userId: 'u-ola', username: 'ola', roles: ['STUDENT'] }),
  oidcStaff: user({ userId: 'u-lars', roles: [], authMethod: 'oidc', providerRoles: ['Staff'] }),
};

let server: http.Server;
let base: string;
let options: Partial<StatusAccessOptions> = {};

beforeAll(async () => {
  const refusals = createRefusals({ prefix: '/_proxy', cutoffDate: null, clearCookie: (res) => res.setHeader('set-cookie', 'sp_session=; Max-Age=0') });
  const sessions = {
    carriesCookie: (req: http.IncomingMessage) => /(^|; )sp_session=/.test(req.headers.cookie ?? ''),
    current: async (req: http.IncomingMessage) => SESSIONS[/sp_session=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? ''] ?? null,
  };
  const app = express();
  app.use((req, _res, next) => {
    setState(req, { correlationId: 'corr-test', startedAt: 0n, method: req.method, url: req.url, servedBy: 'own', route: 'own', arrivedWith: 'other' });
    next();
  });
  app.get('/_proxy/status', async (req, res) => {
    const access = createStatusAccess({ sessions, refusals, staffRoles: ['ADMIN', 'staff'], staffUsers: ['u-ola'], token: TOKEN, ...options });
    const grant = await access(req, res);
    if (grant) res.json(grant);
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (headers: Record<string, string> = {}, path = '/_proxy/status') => fetch(`${base}${path}`, { headers, redirect: 'manual' });

describe('who may read the status page', () => {
  it('staff sessions: a staff role (legacy or from the identity provider, any case) or a listed user', async () => {
    expect(await (await get({ cookie: 'sp_session=kari' })).json()).toEqual({ via: 'session', userId: 'u-kari' });
    expect((await get({ cookie: 'sp_session=oidcStaff' })).status).toBe(200);
    expect((await get({ cookie: 'sp_session=ola' })).status).toBe(200); // STATUS_STAFF_USERS
  });

  it('a signed-in person without a staff role: 403 problem+json', async () => {
    const res = await get({ cookie: 'sp_session=ingrid' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: 'urn:strangler-proxy:forbidden', correlationId: 'corr-test' });
  });

  it('the status token opens it for scripts; a wrong token or a legacy JWT does not (401)', async () => {
    expect(await (await get({ authorization: `Bearer ${TOKEN}` })).json()).toEqual({ via: 'token' });
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LWthcmkiLCJyb2xlIjoiQURNSU4ifQ.sig', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]) {
      const res = await get({ authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.json()).toMatchObject({ type: 'urn:strangler-proxy:unauthenticated', signInUrl: '/_proxy/auth/sign-in' });
    }
  });

  it('no token configured: no bearer opens it', async () => {
    options = { token: undefined };
    try {
      expect((await get({ authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    } finally {
      options = {};
    }
  });

  it('not signed in: 401 problem+json for scripts, the sign-in page for a browser, 401 for an ended session', async () => {
    const api = await get({ accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ signInUrl: '/_proxy/auth/sign-in', correlationId: 'corr-test' });

    // fetch() sends its own Sec-Fetch-Mode: a browser's page load is sent byte for byte.
    const nav = await rawRequest({ port: Number(new URL(base).port), path: '/_proxy/status?sort=owner', headers: ['Sec-Fetch-Mode', 'navigate', 'Accept', 'text/html'] });
    expect(nav.status).toBe(303);
    expect(nav.headers.location).toBe('/_proxy/auth/sign-in?returnUrl=%2F_proxy%2Fstatus%3Fsort%3Downer');

    const ended = await get({ cookie: 'sp_session=gone', accept: 'application/json' });
    expect(ended.status).toBe(401);
    expect(await ended.json()).toMatchObject({ type: 'urn:strangler-proxy:session-expired' });
  });

  it('a staff role list without ADMIN no longer admits ADMIN', async () => {
    options = { staffRoles: ['staff'] };
    try {
      expect((await get({ cookie: 'sp_session=kari' })).status).toBe(403);
      expect((await get({ cookie: 'sp_session=oidcStaff' })).status).toBe(200);
    } finally {
      options = {};
    }
  });
});
