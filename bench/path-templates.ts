import { performance } from 'node:perf_hooks';
import { createEndpointTemplates, type EndpointTemplates } from '../proxy/src/status/path-template.ts';
import type { DocumentedPath } from '../proxy/src/status/openapi-paths.ts';
import { intEnv } from './env.ts';

/**
 * `npx tsx bench/path-templates.ts`: what grouping a catch-all request by endpoint costs, per
 * call, in this process. The steady state (memo hits: paths the instance has seen) is what
 * every forwarded request pays; misses are a new path's first request, or every request when
 * clients send more distinct paths than the memo holds. Knobs (env): BENCH_TEMPLATE_CALLS (2e6).
 */

const CALLS = intEnv('BENCH_TEMPLATE_CALLS', 2_000_000);

const DOCUMENT: DocumentedPath[] = [
  ['/api/articles', ['GET', 'POST']],
  ['/api/articles/feed', ['GET']],
  ['/api/articles/{slug}', ['GET', 'PUT', 'DELETE']],
  ['/api/articles/{slug}/comments', ['GET', 'POST']],
  ['/api/articles/{slug}/comments/{id}', ['DELETE']],
  ['/api/articles/{slug}/favorite', ['POST', 'DELETE']],
  ['/api/profiles/{username}', ['GET']],
  ['/api/profiles/{username}/follow', ['POST', 'DELETE']],
  ['/api/tags', ['GET']],
  ['/api/user', ['GET', 'PUT']],
].map(([path, methods]) => ({ path: path as string, methods: methods as string[] }));

/** A frontend's mix: a few thousand distinct paths, most with a query. */
function paths(n: number, unique: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = unique ? i : i % 2_000;
    switch (k % 5) {
      case 0: out.push(`/api/articles/how-to-train-your-dragon-${k}?limit=10`); break;
      case 1: out.push(`/api/profiles/user${k}`); break;
      case 2: out.push(`/api/articles/slug-${k}/comments`); break;
      case 3: out.push(`/api/sessions/s-${k}?expand=course`); break;
      default: out.push('/api/articles/feed?limit=10&offset=0');
    }
  }
  return out;
}

function run(name: string, make: () => EndpointTemplates, list: string[], calls: number): void {
  const t = make();
  for (const p of list) t.endpoint('GET', p); // warm: memo and learning as in a running instance
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) sink += t.endpoint('GET', list[i % list.length]!).key.length;
  const ns = ((performance.now() - start) * 1e6) / calls;
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call${sink === 0 ? ' ' : ''}`);
}

const rules = () => createEndpointTemplates({ learnThreshold: 20 });
const documented = () => createEndpointTemplates({ documented: DOCUMENT, learnThreshold: 20 });
const repeating = paths(10_000, false);
const unique = paths(CALLS / 10, true);

console.log(`${CALLS} calls per line; node ${process.version}`);
run('memo hits, rules + learning', rules, repeating, CALLS);
run('memo hits, OpenAPI document', documented, repeating, CALLS);
// Unique paths: every call misses (the memo starts over when full).
run('memo misses, rules + learning', rules, unique, unique.length);
run('memo misses, OpenAPI document', documented, unique, unique.length);
