import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpMethod, MigratedRoute } from './route.ts';
import { compilePath, fillPath, matchPath, shadows, type PathPattern } from './path-pattern.ts';
import { validateShadowRules } from './shadow-rules.ts';
import { DEFAULT_ENDPOINT_POLICY, resolvePolicy } from '../legacy/policies.ts';

export interface RegisteredRoute {
  route: MigratedRoute;
  pattern: PathPattern;
  /** The legacy endpoint the route replaces, compiled; null when it has none or it is the same path. */
  replaces: { method: HttpMethod; pattern: PathPattern } | null;
}

export interface RouteMatch {
  entry: RegisteredRoute;
  params: Record<string, string>;
}

export interface Registry {
  routes: readonly RegisteredRoute[];
  /** On the raw request: does a migrated route claim it? HEAD is claimed by a GET route. */
  match(method: string, url: string): RouteMatch | null;
  /** The path (and query) the legacy API should receive when it serves this route. */
  legacyUrl(match: RouteMatch, url: string): string;
}

export class RouteDeclarationError extends Error {
  override name = 'RouteDeclarationError';
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Loads every route declaration file in a folder (one route per file, default export). */
export async function loadRouteFiles(dir: string): Promise<MigratedRoute[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ts|js|mjs)$/.test(f) && !/\.(test|spec)\.|\.d\.ts$/.test(f) && !f.startsWith('_')).sort();
  const routes: MigratedRoute[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: MigratedRoute };
    if (!mod.default || typeof mod.default.handle !== 'function') {
      throw new RouteDeclarationError(`${file}: must default-export a route declared with defineRoute(...)`);
    }
    routes.push(mod.default);
  }
  return routes.sort((a, b) => routeOrder(a) - routeOrder(b) || a.id.localeCompare(b.id));
}

/** Literal paths before parameterised ones, so `/api/courses/featured` is never taken by `/api/courses/:id`. */
function routeOrder(r: MigratedRoute): number {
  return (r.path.match(/\/:/g) ?? []).length;
}

/**
 * Checks the declarations and builds the matcher. Refuses, naming both routes, a route that
 * another would shadow, one under the proxy's reserved prefix, and a duplicated id or flag.
 */
export function createRegistry(routes: readonly MigratedRoute[], reservedPrefix: string): Registry {
  const entries: RegisteredRoute[] = [];
  const problems: string[] = [];
  const byId = new Map<string, MigratedRoute>();
  const byFlag = new Map<string, MigratedRoute>();

  for (const route of routes) {
    const where = `route "${route.id}" (${route.method} ${route.path})`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(route.id ?? '')) problems.push(`${where}: id must be lower-case letters, digits and dashes`);
    if (!METHODS.has(route.method)) problems.push(`${where}: method must be one of ${[...METHODS].join(', ')}`);
    if (!ISO_DATE.test(route.targetDate ?? '')) problems.push(`${where}: targetDate must be YYYY-MM-DD`);
    if (route.migratedDate !== undefined && !ISO_DATE.test(route.migratedDate)) problems.push(`${where}: migratedDate must be YYYY-MM-DD`);
    if (!route.owner) problems.push(`${where}: owner is required`);
    const sameId = byId.get(route.id);
    if (sameId) problems.push(`${where}: id "${route.id}" is also used by ${sameId.method} ${sameId.path}`);
    byId.set(route.id, route);
    const sameFlag = byFlag.get(route.flag);
    if (!route.flag) problems.push(`${where}: flag is required`);
    else if (sameFlag) problems.push(`${where}: flag "${route.flag}" is also the flag of route "${sameFlag.id}"`);
    byFlag.set(route.flag, route);
    if (route.path === reservedPrefix || route.path.startsWith(`${reservedPrefix}/`)) {
      problems.push(`${where}: collides with the proxy's reserved prefix ${reservedPrefix}`);
    }
    for (const p of validateShadowRules(route.shadow ?? {})) problems.push(`${where}: shadow rules: ${p}`);
    for (const [endpoint, policy] of Object.entries(route.upstream ?? {})) {
      try {
        resolvePolicy(DEFAULT_ENDPOINT_POLICY, policy);
      } catch (err) {
        problems.push(`${where}: upstream "${endpoint}": ${(err as Error).message}`);
      }
    }

    let pattern: PathPattern;
    let replaces: RegisteredRoute['replaces'] = null;
    try {
      pattern = compilePath(route.path);
      if (route.replaces) replaces = compileReplaces(route.replaces, pattern);
      // Same path on both sides: the request goes to the legacy API exactly as the client sent it.
      if (replaces && replaces.pattern.source === pattern.source) replaces = null;
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
      continue;
    }
    for (const earlier of entries) {
      if (sameMethod(earlier.route.method, route.method) && shadows(earlier.pattern, pattern)) {
        problems.push(`${where} would never be reached: route "${earlier.route.id}" (${earlier.route.method} ${earlier.route.path}) takes its requests first`);
      }
    }
    entries.push({ route, pattern, replaces });
  }
  if (problems.length) throw new RouteDeclarationError(`Migrated route declarations are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  const byMethod = new Map<string, RegisteredRoute[]>();
  for (const e of entries) {
    const list = byMethod.get(e.route.method) ?? [];
    list.push(e);
    byMethod.set(e.route.method, list);
  }

  return {
    routes: entries,
    match(method, url) {
      const candidates = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
      if (!candidates) return null;
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      for (const entry of candidates) {
        const params = matchPath(entry.pattern, pathname);
        if (params) return { entry, params };
      }
      return null;
    },
    legacyUrl(match, url) {
      const { replaces } = match.entry;
      if (!replaces) return url;
      const q = url.indexOf('?');
      return fillPath(replaces.pattern, match.params) + (q === -1 ? '' : url.slice(q));
    },
  };
}

function compileReplaces(replaces: string, route: PathPattern): NonNullable<RegisteredRoute['replaces']> {
  const m = /^(GET|HEAD|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(replaces);
  if (!m) throw new Error(`replaces "${replaces}" must read "METHOD /path"`);
  const pattern = compilePath(m[2]!);
  const known = new Set(route.segments.flatMap((s) => ('param' in s ? [s.param] : [])));
  for (const s of pattern.segments) {
    if ('param' in s && !known.has(s.param)) throw new Error(`replaces "${replaces}" uses :${s.param}, which the route's path does not have`);
  }
  return { method: m[1] as HttpMethod, pattern };
}

function sameMethod(a: HttpMethod, b: HttpMethod): boolean {
  return a === b || (a === 'GET' && b === 'HEAD') || (a === 'HEAD' && b === 'GET');
}
