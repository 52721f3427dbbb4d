import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpMethod, MigratedRoute } from './route.ts';
import { compilePath, fillPath, matchPath, shadows, type PathPattern } from './path-pattern.ts';
import { pathReadings } from './normalise-path.ts';
import { problems as answers, type Problem } from '../edge/problem.ts';
import { validateShadowRules } from './shadow-rules.ts';
import { validateGuard } from '../canary/guard-config.ts';
import { validateIdempotency } from './idempotency-settings.ts';
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

/** A path answered with a problem whatever the flags say, and sent nowhere. */
export interface PathRefusal {
  refused: Problem;
}

/** Whether route paths (and the reserved prefix) compare case-sensitively: as the legacy API does. */
export type RouteCase = 'insensitive' | 'sensitive';

export interface Registry {
  routes: readonly RegisteredRoute[];
  /**
   * On the raw request: does a migrated route claim it? The path is matched as legacy servers
   * read it (normalise-path.ts), so no other spelling of a route's path gets past its flag;
   * HEAD is claimed by a GET route. Refused: the reserved prefix spelled other than exactly
   * (it must neither reach the legacy API nor half-reach the proxy's own endpoints), and a
   * path whose readings lead to different places.
   */
  match(method: string, url: string): RouteMatch | PathRefusal | null;
  /** The path (and query) the legacy API should receive when it serves this route. */
  legacyUrl(match: RouteMatch, url: string): string;
}

export class RouteDeclarationError extends Error {
  override name = 'RouteDeclarationError';
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2027-02-29` and `2027-13-45` have the shape and are no days: the date must read back as written. */
function isCalendarDate(text: string | undefined): boolean {
  const m = ISO_DATE.exec(text ?? '');
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

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
export function createRegistry(routes: readonly MigratedRoute[], reservedPrefix: string, options: { routeCase?: RouteCase } = {}): Registry {
  const caseSensitive = options.routeCase === 'sensitive';
  const reserved = new RegExp(`^${reservedPrefix.replace(/[.]/g, '\\.')}(?:/|$)`, caseSensitive ? '' : 'i');
  const entries: RegisteredRoute[] = [];
  const problems: string[] = [];
  const byId = new Map<string, MigratedRoute>();
  const byFlag = new Map<string, MigratedRoute>();

  for (const route of routes) {
    const where = `route "${route.id}" (${route.method} ${route.path})`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(route.id ?? '')) problems.push(`${where}: id must be lower-case letters, digits and dashes`);
    if (!METHODS.has(route.method)) problems.push(`${where}: method must be one of ${[...METHODS].join(', ')}`);
    if (!isCalendarDate(route.targetDate)) problems.push(`${where}: targetDate must be a real date as YYYY-MM-DD, not ${JSON.stringify(route.targetDate ?? '')}`);
    if (route.migratedDate !== undefined && !isCalendarDate(route.migratedDate)) problems.push(`${where}: migratedDate must be a real date as YYYY-MM-DD, not ${JSON.stringify(route.migratedDate)}`);
    if (!route.owner) problems.push(`${where}: owner is required`);
    const sameId = byId.get(route.id);
    if (sameId) problems.push(`${where}: id "${route.id}" is also used by ${sameId.method} ${sameId.path}`);
    byId.set(route.id, route);
    const sameFlag = byFlag.get(route.flag);
    if (!route.flag) problems.push(`${where}: flag is required`);
    else if (sameFlag) problems.push(`${where}: flag "${route.flag}" is also the flag of route "${sameFlag.id}"`);
    byFlag.set(route.flag, route);
    if ([pathReadings(route.path)].flat().some((p) => reserved.test(p))) {
      problems.push(`${where}: collides with the proxy's reserved prefix ${reservedPrefix}`);
    }
    for (const p of validateShadowRules(route.shadow ?? {})) problems.push(`${where}: shadow rules: ${p}`);
    for (const p of validateGuard(route.guard)) problems.push(`${where}: guard: ${p}`);
    for (const p of validateIdempotency(route.method, route.idempotency)) problems.push(`${where}: ${p}`);
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
      pattern = compilePath(route.path, caseSensitive);
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

  const spelledExactly = (p: string) => p.startsWith(reservedPrefix) && (p.length === reservedPrefix.length || p[reservedPrefix.length] === '/');
  const misspeltPrefix: PathRefusal = {
    refused: answers.notFound(`The proxy's own endpoints answer under ${reservedPrefix}/ spelled exactly so; other spellings are not sent to the legacy API either.`),
  };
  const ambiguous: PathRefusal = {
    refused: answers.badRequest(
      'The path holds an encoded slash or backslash, or ".." after "//", which servers read differently, and one reading ' +
        "reaches a migrated route or the proxy's own endpoints. Send the path plainly.",
    ),
  };
  const OWN = Symbol('own endpoints');

  function find(candidates: readonly RegisteredRoute[] | undefined, path: string): RouteMatch | null {
    for (const entry of candidates ?? []) {
      const params = matchPath(entry.pattern, path);
      if (params) return { entry, params };
    }
    return null;
  }

  return {
    routes: entries,
    match(method, url) {
      const candidates = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      const read = pathReadings(pathname);
      if (typeof read === 'string') {
        if (reserved.test(read)) return spelledExactly(read) ? null : misspeltPrefix;
        return candidates ? find(candidates, read) : null;
      }
      // Spelled exactly, the proxy's own endpoints take it as it is (and never forward it).
      if (spelledExactly(pathname)) return null;
      const places = read.map((p) => (reserved.test(p) ? OWN : find(candidates, p)));
      const where = (place: (typeof places)[number]) => (place === OWN || place === null ? place : place.entry);
      if (places.some((place) => where(place) !== where(places[0]!))) return ambiguous;
      const place = places[0]!;
      return place === OWN ? misspeltPrefix : place;
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
  const pattern = compilePath(m[2]!, route.caseSensitive);
  const known = new Set(route.segments.flatMap((s) => ('param' in s ? [s.param] : [])));
  for (const s of pattern.segments) {
    if ('param' in s && !known.has(s.param)) throw new Error(`replaces "${replaces}" uses :${s.param}, which the route's path does not have`);
  }
  return { method: m[1] as HttpMethod, pattern };
}

function sameMethod(a: HttpMethod, b: HttpMethod): boolean {
  return a === b || (a === 'GET' && b === 'HEAD') || (a === 'HEAD' && b === 'GET');
}
