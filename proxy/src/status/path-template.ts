import { compileDocumentedPaths, type DocumentedPaths } from './documented-paths.ts';
import type { DocumentedPath } from './openapi-paths.ts';
import { createPathLearner, type PathLearner } from './path-learning.ts';

/**
 * Request paths folded into templates (`/api/sessions/s-1001` -> `/api/sessions/:id`), so the
 * catch-all's traffic groups by legacy endpoint, never a row per course or user. In order:
 * the legacy API's OpenAPI document when one is given (its own templates); else today's rules
 * (numbers, uuids, hashes...); on top of them, positions learned from traffic to hold entities.
 * Runs for every catch-all request: a memo hit is two Map look-ups, allocating nothing but
 * the path without its query.
 */

/** Where a row's template came from: the API document, learning from traffic, or the fixed rules. */
export type TemplateSource = 'openapi' | 'learned' | 'rule';

export interface Endpoint {
  /** `GET /api/sessions/:id`. */
  readonly key: string;
  readonly source: TemplateSource;
}

export interface EndpointTemplates {
  /** The endpoint a catch-all request counts under (the query never counts); learns from it. */
  endpoint(method: string | undefined, url: string): Endpoint;
  /**
   * Stored rows (`GET /api/articles/some-slug`) re-keyed by what is known now, learning from
   * the rows themselves: rows counted before a position was learned, or by another instance
   * or an earlier run, join the template row.
   */
  regroup(keys: readonly string[]): Map<string, Endpoint>;
}

export interface EndpointTemplateOptions {
  /** From LEGACY_OPENAPI_FILE. */
  documented?: readonly DocumentedPath[];
  /** PATH_TEMPLATE_LEARN_THRESHOLD: more distinct values than this under one prefix fold the position. */
  learnThreshold: number;
  /** ROUTE_CASE=sensitive: the document's literal segments compare case-sensitively. */
  caseSensitive?: boolean;
}

export const DEFAULT_LEARN_THRESHOLD = 20;

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
 * A type tag and one word: `u-ingrid`, `org-uninett`. One hyphen only: a title slug
 * (`how-to-train-your-dragon`) is words, not a tag, and is left to the document or learning.
 * Taken as an id only right after a plural collection segment (`users`, `organisations`),
 * where REST puts ids; elsewhere a `my-courses` or `sign-in` stays a literal.
 */
const PREFIXED_SLUG = /^[a-z]{1,3}-[a-z0-9][a-z0-9._~]*$/i;
/** A slug made unique by a random hex suffix: `how-to-train-your-dragon-3fa9c1`. */
const HEX_SUFFIXED = /^[a-z0-9][a-z0-9_~.-]*-[0-9a-f]{6,}$/i;
const HAS_DIGIT = /\d/;
const COLLECTION = /^[a-z][a-z_-]*s$/i;

/** Methods kept by name; anything else is counted as `OTHER` so the key space stays bounded. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'];

export function isIdSegment(segment: string, previous: string | undefined): boolean {
  if (segment.length > MAX_SEGMENT_LENGTH) return true;
  if (DIGITS.test(segment) || UUID.test(segment) || HEX.test(segment) || PREFIXED_NUMBER.test(segment)) return true;
  if (VERSION.test(segment)) return false;
  if (THREE_DIGITS.test(segment)) return true;
  const afterCollection = previous !== undefined && COLLECTION.test(previous);
  // The suffix: a digit anywhere keeps it an id (as HEX); after a collection, any hex suffix is.
  if (HEX_SUFFIXED.test(segment) && (afterCollection || HAS_DIGIT.test(segment.slice(segment.lastIndexOf('-'))))) return true;
  return afterCollection && PREFIXED_SLUG.test(segment);
}

export function createEndpointTemplates(opts: EndpointTemplateOptions): EndpointTemplates {
  const documented = opts.documented?.length ? compileDocumentedPaths(opts.documented, opts.caseSensitive ?? false) : null;
  // Most traffic repeats the same few thousand paths: remember their endpoints (bounded; when
  // full, or when a position is learned, it starts over: one templating per path, never unbounded memory).
  const MEMO_MAX = 4_096;
  const memo = new Map(METHODS.map((m) => [m, new Map<string, Endpoint>()]));
  const other = memo.get('OTHER')!;
  let memoSize = 0;
  const forget = () => {
    for (const byPath of memo.values()) byPath.clear();
    memoSize = 0;
  };
  const learner = createPathLearner({ threshold: opts.learnThreshold, onChange: forget });

  function template(method: string, path: string, learn: PathLearner, observe: boolean): Endpoint {
    // `OPTIONS *` (the edge has made absolute-form targets paths): not a path the legacy API routes on.
    if (path.charCodeAt(0) !== 47 /* / */) return { key: `${method} (not a path)`, source: 'rule' };
    const segments = path.split('/');
    const fromDocument = documented?.match(method, segments);
    if (fromDocument) return { key: `${method} ${fromDocument}`, source: 'openapi' };
    // Built as it goes: the key so far is the prefix a learned position is looked up under.
    let key = `${method} `;
    let source: TemplateSource = 'rule';
    let previous: string | undefined;
    let afterId = false;
    for (let i = 1; i < segments.length; i++) {
      if (i > MAX_SEGMENTS) {
        key += '/…';
        break;
      }
      const segment = segments[i]!;
      // A template's own placeholder (regrouping stored rows) stays what it is.
      const placeholder = segment.charCodeAt(0) === 58; /* : */
      let id = placeholder || (segment !== '' && isIdSegment(segment, previous));
      // Learned only after a collection or an id, where REST puts ids: `/api/<resource>` never folds, however many resources.
      // A value the rules fold counts too: it is one more value at that position, so a mix
      // of slugs and numbered ones still folds together.
      if (segment !== '' && (afterId || (previous !== undefined && COLLECTION.test(previous)))) {
        const learned = learn.folds(key) || (!placeholder && observe && learn.observe(key, segment));
        if (learned) source = 'learned';
        id ||= learned;
      }
      key += id && !placeholder ? '/:id' : `/${segment}`;
      previous = id ? undefined : segment;
      afterId = id;
    }
    return { key, source };
  }

  return {
    endpoint(method, url) {
      const byPath = (method !== undefined && memo.get(method)) || other;
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      let found = byPath.get(path);
      if (found === undefined) {
        found = template(byPath === other ? 'OTHER' : method!, path, learner, true);
        if (path.length <= 256) {
          if (memoSize >= MEMO_MAX) forget();
          byPath.set(path, found);
          memoSize++;
        }
      }
      return found;
    },
    regroup(keys) {
      const batch = createPathLearner({ threshold: opts.learnThreshold, seed: learner.learned() });
      const parsed = keys.map((key) => [key, key.indexOf(' ')] as const).filter(([key, space]) => key.charCodeAt(space + 1) === 47);
      // Learning a position changes the prefixes below it: go again until nothing new folds.
      for (let pass = 0, before = -1; pass <= MAX_SEGMENTS && batch.learned().length !== before; pass++) {
        before = batch.learned().length;
        for (const [key, space] of parsed) template(key.slice(0, space), key.slice(space + 1), batch, true);
      }
      const out = new Map<string, Endpoint>(keys.map((key) => [key, { key, source: 'rule' }]));
      for (const [key, space] of parsed) out.set(key, template(key.slice(0, space), key.slice(space + 1), batch, false));
      return out;
    },
  };
}

const RANK: Record<TemplateSource, number> = { rule: 0, learned: 1, openapi: 2 };

/** Two rows become one: the stronger evidence names its source. */
export function strongerSource(a: TemplateSource, b: TemplateSource): TemplateSource {
  return RANK[a] >= RANK[b] ? a : b;
}
