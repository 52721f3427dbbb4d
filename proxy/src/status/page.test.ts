import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { Keyv } from 'keyv';
import pino from 'pino';
import { createCutoff } from '../identity/cutoff.ts';
import { createRegistry } from '../routing/registry.ts';
import { defineRoute, type MigratedRoute } from '../routing/route.ts';
import { createTrafficAccounting } from './accounting.ts';
import { renderStatusPage } from './page.ts';
import { parsePageQuery } from './page-sort.ts';
import { createEndpointTemplates } from './path-template.ts';
import { STATUS_CSS_HASH } from './page-style.ts';
import { buildStatusSnapshot, type StatusSnapshot } from './snapshot.ts';

const route = (o: Partial<MigratedRoute>) =>
  defineRoute({ id: 'x', method: 'GET', path: '/api/x', flag: 'route.x', owner: 'Team', targetDate: '2027-01-01', handle: async () => ({ body: {} }), ...o });

let snapshot: StatusSnapshot;
beforeAll(async () => {
  const registry = createRegistry(
    [
      route({ id: 'alpha', path: '/api/alpha', flag: 'route.alpha', owner: 'Zeta team', targetDate: '2027-03-01', notes: '<script>alert("x")</script>' }),
      route({ id: 'beta', path: '/api/beta', flag: 'route.beta', owner: 'Alpha team', targetDate: '2027-01-01' }),
      route({ id: 'gamma', path: '/api/gamma', flag: 'route.gamma', owner: 'Mid team', targetDate: '2027-02-01' }),
    ],
    '/_proxy',
  );
  const flags: Record<string, { rollout: number; shadow: boolean }> = { 'route.alpha': { rollout: 0, shadow: false }, 'route.beta': { rollout: 35, shadow: true }, 'route.gamma': { rollout: 100, shadow: false } };
  const templates = createEndpointTemplates({ documented: [{ path: '/api/home', methods: ['GET'] }], learnThreshold: 20 });
  const traffic = createTrafficAccounting({ keyv: new Keyv(), storage: 'memory', flushMs: 60_000, carriesSessionCookie: () => false, log: pino({ level: 'silent' }), templates });
  const send = (url: string, route: string) =>
    traffic.record({
      correlationId: 'c',
      startedAt: 0n,
      method: 'GET',
      url,
      servedBy: route === 'catch-all' ? 'legacy' : 'migrated',
      route,
      ...(route === 'catch-all' ? {} : { decision: 'migrated' }),
      arrivedWith: 'other',
      status: 200,
      seconds: 0.02,
    });
  for (let i = 0; i < 3; i++) send('/api/gamma', 'gamma');
  send('/api/beta', 'beta');
  send('/api/sessions/<b>s-1</b>', 'catch-all');
  send('/api/home', 'catch-all');
  send('/api/home', 'catch-all');
  await traffic.flush();
  snapshot = await buildStatusSnapshot({
    registry,
    flags: { source: 'file', state: (name) => ({ name, exists: true, enabled: true, lastChangedAt: null, ...flags[name]! }) },
    traffic,
    reachability: { check: async () => ({ reachable: false, judgedBy: 'probe', path: '/health', latencyMs: null, checkedAt: new Date().toISOString(), error: 'no answer to GET /health within 2000 ms' }) },
    circuits: () => [],
    noisyPaths: () => [],
    cutoff: createCutoff(undefined),
  });
});

const page = (query: Record<string, string> = {}, lookup?: Parameters<typeof renderStatusPage>[2]) => renderStatusPage(snapshot, parsePageQuery(query), lookup, '/_proxy/status');
const rowOrder = (html: string) => [...html.matchAll(/<tr id="row-(\w+)">/g)].map((m) => m[1]);

describe('the status page', () => {
  it('shows every route with its state in words, and where the counters live', () => {
    const html = page();
    expect(rowOrder(html)).toEqual(['alpha', 'beta', 'gamma']);
    expect(html).toContain('<span class="state state-proxied">proxied</span>');
    expect(html).toContain('<span class="state state-canary">canary 35% + shadow</span>');
    expect(html).toContain('<span class="state state-migrated">migrated</span>');
    expect(html).toContain('in memory on this instance only');
    expect(html).toContain('<p id="legacy-health" class="bad">Not reachable (no answer to GET /health within 2000 ms)');
  });

  it('escapes everything that comes from declarations and requests', () => {
    const html = page({ correlationId: '"><script>x</script>' }, { id: '"><script>x</script>', invalid: true });
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('/api/sessions/&lt;b&gt;s-1&lt;/b&gt;');
    expect(html).toContain('is not a correlation id');
  });

  it('sorts by any column through links, without script, and marks the sorted column for assistive technology', () => {
    expect(rowOrder(page({ sort: 'owner', dir: 'asc' }))).toEqual(['beta', 'gamma', 'alpha']);
    expect(rowOrder(page({ sort: 'target', dir: 'desc' }))).toEqual(['alpha', 'gamma', 'beta']);
    expect(rowOrder(page({ sort: 'new', dir: 'desc' }))).toEqual(['gamma', 'beta', 'alpha']);
    expect(rowOrder(page({ sort: 'state', dir: 'desc' }))).toEqual(['gamma', 'beta', 'alpha']);
    const html = page({ sort: 'owner', dir: 'asc' });
    expect(html).toContain('<th scope="col" aria-sort="ascending"><a href="?sort=owner&amp;dir=desc">Owner</a></th>');
    expect(html).toContain('<a href="?sort=target&amp;dir=asc">Target date</a>');
    // The unmigrated table sorts on its own parameters, keeping the routes' order.
    expect(html).toContain('<a href="?sort=owner&amp;dir=asc&amp;usort=endpoint&amp;udir=desc">Legacy endpoint</a>');
    const byEndpoint = page({ usort: 'endpoint', udir: 'asc' });
    expect(byEndpoint.indexOf('GET /api/home')).toBeLessThan(byEndpoint.indexOf('GET /api/sessions/'));
    const byCount = page();
    // Each row says how its path was grouped: from the API document, learned, or by the rules.
    expect(byCount.indexOf('GET /api/home</code><span class="tag tag-openapi">API document</span></th><td class="num">2')).toBeGreaterThan(0);
    expect(byCount).toMatch(/GET \/api\/sessions\/&lt;b&gt;s-1&lt;\/b&gt;<\/code><span class="tag tag-rule">rules<\/span><\/th>/);
    // Nonsense parameters fall back to the defaults.
    expect(rowOrder(page({ sort: 'constructor', dir: 'sideways' }))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('uses accessible table markup and carries a print stylesheet allowed by its hash', () => {
    const html = page();
    expect(html).toContain('<caption>Migrated routes and their traffic in the last hour.');
    expect(html).toMatch(/<th scope="row"><a href="#route-alpha">alpha<\/a>/);
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/<script|\son[a-z]+=/i);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(`'sha256-${createHash('sha256').update(css).digest('base64')}'`).toBe(STATUS_CSS_HASH);
  });

  it('answers the correlation-id form', () => {
    const found = page({ correlationId: 'abc-1' }, {
      id: 'abc-1',
      found: { correlationId: 'abc-1', at: new Date().toISOString(), method: 'GET', path: '/api/gamma', route: 'gamma', servedBy: 'migrated', side: 'migrated', status: 502, durationMs: 1234.5, instance: 'i-1' },
    });
    expect(found).toMatch(/<dt>Served by<\/dt><dd>the new route<\/dd>[\s\S]*<dt>Route<\/dt><dd>gamma<\/dd>[\s\S]*<dt>Status<\/dt><dd>502<\/dd>[\s\S]*<dt>Duration<\/dt><dd>1.2 s<\/dd>/);
    expect(found).toContain('value="abc-1"');
    expect(page({ correlationId: 'nope' }, { id: 'nope', found: null })).toContain('No request with correlation id <code>nope</code>');
  });

  it('shows what each route\'s canary guard watches, and a rollback with its reason and the button that clears it', () => {
    const html = page();
    expect(html).toContain('<h4 id="guard-beta-h">Canary guard</h4>');
    expect(html).toContain("Rolls the canary back when, over the last 5 minutes on an instance: 5xx rate more than 5 points above legacy&#39;s (at least 50 requests on each side)");
    expect(html).not.toContain('clear-rollback');

    const beta = snapshot.routes.find((r) => r.id === 'beta')!;
    const rolledBack = {
      ...snapshot,
      routes: snapshot.routes.map((r) =>
        r !== beta
          ? r
          : {
              ...r,
              state: { ...r.state, word: 'rolled-back' as const, label: 'rolled back from canary 35% + shadow' },
              guard: {
                ...r.guard,
                rollback: {
                  at: snapshot.generatedAt,
                  reason: 'errors' as const,
                  detail: '5xx 25% against legacy 0% over 120 requests (60 on the new route)',
                  flag: { name: 'route.beta', enabled: true, rollout: 35 },
                  instance: 'i-1',
                  shadowSince: { match: 200, mismatch: 0, failed: 0 },
                  text: 'rolled back automatically at 14:02 UTC: 5xx 25% against legacy 0% over 120 requests (60 on the new route)',
                  recovery: 'shadow has matched 200 of the last 200 since the rollback',
                },
                events: [{ kind: 'rolled-back' as const, at: snapshot.generatedAt, detail: 'x', text: 'Rolled back automatically at 14:02 UTC: <b>x</b>.' }],
              },
            },
      ),
    };
    const after = renderStatusPage(rolledBack, parsePageQuery({}), undefined, '/_proxy/status');
    expect(after).toContain('<span class="state state-rolled-back">rolled back from canary 35% + shadow</span>');
    expect(after).toContain('<p class="verdict bad" id="rollback-beta">Rolled back automatically at 14:02 UTC: 5xx 25% against legacy 0% over 120 requests (60 on the new route). Everyone is served by the legacy API');
    expect(after).toContain('<p>Since the rollback: shadow has matched 200 of the last 200 since the rollback.</p>');
    expect(after).toContain('<form method="post" action="/_proxy/status/routes/beta/clear-rollback"><button type="submit">Clear the rollback: serve the canary (35%) again</button></form>');
    expect(after).toContain('<li>Rolled back automatically at 14:02 UTC: &lt;b&gt;x&lt;/b&gt;.</li>');
    expect(rowOrder(renderStatusPage(rolledBack, parsePageQuery({ sort: 'state', dir: 'asc' }), undefined, '/_proxy/status'))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('shows what the resilience policies did per legacy endpoint, where the circuits were', () => {
    const withEndpoints = {
      ...snapshot,
      legacy: {
        ...snapshot.legacy,
        endpoints: [
          {
            key: 'beta:users.profile',
            route: 'beta',
            endpoint: 'users.profile',
            calls: 40,
            outcomes: { ok: 21, 'bulkhead-rejected': 19 },
            errors: 19,
            p95Ms: 120,
            retries: 3,
            breaker: { state: 'open' as const, transitions: 1, lastChangedAt: snapshot.generatedAt },
            bulkheadRejections: 19,
            cache: { hits: 10, misses: 40, hitRate: 0.2 },
          },
        ],
      },
    };
    const html = renderStatusPage(withEndpoints, parsePageQuery({}), undefined, '/_proxy/status');
    expect(html).toContain('<table id="legacy-endpoints">');
    expect(html).toContain('<th scope="row"><code>beta:users.profile</code></th><td class="num">40</td><td class="num bad">19<span class="sub">bulkhead-rejected 19</span></td><td class="num">120 ms</td><td class="num">3</td><td class="bad">open<span class="sub">1 change, last');
    expect(html).toContain('<td class="num bad">19</td><td class="num">20%<span class="sub">10 of 50</span></td>');
  });
});
