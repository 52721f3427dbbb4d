import type { DocumentedPath } from './openapi-paths.ts';

/**
 * Request paths matched against the document's templates, as OpenAPI says to: a literal
 * segment wins over a parameter at the same position (`/api/articles/feed` before
 * `/api/articles/{slug}`), falling back to the parameter when the literal leads nowhere.
 * A path documented for the request's method wins over one documented for other methods.
 */

export interface DocumentedPaths {
  /** `/api/articles/:slug` for segments `['', 'api', 'articles', 'jake-x1']`; null: not documented. */
  match(method: string, segments: readonly string[]): string | null;
}

interface End {
  template: string;
  /** null: any method. */
  methods: ReadonlySet<string> | null;
}
interface Node {
  literals: Map<string, Node>;
  /** Segments mixing text and parameters: `{name}.json`. */
  patterns: Array<{ re: RegExp; node: Node }>;
  param: Node | null;
  end: End | null;
}

const newNode = (): Node => ({ literals: new Map(), patterns: [], param: null, end: null });

export function compileDocumentedPaths(paths: readonly DocumentedPath[], caseSensitive: boolean): DocumentedPaths {
  const root = newNode();
  let depth = 0;
  const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();

  for (const { path, methods } of paths) {
    const segments = trimmed(path.split('/'));
    depth = Math.max(depth, segments.length);
    let node = root;
    for (const segment of segments) node = child(node, segment);
    const template = '/' + segments.map((s) => s.replace(/\{([^}/]*)\}/g, ':$1')).join('/');
    const set = methods.length ? new Set(methods) : null;
    if (!node.end) node.end = { template, methods: set };
    else if (node.end.methods) node.end.methods = set && new Set([...node.end.methods, ...set]); // `/a/{x}` and `/a/{y}`: one endpoint
  }

  function child(node: Node, segment: string): Node {
    if (/^\{[^}]*\}$/.test(segment)) return (node.param ??= newNode());
    if (!segment.includes('{')) {
      const key = fold(segment);
      let next = node.literals.get(key);
      if (!next) node.literals.set(key, (next = newNode()));
      return next;
    }
    const source = '^' + segment.split(/\{[^}]*\}/).map(escapeRegex).join('(.+?)') + '$';
    let entry = node.patterns.find((p) => p.re.source === source);
    if (!entry) node.patterns.push((entry = { re: new RegExp(source, caseSensitive ? '' : 'i'), node: newNode() }));
    return entry.node;
  }

  function walk(node: Node, segments: readonly string[], i: number, method: string | null): End | null {
    if (i === segments.length) return node.end && (method === null || accepts(node.end, method)) ? node.end : null;
    const segment = decoded(segments[i]!);
    const literal = node.literals.get(fold(segment));
    const viaLiteral = literal && walk(literal, segments, i + 1, method);
    if (viaLiteral) return viaLiteral;
    if (segment === '') return null; // parameters are never empty
    for (const p of node.patterns) {
      const found = p.re.test(segment) && walk(p.node, segments, i + 1, method);
      if (found) return found;
    }
    return node.param && walk(node.param, segments, i + 1, method);
  }

  return {
    match(method, all) {
      const segments = trimmed(all);
      if (segments.length > depth) return null;
      return (walk(root, segments, 0, method) ?? walk(root, segments, 0, null))?.template ?? null;
    },
  };
}

/** Without the leading empty segment, and a trailing slash read as none (as most routers do). */
function trimmed(segments: readonly string[]): readonly string[] {
  const end = segments.length > 1 && segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
  return segments.slice(1, end);
}

function accepts(end: End, method: string): boolean {
  return !end.methods || end.methods.has(method) || (method === 'HEAD' && end.methods.has('GET'));
}

function decoded(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
