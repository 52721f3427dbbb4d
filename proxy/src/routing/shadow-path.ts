/**
 * Paths into a JSON answer, as the status page shows them: `user.displayName`,
 * `courses[3].status`, `["odd key"]`, and `$` for the whole answer. Patterns add `*`
 * (any single key) and `[*]` (any index). Learned noise paths are paths with every
 * index written `[*]`, so one learned path covers every element of an array.
 */

/** A step into an object (its key) or an array (its index). */
export type Segment = string | number;

export const ANY_KEY = Symbol('any key');
export const ANY_INDEX = Symbol('any index');
export type PatternSegment = Segment | typeof ANY_KEY | typeof ANY_INDEX;

export const ROOT = '$';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]*$/;

/** Writes one step after `before` (the path so far, '' at the root). */
export function appendSegment(before: string, seg: Segment, anyIndex = false): string {
  if (typeof seg === 'number') return `${before}[${anyIndex ? '*' : seg}]`;
  if (IDENTIFIER.test(seg)) return before === '' ? seg : `${before}.${seg}`;
  return `${before}[${JSON.stringify(seg)}]`;
}

export function formatPath(segments: readonly Segment[], anyIndex = false): string {
  let out = '';
  for (const seg of segments) out = appendSegment(out, seg, anyIndex);
  return out === '' ? ROOT : out;
}

/**
 * Parses a path or pattern. Throws with a readable message on bad syntax: patterns
 * come from route declarations, which are checked at start-up.
 */
export function parsePattern(text: string): PatternSegment[] {
  const segments: PatternSegment[] = [];
  let pos = 0;
  if (text.startsWith(ROOT)) {
    pos = 1;
    if (text[pos] === '.') pos++;
    else if (pos < text.length && text[pos] !== '[') throw syntax(text, pos);
  }
  while (pos < text.length) {
    if (text[pos] === '[') {
      pos = parseBracket(text, pos, segments);
      continue;
    }
    if (segments.length > 0) {
      if (text[pos] !== '.') throw syntax(text, pos);
      pos++;
    }
    if (text[pos] === '*') {
      segments.push(ANY_KEY);
      pos++;
    } else {
      const match = /^[A-Za-z0-9_$-]+/.exec(text.slice(pos));
      if (!match) throw syntax(text, pos);
      segments.push(match[0]);
      pos += match[0].length;
    }
    if (pos < text.length && text[pos] !== '.' && text[pos] !== '[') throw syntax(text, pos);
  }
  return segments;
}

function parseBracket(text: string, pos: number, into: PatternSegment[]): number {
  if (text.startsWith('[*]', pos)) {
    into.push(ANY_INDEX);
    return pos + 3;
  }
  const index = /^\[(\d+)\]/.exec(text.slice(pos));
  if (index?.[1] !== undefined) {
    into.push(Number(index[1]));
    return pos + index[0].length;
  }
  if (text[pos + 1] === '"') {
    // A quoted key ends at the first unescaped quote.
    let end = pos + 2;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (text[end + 1] !== ']') throw syntax(text, pos);
    into.push(JSON.parse(text.slice(pos + 1, end + 1)) as string);
    return end + 2;
  }
  throw syntax(text, pos);
}

function syntax(text: string, pos: number): Error {
  return new Error(`bad shadow path "${text}" at character ${pos + 1}`);
}

/** `courses[3].status` -> `courses[*].status`: the form noise paths are kept in. */
export function normalisePath(path: string): string {
  let out = '';
  for (const seg of parsePattern(path)) {
    if (seg === ANY_INDEX) out = appendSegment(out, 0, true);
    else if (seg === ANY_KEY) out = out === '' ? '*' : `${out}.*`;
    else out = appendSegment(out, seg, true);
  }
  return out === '' ? ROOT : out;
}

export function segmentMatches(pattern: PatternSegment, seg: Segment): boolean {
  if (pattern === ANY_KEY) return typeof seg === 'string';
  if (pattern === ANY_INDEX) return typeof seg === 'number';
  return pattern === seg;
}
