import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest } from '../test-support/raw-http.ts';
import { passkeySession, STATUS_TOKEN } from './status-support.ts';

/**
 * The status page and API are for staff: a session of someone with a staff role (kari is
 * ADMIN in the legacy API), a listed user, or the status token. Everyone else gets 401/403
 * problem+json — including a valid legacy JWT of an ADMIN: the page sits behind the proxy's sign-in.
 */
let stack: Stack;
const sessions: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({ env: { STATUS_TOKEN, STATUS_STAFF_USERS: 'u-lars' } });
  for (const name of ['kari', 'ingrid', 'lars']) sessions[name] = (await passkeySession(stack, name)).cookie;
});
afterAll(() => stack?.stop());

const PATHS = ['/_proxy/status', '/_proxy/status/api', '/_proxy/status/requests/some-id'];
const get = (path: string, headers: Record<string, string>) => fetch(`${stack.proxyUrl}${path}`, { headers: { accept: 'application/json', ...headers }, redirect: 'manual' });

async function expectProblem(res: Response, status: number, type: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type, correlationId: res.headers.get('x-correlation-id') });
  return body;
}

describe('access to the migration status', () => {
  it('anonymous: 401 problem+json naming the sign-in page', async () => {
    for (const path of PATHS) {
      const body = await expectProblem(await get(path, {}), 401, 'urn:strangler-proxy:unauthenticated');
      expect(body['signInUrl']).toBe('/_proxy/auth/sign-in');
    }
  });

  it('a browser that is not signed in is sent to the sign-in page, and back afterwards', async () => {
    const nav = await rawRequest({ port: stack.proxyPort, path: '/_proxy/status?window=day', headers: ['Sec-Fetch-Mode', 'navigate', 'Accept', 'text/html'] });
    expect(nav.status).toBe(303);
    expect(nav.headers.location).toBe('/_proxy/auth/sign-in?returnUrl=%2F_proxy%2Fstatus%3Fwindow%3Dday');
  });

  it('a legacy JWT alone is not staff access, even an ADMIN one: 401', async () => {
    const res = await get('/_proxy/status/api', { authorization: `Bearer ${stack.legacy.issueToken('kari')}` });
    await expectProblem(res, 401, 'urn:strangler-proxy:unauthenticated');
  });

  it('a wrong status token: 401', async () => {
    await expectProblem(await get('/_proxy/status/api', { authorization: `Bearer ${STATUS_TOKEN}-wrong` }), 401, 'urn:strangler-proxy:unauthenticated');
  });

  it('a signed-in person without a staff role: 403', async () => {
    for (const path of PATHS) await expectProblem(await get(path, { cookie: sessions['ingrid']! }), 403, 'urn:strangler-proxy:forbidden');
  });

  it('staff: a session with a staff role, a listed user, or the status token', async () => {
    const staff: Array<Record<string, string>> = [{ cookie: sessions['kari']! }, { cookie: sessions['lars']! }, { authorization: `Bearer ${STATUS_TOKEN}` }];
    for (const headers of staff) {
      const api = await get('/_proxy/status/api', headers);
      expect(api.status).toBe(200);
      expect(((await api.json()) as { routes: unknown[] }).routes).toHaveLength(3);
      const page = await get('/_proxy/status', { ...headers, accept: 'text/html' });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(await page.text()).toContain('<h1>Migration status</h1>');
    }
  });

  it('an ended session: 401 session-expired, never a fall-back to some other credential', async () => {
    const res = await get('/_proxy/status/api', { cookie: 'sp_session=s%3Anot-a-session.sig', authorization: `Bearer ${stack.legacy.issueToken('kari')}` });
    await expectProblem(res, 401, 'urn:strangler-proxy:session-expired');
  });
});
