import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createRegistry, loadRouteFiles, RouteDeclarationError } from './registry.ts';
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
    expect(registry.match('GET', '/api/courses/featured?x=1')?.entry.route.id).toBe('featured');
    expect(registry.match('GET', '/api/courses/c-101')?.params).toEqual({ id: 'c-101' });
    expect(registry.match('HEAD', '/api/courses/c-101')?.entry.route.id).toBe('by-id');
    expect(registry.match('POST', '/api/courses/c-101')).toBeNull();
    expect(registry.match('GET', '/api/courses/c-101/sessions')).toBeNull();
  });

  it('refuses a route under the reserved prefix, a duplicated flag or id, and bad dates', () => {
    expect(refusal([route({ path: '/_proxy/status' })])).toMatch(/reserved prefix \/_proxy/);
    const dup = refusal([route({ id: 'a', path: '/api/a', flag: 'route.same' }), route({ id: 'b', path: '/api/b', flag: 'route.same' })]);
    expect(dup).toContain('flag "route.same" is also the flag of route "a"');
    expect(refusal([route({ id: 'a' }), route({ id: 'a', path: '/api/other', flag: 'other' })])).toMatch(/id "a" is also used/);
    expect(refusal([route({ targetDate: 'next week' })])).toMatch(/targetDate must be YYYY-MM-DD/);
  });

  it('refuses a replaced endpoint that names a parameter the route does not have, and bad policies', () => {
    expect(refusal([route({ path: '/api/x/:id', replaces: 'GET /api/y/:other' })])).toMatch(/:other/);
    expect(refusal([route({ upstream: { 'x.y': { retries: -1 } } })])).toMatch(/upstream "x.y"/);
  });

  it('maps a request to the legacy endpoint it replaces, query kept', () => {
    const registry = createRegistry([route({ path: '/api/dashboard', replaces: 'GET /api/home' })], '/_proxy');
    const match = registry.match('GET', '/api/dashboard?lang=nb')!;
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
