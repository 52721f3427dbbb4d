import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createRegistry, loadRouteFiles, RouteDeclarationError, type Registry, type RouteMatch } from './registry.ts';
import type { MigratedRoute } from './route.ts';
import { runProxyToExit } from '../../../test-support/proxy-process.ts';

const route = (over: Partial<MigratedRoute>): MigratedRoute => ({
  id: 'r',
  method: 'GET',
  path: '/api/r',
  flag: 'route.r',
  owner: 'Team',
  targetDate: '2027-01-01',
  handle: async () => ({ body: {} }),
  ...over,
});

/** The route a request reaches: its id, or null for the catch-all; fails on a refusal. */
const routed = (registry: Registry, method: string, url: string): RouteMatch | null => {
  const m = registry.match(method, url);
  if (m && 'refused' in m) throw new Error(`${method} ${url} was refused: ${m.refused.detail}`);
  return m;
};

const refusal = (routes: MigratedRoute[]) => {
  try {
    createRegistry(routes, '/_proxy');
  } catch (err) {
    expect(err).toBeInstanceOf(RouteDeclarationError);
    return (err as Error).message;
  }
  throw new Error('the registry accepted declarations it should refuse');
};

describe('route declarations are checked at start-up', () => {
  it('the shipped routes load, literal paths before parameterised ones', async () => {
    const routes = await loadRouteFiles(fileURLToPath(new URL('../../../migrated-routes', import.meta.url)));
    const registry = createRegistry(routes, '/_proxy');
    expect(registry.routes.map((r) => r.route.id).sort()).toEqual(['course-detail', 'dashboard', 'enrollments']);
  });

  it('refuses a route another would shadow, naming both', () => {
    const msg = refusal([route({ id: 'by-id', path: '/api/courses/:id', flag: 'f1' }), route({ id: 'by-code', path: '/api/courses/:code', flag: 'f2' })]);
    expect(msg).toContain('"by-code"');
    expect(msg).toContain('"by-id"');
    expect(msg).toMatch(/never be reached/);
  });

  it('a literal path is not shadowed by a parameterised one declared later, and HEAD follows GET', () => {
    const registry = createRegistry([route({ id: 'featured', path: '/api/courses/featured', flag: 'f1' }), route({ id: 'by-id', path: '/api/courses/:id', flag: 'f2' })], '/_proxy');
    expect(routed(registry, 'GET', '/api/courses/featured?x=1')?.entry.route.id).toBe('featured');
    expect(routed(registry, 'GET', '/api/courses/c-101')?.params).toEqual({ id: 'c-101' });
    expect(routed(registry, 'HEAD', '/api/courses/c-101')?.entry.route.id).toBe('by-id');
    expect(registry.match('POST', '/api/courses/c-101')).toBeNull();
    expect(registry.match('GET', '/api/courses/c-101/sessions')).toBeNull();
  });

  it('refuses a route under the reserved prefix, a duplicated flag or id, and bad dates', () => {
    expect(refusal([route({ path: '/_proxy/status' })])).toMatch(/reserved prefix \/_proxy/);
    const dup = refusal([route({ id: 'a', path: '/api/a', flag: 'route.same' }), route({ id: 'b', path: '/api/b', flag: 'route.same' })]);
    expect(dup).toContain('flag "route.same" is also the flag of route "a"');
    expect(refusal([route({ id: 'a' }), route({ id: 'a', path: '/api/other', flag: 'other' })])).toMatch(/id "a" is also used/);
    expect(refusal([route({ targetDate: 'next week' })])).toMatch(/targetDate must be a real date as YYYY-MM-DD/);
    expect(refusal([route({ targetDate: '2027-13-45' })])).toMatch(/targetDate must be a real date as YYYY-MM-DD, not "2027-13-45"/);
    expect(refusal([route({ targetDate: '2027-02-29' })])).toMatch(/targetDate must be a real date/);
    expect(refusal([route({ migratedDate: '2026-04-31' })])).toMatch(/migratedDate must be a real date/);
    expect(() => createRegistry([route({ targetDate: '2028-02-29', migratedDate: '2026-12-31' })], '/_proxy')).not.toThrow();
  });

  it('refuses a replaced endpoint that names a parameter the route does not have, and bad policies', () => {
    expect(refusal([route({ path: '/api/x/:id', replaces: 'GET /api/y/:other' })])).toMatch(/:other/);
    expect(refusal([route({ upstream: { 'x.y': { retries: -1 } } })])).toMatch(/upstream "x.y"/);
  });

  it('refuses a canary guard it cannot follow, naming the field', () => {
    expect(refusal([route({ guard: { errors: { margin: 25 } } })])).toContain('route "r" (GET /api/r): guard: errors.margin: must be between 0 and 1');
    expect(refusal([route({ guard: { latency: { marginMS: 300 } } as never })])).toMatch(/guard: latency: Unrecognized key: "marginMS"/);
    expect(() => createRegistry([route({ guard: { windowMs: 60_000, latency: false } }), route({ id: 'off', path: '/api/off', flag: 'route.off', guard: false })], '/_proxy')).not.toThrow();
  });

  it('maps a request to the legacy endpoint it replaces, query kept', () => {
    const registry = createRegistry([route({ path: '/api/dashboard', replaces: 'GET /api/home' })], '/_proxy');
    const match = routed(registry, 'GET', '/api/dashboard?lang=nb')!;
    expect(registry.legacyUrl(match, '/api/dashboard?lang=nb')).toBe('/api/home?lang=nb');
  });

  it('the proxy refuses to start on shadowed declarations: exit 1, both routes named', async () => {
    const dir = fileURLToPath(new URL('./fixtures/shadowed-routes', import.meta.url));
    const r = await runProxyToExit({ MIGRATED_ROUTES_DIR: dir, PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('"course-by-code"');
    expect(r.output).toContain('"any-course"');
  });
});

describe('every spelling of a route path meets the route (and its flag)', () => {
  const routes = [
    route({ id: 'enrollments', method: 'POST', path: '/api/enrollments', flag: 'f1' }),
    route({ id: 'course', path: '/api/courses/:id', flag: 'f2' }),
  ];
  const insensitive = createRegistry(routes, '/_proxy');
  const sensitive = createRegistry(routes, '/_proxy', { routeCase: 'sensitive' });
  const id = (registry: Registry, method: string, url: string) => routed(registry, method, url)?.entry.route.id ?? null;
  const refusedWith = (registry: Registry, method: string, url: string) => {
    const m = registry.match(method, url);
    return m && 'refused' in m ? m.refused.status : undefined;
  };

  it('case, escaped letters, dot segments, repeated slashes and ;parameters: read as the legacy API reads them', () => {
    const spellings = [
      '/API/enrollments',
      '/api/Enrollments',
      '/api/%65nrollments',
      '/api/%45NROLLMENTS',
      '/api/x/../enrollments',
      '/api/./enrollments',
      '/api/x/%2e%2E/enrollments',
      '/api/%2e/enrollments',
      '/../api/enrollments',
      '/api//enrollments',
      '/api//x/../enrollments',
      '/api/enrollments;jsessionid=0123',
      '/api;v=1/enrollments/',
      '/api/enrollments/.?x=1',
    ];
    for (const url of spellings) expect(id(insensitive, 'POST', url), url).toBe('enrollments');
    expect(routed(insensitive, 'GET', '/API/Courses/C%2D101?x')?.params).toEqual({ id: 'C-101' });
    expect(routed(insensitive, 'GET', '/api/courses/a%20b')?.params).toEqual({ id: 'a b' });
  });

  it('with ROUTE_CASE=sensitive another case is another path, which the legacy API serves', () => {
    expect(id(sensitive, 'POST', '/API/enrollments')).toBeNull();
    expect(id(sensitive, 'POST', '/api/Enrollments')).toBeNull();
    expect(id(sensitive, 'POST', '/api/%45nrollments')).toBeNull();
    expect(id(sensitive, 'POST', '/api/%65nrollments')).toBe('enrollments');
    expect(id(sensitive, 'POST', '/api/x/../enrollments')).toBe('enrollments');
  });

  it('a path no reading takes to a route stays with the catch-all, however it is spelled', () => {
    for (const url of ['/api/echo/a%2Fb//c/./d/../e?x=1', '/api/enrollments/x', '/api/enrollmentsx', '/api/enrollments/..', '/api/x%2F..', '/api/%zz']) {
      expect(insensitive.match('POST', url), url).toBeNull();
    }
    expect(insensitive.match('PUT', '/API/enrollments')).toBeNull();
  });

  it('an encoded slash or a backslash that leads elsewhere when read as a separator: 400, whichever side reads it so', () => {
    for (const url of ['/api%2Fenrollments', '/api%2fenrollments', '/api%5Cenrollments', '/api\\enrollments', '/x%2F..%2Fapi/enrollments']) {
      expect(refusedWith(insensitive, 'POST', url), url).toBe(400);
    }
    // Read as data it is course "c-101/sessions", read as a separator another endpoint.
    expect(refusedWith(insensitive, 'GET', '/api/courses/c-101%2Fsessions')).toBe(400);
  });

  it('".." after "//" is read two ways (RFC 3986 and Kestrel; Tomcat and nginx merge first): refused when they differ', () => {
    // /api/enrollments/x by the RFC, /api/enrollments merged first.
    expect(refusedWith(insensitive, 'POST', '/api/enrollments/x//..')).toBe(400);
    expect(refusedWith(insensitive, 'POST', '/api/enrollments/x/y//../..')).toBe(400);
  });

  it('the reserved prefix: spelled exactly it is the proxy\'s own, any other spelling is refused (404), never forwarded', () => {
    for (const url of ['/_proxy/health/live', '/_proxy', '/_proxy?x=1', '/_proxy/../api/enrollments']) {
      expect(insensitive.match('GET', url), url).toBeNull();
    }
    for (const url of ['/_PROXY/health/live', '/_Proxy', '/%5Fproxy/status', '/%5fproxy', '/x/../_proxy/metrics', '/_proxy;x/metrics', '//_proxy/metrics']) {
      expect(refusedWith(insensitive, 'DELETE', url), url).toBe(404);
    }
    expect(refusedWith(insensitive, 'GET', '/_proxy%2Fmetrics')).toBe(400);
    for (const url of ['/_proxyx/y', '/_proxy_old/x', '/api/_proxy']) expect(insensitive.match('GET', url), url).toBeNull();
    // Case-sensitive: /_PROXY is another path, the legacy API's; an escaped underscore still spells ours.
    expect(sensitive.match('GET', '/_PROXY/health/live')).toBeNull();
    expect(refusedWith(sensitive, 'GET', '/%5Fproxy/health/live')).toBe(404);
  });

  it('refuses declarations that differ only in case or escapes, dot segments and encoded slashes', () => {
    const again = (path: string) => [route({ id: 'a', path: '/api/x' }), route({ id: 'b', path, flag: 'route.b' })];
    expect(refusal(again('/api/X'))).toMatch(/"b".*never be reached.*"a"/);
    expect(refusal(again('/api/%78'))).toMatch(/never be reached/);
    expect(() => createRegistry(again('/api/X'), '/_proxy', { routeCase: 'sensitive' })).not.toThrow();
    expect(refusal([route({ path: '/api/./x' })])).toMatch(/dot segment/);
    expect(refusal([route({ path: '/api/a%2Fb' })])).toMatch(/encoded slash/);
    expect(refusal([route({ path: '/_PROXY/x' })])).toMatch(/reserved prefix/);
    expect(refusal([route({ path: '/%5Fproxy/x' })])).toMatch(/reserved prefix/);
  });
});
