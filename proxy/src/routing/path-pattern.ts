import { normaliseSegment } from './normalise-path.ts';

/**
 * Route paths are literal segments and `:param` segments, nothing else: simple enough to
 * match on the raw request without Express, and to check for shadowing at start-up.
 * Patterns match request paths as `pathReadings` reads them (normalise-path.ts).
 */
export interface PathPattern {
  source: string;
  segments: ReadonlyArray<{ param: string } | { literal: string }>;
  /** Literal segments compare case-sensitively only when the legacy API does (ROUTE_CASE). */
  caseSensitive: boolean;
  /** Matches a request path (no query) and captures the params in order. */
  regex: RegExp;
}

const SEGMENT = /^(?::([A-Za-z_][A-Za-z0-9_]*)|[A-Za-z0-9._~!$&'()*+,=@%-]+)$/;

export function compilePath(path: string, caseSensitive = true): PathPattern {
  if (!path.startsWith('/')) throw new Error(`path "${path}" must start with "/"`);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments = parts.map((part) => {
    const m = SEGMENT.exec(part);
    if (!m) throw new Error(`path "${path}": segment "${part}" is neither a literal nor a :param`);
    // A request path never holds these once read, so a route naming them could never match.
    if (!m[1] && (part === '.' || part === '..' || /%2f|%5c/i.test(part))) {
      throw new Error(`path "${path}": segment "${part}" is a dot segment or holds an encoded slash`);
    }
    return m[1] ? { param: m[1] } : { literal: part };
  });
  const body = segments.map((s) => ('param' in s ? '([^/]+)' : escapeRegex(normaliseSegment(s.literal)))).join('/');
  return { source: path, segments, caseSensitive, regex: new RegExp(`^/${body}/?$`, caseSensitive ? '' : 'i') };
}

export function matchPath(pattern: PathPattern, pathname: string): Record<string, string> | null {
  const m = pattern.regex.exec(pathname);
  if (!m) return null;
  const params: Record<string, string> = {};
  let i = 1;
  for (const s of pattern.segments) {
    if ('param' in s) params[s.param] = safeDecode(m[i++]!);
  }
  return params;
}

/** Would `earlier` take every request meant for `later`? (Then `later` can never be reached.) */
export function shadows(earlier: PathPattern, later: PathPattern): boolean {
  if (earlier.segments.length !== later.segments.length) return false;
  return earlier.segments.every((s, i) => {
    const t = later.segments[i]!;
    return 'param' in s || ('literal' in t && sameLiteral(s.literal, t.literal, earlier.caseSensitive));
  });
}

/** Fills `:params` of a path template, e.g. the legacy endpoint a route replaces. */
export function fillPath(pattern: PathPattern, params: Record<string, string>): string {
  return (
    '/' +
    pattern.segments.map((s) => ('param' in s ? encodeURIComponent(params[s.param] ?? '') : s.literal)).join('/')
  );
}

function sameLiteral(a: string, b: string, caseSensitive: boolean): boolean {
  const [x, y] = [normaliseSegment(a), normaliseSegment(b)];
  return caseSensitive ? x === y : x.toLowerCase() === y.toLowerCase();
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
