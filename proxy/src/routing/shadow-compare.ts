import type { ShadowRules } from './route.ts';
import { appendSegment, formatPath, segmentMatches, type Segment } from './shadow-path.ts';
import { compilePatterns as compile, type Pattern } from './shadow-rules.ts';

/**
 * One way the migrated answer differs from the legacy one. `legacy` and `migrated`
 * describe the values (`string(7)`, `array(3)`, `absent`) and never contain them:
 * answers carry personal data, and differences end up on the status page and in logs.
 */
export interface Difference {
  path: string;
  kind: 'changed' | 'missing' | 'extra' | 'type';
  legacy: string;
  migrated: string;
}

export interface CompareLimits {
  /** Stop after this many differences (default 50). */
  maxDifferences?: number;
}

const MAX_DIFFERENCES = 50;
/** Deeper than this, a subtree is compared as serialised text (key order then matters). */
const MAX_DEPTH = 64;
/** Trial comparisons spent pairing unordered elements when extra fields are allowed. */
const MAX_PAIRING_TRIALS = 2_500;

type Kind = 'absent' | 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' | 'other';

function kindOf(value: unknown): Kind {
  if (value === undefined) return 'absent';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  return type === 'object' || type === 'string' || type === 'number' || type === 'boolean' ? type : 'other';
}

/** What the status page may show about a value: its type and size, never its content. */
export function describe(value: unknown): string {
  const kind = kindOf(value);
  if (kind === 'string') return `string(${(value as string).length})`;
  if (kind === 'array') return `array(${(value as unknown[]).length})`;
  if (kind === 'other') return typeof value;
  return kind;
}

/**
 * Where the walk stands: a linked list back to the root (paths are only written out
 * for differences), the normalised path (for noise look-ups), and the patterns whose
 * prefix still matches.
 */
interface Cursor {
  parent: Cursor | null;
  seg: Segment | null;
  depth: number;
  normalised: string;
  ignore: Pattern[];
  unordered: Pattern[];
  isUnordered: boolean;
}

interface Walk {
  out: Difference[];
  limit: number;
  allowExtra: boolean;
  noise: ReadonlySet<string>;
}

const NONE: Pattern[] = [];

function advance(alive: Pattern[], depth: number, seg: Segment): Pattern[] {
  if (alive.length === 0) return NONE;
  const next = alive.filter((p) => p.length > depth && segmentMatches(p[depth]!, seg));
  return next.length === 0 ? NONE : next;
}

/** The cursor one step down, or null when that field is ignored or known noise. */
function step(walk: Walk, at: Cursor, seg: Segment): Cursor | null {
  const depth = at.depth + 1;
  const ignore = advance(at.ignore, at.depth, seg);
  if (ignore.some((p) => p.length === depth)) return null;
  let normalised = '';
  if (walk.noise.size > 0) {
    normalised = appendSegment(at.normalised, seg, true);
    if (walk.noise.has(normalised)) return null;
  }
  const unordered = advance(at.unordered, at.depth, seg);
  return {
    parent: at,
    seg,
    depth,
    normalised,
    ignore,
    unordered,
    isUnordered: unordered.some((p) => p.length === depth),
  };
}

function pathOf(at: Cursor): string {
  const segments: Segment[] = [];
  for (let c: Cursor | null = at; c?.seg != null; c = c.parent) segments.push(c.seg);
  return formatPath(segments.reverse());
}

function report(walk: Walk, at: Cursor, kind: Difference['kind'], legacy: unknown, migrated: unknown): void {
  walk.out.push({ path: pathOf(at), kind, legacy: describe(legacy), migrated: describe(migrated) });
}

function compareNode(walk: Walk, legacy: unknown, migrated: unknown, at: Cursor): void {
  if (walk.out.length >= walk.limit) return;
  const lk = kindOf(legacy);
  const mk = kindOf(migrated);
  if (lk === 'absent' && mk === 'absent') return;
  if (lk === 'absent') return report(walk, at, 'extra', legacy, migrated);
  if (mk === 'absent') return report(walk, at, 'missing', legacy, migrated);
  if (lk !== mk) return report(walk, at, 'type', legacy, migrated);
  if (at.depth >= MAX_DEPTH) {
    if (serialised(legacy) !== serialised(migrated)) report(walk, at, 'changed', legacy, migrated);
    return;
  }
  if (lk === 'object') return compareObjects(walk, legacy as Record<string, unknown>, migrated as Record<string, unknown>, at);
  if (lk === 'array') {
    return at.isUnordered
      ? compareUnordered(walk, legacy as unknown[], migrated as unknown[], at)
      : compareOrdered(walk, legacy as unknown[], migrated as unknown[], at);
  }
  // Parsed JSON numbers compare by value: 1, 1.0 and 1e0 are the same number.
  if (legacy !== migrated) report(walk, at, 'changed', legacy, migrated);
}

function compareObjects(walk: Walk, legacy: Record<string, unknown>, migrated: Record<string, unknown>, at: Cursor): void {
  for (const key of Object.keys(legacy)) {
    if (walk.out.length >= walk.limit) return;
    const next = step(walk, at, key);
    if (next) compareNode(walk, legacy[key], Object.hasOwn(migrated, key) ? migrated[key] : undefined, next);
  }
  if (walk.allowExtra) return;
  for (const key of Object.keys(migrated)) {
    if (walk.out.length >= walk.limit) return;
    if (Object.hasOwn(legacy, key)) continue;
    const next = step(walk, at, key);
    if (next) compareNode(walk, undefined, migrated[key], next);
  }
}

function compareOrdered(walk: Walk, legacy: unknown[], migrated: unknown[], at: Cursor): void {
  const length = Math.max(legacy.length, migrated.length);
  for (let i = 0; i < length && walk.out.length < walk.limit; i++) {
    const next = step(walk, at, i);
    if (next) compareNode(walk, legacy[i], migrated[i], next);
  }
}

/**
 * Multiset comparison: elements equal after ignore and noise rules cancel out. The
 * rest are paired (in canonical order when both sides have as many left over) and
 * compared field by field, so a changed field inside an element still gets its own
 * path; unpaired elements are missing or extra. Paths use the legacy element's index.
 */
function compareUnordered(walk: Walk, legacy: unknown[], migrated: unknown[], at: Cursor): void {
  const left = elements(walk, legacy, at);
  const right = elements(walk, migrated, at);
  const waiting = new Map<string, Element[]>();
  for (const el of right) {
    const same = waiting.get(el.canonical);
    if (same) same.push(el);
    else waiting.set(el.canonical, [el]);
  }
  let leftovers: Element[] = [];
  for (const el of left) {
    if (!waiting.get(el.canonical)?.shift()) leftovers.push(el);
  }
  let unmatched = [...waiting.values()].flat();
  if (leftovers.length === 0 && unmatched.length === 0) return;
  if (walk.allowExtra) [leftovers, unmatched] = pairTolerantly(walk, leftovers, unmatched);

  if (leftovers.length === unmatched.length) {
    const byCanonical = (a: Element, b: Element) => (a.canonical < b.canonical ? -1 : a.canonical > b.canonical ? 1 : 0);
    leftovers.sort(byCanonical);
    unmatched.sort(byCanonical);
    leftovers.forEach((el, i) => compareNode(walk, el.value, unmatched[i]!.value, el.at));
    return;
  }
  for (const el of leftovers) compareNode(walk, el.value, undefined, el.at);
  for (const el of unmatched) compareNode(walk, undefined, el.value, el.at);
}

interface Element {
  value: unknown;
  at: Cursor;
  canonical: string;
}

function elements(walk: Walk, values: unknown[], at: Cursor): Element[] {
  const out: Element[] = [];
  values.forEach((value, i) => {
    const next = step(walk, at, i);
    if (next) out.push({ value, at: next, canonical: canonical(walk, value, next) });
  });
  return out;
}

/** With extra fields allowed, a migrated element may be a superset of its legacy twin. */
function pairTolerantly(walk: Walk, legacy: Element[], migrated: Element[]): [Element[], Element[]] {
  let trials = 0;
  const rest = [...migrated];
  const unpaired: Element[] = [];
  for (const el of legacy) {
    let found = -1;
    for (let j = 0; j < rest.length && trials < MAX_PAIRING_TRIALS; j++, trials++) {
      const trial: Walk = { ...walk, out: [], limit: 1 };
      compareNode(trial, el.value, rest[j]!.value, el.at);
      if (trial.out.length === 0) {
        found = j;
        break;
      }
    }
    if (found >= 0) rest.splice(found, 1);
    else unpaired.push(el);
  }
  return [unpaired, rest];
}

/**
 * A stable text for an element: keys sorted, ignored and noisy fields left out,
 * nested unordered arrays sorted, so equal elements get equal texts.
 */
function canonical(walk: Walk, value: unknown, at: Cursor): string {
  const kind = kindOf(value);
  if (kind !== 'array' && kind !== 'object') return kind === 'absent' ? '' : serialised(value);
  if (at.depth >= MAX_DEPTH) return serialised(value);
  if (kind === 'array') {
    const parts: string[] = [];
    (value as unknown[]).forEach((v, i) => {
      const next = step(walk, at, i);
      if (next) parts.push(canonical(walk, v, next));
    });
    if (at.isUnordered) parts.sort();
    return `[${parts.join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const next = step(walk, at, key);
    if (next && record[key] !== undefined) parts.push(`${JSON.stringify(key)}:${canonical(walk, record[key], next)}`);
  }
  return `{${parts.join(',')}}`;
}

function serialised(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return `<${typeof value}>`;
  }
}

/**
 * Compares two answers structurally: key order and number formatting do not matter,
 * arrays go index by index unless declared unordered, ignored fields and learned
 * noise (with everything below them) are skipped. Stops after `maxDifferences`.
 */
export function compareJson(
  legacy: unknown,
  migrated: unknown,
  rules: ShadowRules,
  noise: ReadonlySet<string> = new Set(),
  limits: CompareLimits = {},
): Difference[] {
  const walk: Walk = {
    out: [],
    limit: limits.maxDifferences ?? MAX_DIFFERENCES,
    allowExtra: rules.extraFields === 'allow',
    noise,
  };
  const ignore = compile(rules.ignore);
  const unordered = compile(rules.unordered);
  if (ignore.some((p) => p.length === 0)) return walk.out;
  const root: Cursor = {
    parent: null,
    seg: null,
    depth: 0,
    normalised: '',
    ignore,
    unordered,
    isUnordered: unordered.some((p) => p.length === 0),
  };
  compareNode(walk, legacy, migrated, root);
  return walk.out;
}
