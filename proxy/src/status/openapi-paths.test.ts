import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { createEndpointTemplates } from './path-template.ts';

/** The legacy API's OpenAPI document, as a team would point LEGACY_OPENAPI_FILE at it. */

const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const CONDUIT_YAML = `
openapi: 3.0.1
info: { title: Conduit API, version: 1.0.0 }
servers:
  - url: https://conduit.example/{base}
    variables:
      base: { default: api }
paths:
  /articles:
    get: { responses: { '200': { description: ok } } }
  /articles/feed:
    get: { responses: { '200': { description: ok } } }
  /articles/{slug}:
    get: { responses: { '200': { description: ok } } }
    put: { responses: { '200': { description: ok } } }
    delete: { responses: { '200': { description: ok } } }
  /articles/{slug}/comments/{id}:
    delete: { responses: { '200': { description: ok } } }
  /profiles/{username}:
    get: { responses: { '200': { description: ok } } }
  /profiles/{username}/follow:
    post: { responses: { '200': { description: ok } } }
  /exports/{name}.json:
    get: { responses: { '200': { description: ok } } }
`;

function templatesFrom(env: Record<string, string>) {
  const config = loadConfig(env);
  return createEndpointTemplates({ ...config.status.pathTemplates, caseSensitive: config.routeCase === 'sensitive' });
}

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('path templates from the legacy API\'s OpenAPI document', () => {
  it('reads YAML (OpenAPI 3): the first server URL\'s path is the base, {param} segments become :param', () => {
    const t = templatesFrom({ LEGACY_OPENAPI_FILE: file('conduit.yaml', CONDUIT_YAML) });
    expect(t.endpoint('GET', '/api/articles/how-to-train-your-dragon')).toEqual({ key: 'GET /api/articles/:slug', source: 'openapi' });
    expect(t.endpoint('GET', '/api/profiles/jake').key).toBe('GET /api/profiles/:username');
    expect(t.endpoint('POST', '/api/profiles/jake/follow').key).toBe('POST /api/profiles/:username/follow');
    expect(t.endpoint('DELETE', '/api/articles/x/comments/17').key).toBe('DELETE /api/articles/:slug/comments/:id');
    expect(t.endpoint('GET', '/api/exports/all-articles.json').key).toBe('GET /api/exports/:name.json');
    expect(t.endpoint('GET', '/api/articles?tag=dragons').key).toBe('GET /api/articles');
    // Not in the document: the rules (and learning) as without one.
    expect(t.endpoint('GET', '/api/tags/t-1')).toEqual({ key: 'GET /api/tags/:id', source: 'rule' });
    expect(t.endpoint('GET', '/articles/feed').source).toBe('rule');
  });

  it('prefers a literal segment to a parameter, falling back when the literal leads nowhere or has not the method', () => {
    const t = templatesFrom({ LEGACY_OPENAPI_FILE: file('precedence.yaml', CONDUIT_YAML) });
    expect(t.endpoint('GET', '/api/articles/feed').key).toBe('GET /api/articles/feed');
    expect(t.endpoint('GET', '/api/articles/feed/comments/3').key).toBe('GET /api/articles/:slug/comments/:id');
    expect(t.endpoint('DELETE', '/api/articles/feed').key).toBe('DELETE /api/articles/:slug');
    // A method the document does not give: still that endpoint (the legacy API answers 405 there).
    expect(t.endpoint('PATCH', '/api/profiles/jake').key).toBe('PATCH /api/profiles/:username');
    // As the legacy API compares paths (ROUTE_CASE), shown as the document spells them.
    expect(t.endpoint('GET', '/API/Articles/Feed/').key).toBe('GET /api/articles/feed');
    const sensitive = templatesFrom({ LEGACY_OPENAPI_FILE: file('sensitive.yaml', CONDUIT_YAML), ROUTE_CASE: 'sensitive' });
    expect(sensitive.endpoint('GET', '/API/Articles/Feed').source).toBe('rule');
  });

  it('reads JSON (Swagger 2.0) with its basePath', () => {
    const doc = { swagger: '2.0', basePath: '/api/v1/', paths: { '/users/{id}': { get: {} }, '/users/me': { get: {} }, 'x-internal': {} } };
    const t = templatesFrom({ LEGACY_OPENAPI_FILE: file('swagger.json', JSON.stringify(doc)) });
    expect(t.endpoint('GET', '/api/v1/users/jake')).toEqual({ key: 'GET /api/v1/users/:id', source: 'openapi' });
    expect(t.endpoint('GET', '/api/v1/users/me').key).toBe('GET /api/v1/users/me');
  });

  it('takes paths that already hold the base as they are, and a relative server URL as a path', () => {
    const repeated = { openapi: '3.1.0', servers: [{ url: 'https://legacy.example/api' }], paths: { '/api/articles/{slug}': { get: {} } } };
    expect(templatesFrom({ LEGACY_OPENAPI_FILE: file('repeated.json', JSON.stringify(repeated)) }).endpoint('GET', '/api/articles/x').key).toBe('GET /api/articles/:slug');
    const relative = { openapi: '3.0.3', servers: [{ url: '/legacy' }], paths: { '/items/{itemId}': { $ref: './items.yaml' } } };
    const t = templatesFrom({ LEGACY_OPENAPI_FILE: file('relative.json', JSON.stringify(relative)) });
    expect(t.endpoint('PUT', '/legacy/items/abc').key).toBe('PUT /legacy/items/:itemId');
    const rootOnly = { openapi: '3.0.0', servers: [{ url: 'https://legacy.example' }], paths: { '/articles/{slug}': { get: {} } } };
    expect(templatesFrom({ LEGACY_OPENAPI_FILE: file('root.json', JSON.stringify(rootOnly)) }).endpoint('GET', '/articles/x').key).toBe('GET /articles/:slug');
  });

  it.each([
    ['missing', () => path.join(dir, 'nowhere.yaml'), /cannot read the file \(no such file\)/],
    ['a directory', () => dir, /cannot read the file \(a directory\)/],
    ['broken JSON', () => file('broken.json', '{"openapi": "3.0.0", "paths": {'), /is not valid JSON/],
    ['broken YAML', () => file('broken.yaml', 'openapi: 3.0.0\npaths:\n  /a: [unclosed\n'), /is not valid YAML/],
    ['not OpenAPI', () => file('package.json', JSON.stringify({ name: 'x', version: '1.0.0' })), /is not an OpenAPI 3\.x or Swagger 2\.0 document/],
    ['Swagger 1.2', () => file('old.json', JSON.stringify({ swaggerVersion: '1.2', apis: [] })), /is not an OpenAPI 3\.x or Swagger 2\.0 document/],
    ['a plain string', () => file('text.yaml', 'just some text'), /is not an OpenAPI document/],
    ['no paths', () => file('empty.yaml', 'openapi: 3.1.0\ninfo: { title: x, version: "1" }\npaths: {}\n'), /lists no paths/],
    ['a relative path key', () => file('relative-key.json', JSON.stringify({ openapi: '3.0.0', paths: { 'articles': {} } })), /path "articles" does not start with "\/"/],
  ])('stops start-up naming LEGACY_OPENAPI_FILE for a file that is %s', (_name, make, message) => {
    const p = make();
    const text = configError({ LEGACY_OPENAPI_FILE: p });
    expect(text).toContain(`LEGACY_OPENAPI_FILE=${JSON.stringify(p)}:`);
    expect(text).toMatch(message);
  });

  it('validates the learning threshold', () => {
    expect(configError({ PATH_TEMPLATE_LEARN_THRESHOLD: '1' })).toMatch(/PATH_TEMPLATE_LEARN_THRESHOLD="1": must be at least 2/);
    expect(loadConfig({}).status.pathTemplates).toEqual({ documented: undefined, learnThreshold: 20 });
  });
});
