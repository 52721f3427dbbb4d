import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * The legacy API's own list of endpoints, from its OpenAPI 3.x or Swagger 2.0 document (JSON
 * or YAML): the path templates the status page groups unmigrated traffic by, before any guess.
 * Read once at start-up; a file that is missing, unreadable or not such a document is an error.
 */

export interface DocumentedPath {
  /** As clients send it, base path included, parameters in braces: `/api/articles/{slug}`. */
  path: string;
  /** Upper-case methods the document gives this path; empty: any (a `$ref`'d path item). */
  methods: string[];
}

const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Throws an Error whose message says what is wrong with the file (config.ts names the variable). */
export function loadOpenApiPaths(file: string): DocumentedPath[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? 'unknown error')})`);
  }
  return documentedPaths(parse(text, file));
}

function parse(text: string, file: string): unknown {
  const json = path.extname(file).toLowerCase() === '.json';
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new Error(`is not valid ${json ? 'JSON' : 'YAML'}: ${first}`);
  }
}

export function documentedPaths(doc: unknown): DocumentedPath[] {
  if (!isObject(doc)) throw new Error('is not an OpenAPI document (expected an object with `openapi: 3.x` or `swagger: "2.0"`)');
  const swagger = doc.swagger === '2.0';
  if (!swagger && !(typeof doc.openapi === 'string' && /^3\.\d/.test(doc.openapi))) {
    throw new Error('is not an OpenAPI 3.x or Swagger 2.0 document (no `openapi: 3.x` or `swagger: "2.0"` field)');
  }
  if (!isObject(doc.paths)) throw new Error('has no `paths` object');
  const entries = Object.entries(doc.paths).filter(([p]) => !p.startsWith('x-'));
  if (entries.length === 0) throw new Error('lists no paths');
  for (const [p] of entries) {
    if (!p.startsWith('/')) throw new Error(`path "${p}" does not start with "/"`);
  }
  const base = swagger ? swaggerBase(doc) : serverBase(doc);
  // Paths are relative to the base; a document whose every path already repeats it was written
  // against the full address, and prefixing again would match nothing.
  const prefix = base && !entries.every(([p]) => p === base || p.startsWith(`${base}/`)) ? base : '';
  return entries.map(([p, item]) => ({
    path: prefix + (p === '/' && prefix ? '' : p),
    methods: isObject(item) ? OPERATIONS.filter((m) => m in item).map((m) => m.toUpperCase()) : [],
  }));
}

function swaggerBase(doc: Record<string, unknown>): string {
  const base = doc.basePath;
  if (base === undefined) return '';
  if (typeof base !== 'string' || !base.startsWith('/')) throw new Error('basePath must be a path starting with "/"');
  return base.replace(/\/+$/, '');
}

/** The path of the first server's URL, its `{variables}` filled with their defaults. */
function serverBase(doc: Record<string, unknown>): string {
  const server = Array.isArray(doc.servers) ? doc.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== 'string') return '';
  const variables = isObject(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const v = variables[name];
    return isObject(v) && typeof v.default === 'string' ? v.default : whole;
  });
  try {
    return new URL(url, 'http://base.invalid/').pathname.replace(/\/+$/, '');
  } catch {
    throw new Error(`servers[0].url "${server.url}" is not a URL`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
