/**
 * Request paths folded into templates (`/api/sessions/s-1001` -> `/api/sessions/:id`), so the
 * catch-all's traffic can be grouped by legacy endpoint without one row per course or user.
 * Runs on the hot path for every catch-all request: a split and a few anchored regex tests.
 */

const MAX_SEGMENTS = 12;
const MAX_SEGMENT_LENGTH = 40;

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Hashes and object ids; the digit keeps words made of a-f letters (`acceded`) literal. */
const HEX = /^(?=[a-f]*\d)[0-9a-f]{8,}$/i;
/** A letter prefix, a separator, then a digit: `c-101`, `s-1001`, `enr_42`, `org-7`. */
const PREFIXED_NUMBER = /^[a-z]{1,12}[-_]\d[\w.~-]*$/i;
/** Three digits or more anywhere: `abc123`, `2025-03-01`; keeps `v2`, `oauth2`, `i18n` literal. */
const THREE_DIGITS = /\d{3}/;
/** Version markers stay literal: `/api/v2/...` is a different API, not an id. */
const VERSION = /^v\d+(\.\d+)*$/i;
/**
 * A short prefix and a word: `u-ingrid`, `org-uninett`. Taken as an id only right after a
 * plural collection segment (`users`, `organisations`), where REST puts ids; elsewhere a
 * `my-courses` or `sign-in` stays a literal.
 */
const PREFIXED_SLUG = /^[a-z]{1,3}-[a-z0-9][a-z0-9._~-]*$/i;
const COLLECTION = /^[a-z][a-z_-]*s$/i;

/** Methods kept by name; anything else is counted as `OTHER` so the key space stays bounded. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function isIdSegment(segment: string, previous: string | undefined): boolean {
  if (segment.length > MAX_SEGMENT_LENGTH) return true;
  if (DIGITS.test(segment) || UUID.test(segment) || HEX.test(segment) || PREFIXED_NUMBER.test(segment)) return true;
  if (VERSION.test(segment)) return false;
  if (THREE_DIGITS.test(segment)) return true;
  return previous !== undefined && COLLECTION.test(previous) && PREFIXED_SLUG.test(segment);
}

/** `/api/users/u-ingrid/profile?x=1` -> `/api/users/:id/profile`. The query never counts. */
export function pathTemplate(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  // `OPTIONS *` (the edge has made absolute-form targets paths): not a path the legacy API routes on.
  if (path.charCodeAt(0) !== 47 /* / */) return '(not a path)';
  const segments = path.split('/');
  const out: string[] = [''];
  let previous: string | undefined;
  for (let i = 1; i < segments.length; i++) {
    if (i > MAX_SEGMENTS) {
      out.push('…');
      break;
    }
    const segment = segments[i]!;
    const id = segment !== '' && isIdSegment(segment, previous);
    out.push(id ? ':id' : segment);
    previous = id ? undefined : segment;
  }
  return out.join('/') || '/';
}

// Most traffic repeats the same few thousand paths: remember their templates (bounded; when
// full it starts over, which costs one templating per path, never unbounded memory).
const MEMO_MAX = 4_096;
const memo = new Map<string, string>();

/** The key the catch-all's traffic is grouped by: `GET /api/sessions/:id`. */
export function endpointKey(method: string | undefined, url: string): string {
  const m = method && METHODS.has(method) ? method : 'OTHER';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  let template = memo.get(path);
  if (template === undefined) {
    template = pathTemplate(path);
    if (path.length <= 256) {
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(path, template);
    }
  }
  return `${m} ${template}`;
}
