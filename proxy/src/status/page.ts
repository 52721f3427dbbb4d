import { count, millis, percent, when } from './format.ts';
import { STATUS_CSS } from './page-style.ts';
import { pageHref, sortEndpoints, sortRoutes, type EndpointColumn, type PageQuery, type RouteColumn } from './page-sort.ts';
import { endpointsTable, guardBlock } from './page-guard.ts';
import type { RecentRequest, RouteStatus, SideTraffic, StatusSnapshot, TrafficWindow, UnmigratedEndpoint } from './snapshot.ts';
import { TRAFFIC_WINDOWS } from './snapshot.ts';

/** The answer to the page's correlation-id form. */
export type LookupResult = { id: string; invalid: true } | { id: string; found: RecentRequest | null };

/**
 * The status page: server-rendered, readable without JavaScript, printable, every table
 * sortable through links in its column headers. All values are escaped; the page has no script.
 */
export function renderStatusPage(s: StatusSnapshot, q: PageQuery, lookup: LookupResult | undefined, basePath: string): string {
  const now = Date.parse(s.generatedAt);
  const w = q.window;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Migration status</title>
<style>${STATUS_CSS}</style>
</head>
<body>
<header>
<h1>Migration status</h1>
<p class="meta">Generated ${esc(when(s.generatedAt, now))} by instance <code>${esc(s.instance)}</code>. Flags from ${s.flags.source === 'unleash' ? 'Unleash' : 'the flags file'}.</p>
<p class="meta" id="counters">Traffic counters: ${esc(s.counters.description)}.</p>
<nav aria-label="Traffic window">Traffic window: ${TRAFFIC_WINDOWS.map((x) => (x === w ? `<a aria-current="page" href="${esc(pageHref(q, { window: x }))}">${esc(s.windows[x].label)}</a>` : `<a href="${esc(pageHref(q, { window: x }))}">${esc(s.windows[x].label)}</a>`)).join(' · ')} · <a href="${esc(basePath)}/api">JSON</a></nav>
</header>
<main>
${lookupSection(q, lookup, now, basePath)}
${routesSection(s, q, now)}
${s.routes.map((r) => routeDetails(r, now, basePath)).join('\n')}
${legacySection(s, q, now)}
</main>
</body>
</html>
`;
}

function lookupSection(q: PageQuery, lookup: LookupResult | undefined, now: number, basePath: string): string {
  let result = '';
  if (lookup && 'invalid' in lookup) result = `<p class="bad" role="alert">“${esc(lookup.id)}” is not a correlation id.</p>`;
  else if (lookup && !lookup.found) result = `<p role="status">No request with correlation id <code>${esc(lookup.id)}</code> in the recent window (about the last hour, or the last 10,000 requests of an instance).</p>`;
  else if (lookup?.found) {
    const r = lookup.found;
    const side = r.side === 'migrated' ? 'the new route' : r.side === 'own' ? 'the proxy itself' : r.side === 'refused' ? 'the proxy (refused before routing)' : r.side === 'shadow' ? 'the legacy API (shadowed: the new route ran beside it)' : 'the legacy API';
    result = `<dl class="facts" id="lookup-result">
<dt>Correlation id</dt><dd><code>${esc(r.correlationId)}</code></dd>
<dt>Served by</dt><dd>${esc(side)}</dd>
<dt>Route</dt><dd>${esc(r.route)}</dd>
<dt>Request</dt><dd><code>${esc(r.method)} ${esc(r.path)}</code></dd>
<dt>Status</dt><dd>${r.status}</dd>
<dt>Duration</dt><dd>${esc(millis(r.durationMs))}</dd>
<dt>At</dt><dd>${esc(when(r.at, now))}</dd>
<dt>Instance</dt><dd><code>${esc(r.instance)}</code></dd>
${r.traceId === undefined ? '' : `<dt>Trace id</dt><dd><code>${esc(r.traceId)}</code></dd>\n`}</dl>`;
  }
  return `<section aria-labelledby="lookup-h"${result ? '' : ' class="no-print"'}>
<h2 id="lookup-h">Which backend served this request?</h2>
<form method="get" action="${esc(basePath)}">
<label for="correlationId">Correlation id or trace id (from the error screen or a log)</label>
<input type="text" id="correlationId" name="correlationId" value="${esc(q.correlationId ?? '')}" autocomplete="off" spellcheck="false">
${q.window !== 'hour' ? `<input type="hidden" name="window" value="${esc(q.window)}">` : ''}
<button type="submit">Look up</button>
</form>
${result}
</section>`;
}

const ROUTE_HEADERS: Array<[RouteColumn, string, boolean]> = [
  ['route', 'Route', false],
  ['state', 'State', false],
  ['owner', 'Owner', false],
  ['target', 'Target date', false],
  ['migrated', 'Migrated', false],
  ['legacy', 'Legacy API answered', true],
  ['new', 'New route answered', true],
  ['errors', '5xx rate', true],
  ['p95', 'p95 latency', true],
  ['parity', 'Shadow parity', true],
];

function routesSection(s: StatusSnapshot, q: PageQuery, now: number): string {
  const w = q.window;
  const head = ROUTE_HEADERS.map(([col, label, num]) => sortableHeader(label, q.sort === col ? q.dir : null, pageHref(q, { sort: col, dir: q.sort === col && q.dir === 'asc' ? 'desc' : 'asc' }), num)).join('');
  const rows = sortRoutes(s.routes, q).map((r) => {
    const t = r.traffic[w];
    const p = r.parity.windows[w];
    return `<tr id="row-${esc(r.id)}">
<th scope="row"><a href="#route-${esc(r.id)}">${esc(r.id)}</a><span class="sub"><code>${esc(r.method)} ${esc(r.path)}</code></span></th>
<td>${stateBadge(r)}<span class="sub">${r.state.lastChangedAt ? `since ${r.state.unchangedSinceStartup ? 'at least ' : ''}${esc(when(r.state.lastChangedAt, now))}` : 'not seen to change'}</span></td>
<td>${esc(r.owner)}</td>
<td class="date">${esc(r.targetDate)}</td>
<td class="date">${esc(r.migratedDate ?? '–')}</td>
<td class="num">${count(t.answeredByLegacy.requests)}${t.shadow.requests ? `<span class="sub">${count(t.shadow.requests)} shadowed</span>` : ''}</td>
<td class="num">${count(t.migrated.requests)}</td>
<td class="num">${sidePair(t.answeredByLegacy, t.migrated, (x) => percent(x.errorRate))}</td>
<td class="num">${sidePair(t.answeredByLegacy, t.migrated, (x) => millis(x.p95Ms))}</td>
<td class="num">${p.compared ? `${percent(p.matchRate)}<span class="sub">of ${count(p.compared)} compared</span>` : '–'}</td>
<td class="summary">${esc(r.summary)}</td>
</tr>`;
  });
  return `<section aria-labelledby="routes-h">
<h2 id="routes-h">Migrated routes</h2>
<table id="routes">
<caption>Migrated routes and their traffic in the ${esc(s.windows[w].label)}. <span class="no-print">Select a column heading to sort by it.</span></caption>
<thead><tr>${head}<th scope="col">For support</th></tr></thead>
<tbody>
${rows.join('\n') || '<tr><td colspan="11">No migrated routes are declared.</td></tr>'}
</tbody>
</table>
</section>`;
}

function sidePair(legacy: SideTraffic, mine: SideTraffic, f: (x: SideTraffic) => string): string {
  if (!legacy.requests && !mine.requests) return '–';
  return `legacy ${esc(f(legacy))}<span class="sub">new ${esc(f(mine))}</span>`;
}

function stateBadge(r: RouteStatus): string {
  return `<span class="state state-${r.state.word}">${esc(r.state.label)}</span>`;
}

function routeDetails(r: RouteStatus, now: number, basePath: string): string {
  const sides: Array<[string, SideTraffic[]]> = [
    ['Legacy (flag said legacy)', TRAFFIC_WINDOWS.map((w) => r.traffic[w].legacy)],
    ['Shadow (legacy answered, compared)', TRAFFIC_WINDOWS.map((w) => r.traffic[w].shadow)],
    ['New route', TRAFFIC_WINDOWS.map((w) => r.traffic[w].migrated)],
  ];
  const refused = TRAFFIC_WINDOWS.map((w) => r.traffic[w].refused);
  const parityRows = TRAFFIC_WINDOWS.map((w) => {
    const p = r.parity.windows[w];
    return `<tr><th scope="row">${esc(WINDOW_NAMES[w])}</th><td class="num">${count(p.compared)}</td><td class="num">${percent(p.matchRate)}</td><td class="num">${count(p.mismatch)}</td><td class="num">${count(p.errors)}</td><td class="num">${count(p.skipped)}</td></tr>`;
  });
  const shadowed = TRAFFIC_WINDOWS.some((w) => r.parity.windows[w].compared + r.parity.windows[w].errors + r.parity.windows[w].skipped > 0);
  const mismatches = r.parity.recentMismatches
    .map((m) => `<li>${esc(when(m.at, now))}, <code>${esc(m.correlationId)}</code>: ${m.paths.map((p) => `<code>${esc(p)}</code>`).join(', ')}${m.differenceCount > m.paths.length ? ` (+${m.differenceCount - m.paths.length} more)` : ''}</li>`)
    .join('');
  return `<section class="route" id="route-${esc(r.id)}" aria-labelledby="route-${esc(r.id)}-h">
<h3 id="route-${esc(r.id)}-h">${esc(r.id)} ${stateBadge(r)}</h3>
<p>${esc(r.summary)}</p>
<dl class="facts">
<dt>Endpoint</dt><dd><code>${esc(r.method)} ${esc(r.path)}</code></dd>
<dt>Replaces</dt><dd>${r.replaces ? `<code>${esc(r.replaces)}</code>` : '–'}</dd>
<dt>Flag</dt><dd><code>${esc(r.flag)}</code>: ${flagWords(r)}</dd>
<dt>Owner</dt><dd>${esc(r.owner)}</dd>
<dt>Target date</dt><dd>${esc(r.targetDate)}</dd>
<dt>Migrated</dt><dd>${esc(r.migratedDate ?? '–')}</dd>
${r.state.retirement ? `<dt>Retirement</dt><dd>${esc(r.state.retirement)}</dd>` : ''}
${r.notes ? `<dt>Notes</dt><dd>${esc(r.notes)}</dd>` : ''}
</dl>
${guardBlock(r, now, basePath)}
<table>
<caption>${esc(r.id)}: requests, 5xx rate and p95 latency by who answered</caption>
<thead>
<tr><td></td>${TRAFFIC_WINDOWS.map((w) => `<th scope="colgroup" colspan="3">${esc(WINDOW_NAMES[w])}</th>`).join('')}</tr>
<tr><th scope="col">Answered by</th>${TRAFFIC_WINDOWS.map(() => '<th scope="col" class="num">Requests</th><th scope="col" class="num">5xx</th><th scope="col" class="num">p95</th>').join('')}</tr>
</thead>
<tbody>
${sides.map(([label, cells]) => `<tr><th scope="row">${esc(label)}</th>${cells.map((c) => `<td class="num">${count(c.requests)}</td><td class="num">${percent(c.errorRate)}</td><td class="num">${esc(millis(c.p95Ms))}</td>`).join('')}</tr>`).join('\n')}
<tr><th scope="row">Refused by the proxy (sign-in needed)</th>${refused.map((n) => `<td class="num">${count(n)}</td><td></td><td></td>`).join('')}</tr>
</tbody>
</table>
${
  shadowed
    ? `<table>
<caption>${esc(r.id)}: shadow comparisons</caption>
<thead><tr><th scope="col">Window</th><th scope="col" class="num">Compared</th><th scope="col" class="num">Match rate</th><th scope="col" class="num">Mismatches</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Skipped</th></tr></thead>
<tbody>${parityRows.join('')}</tbody>
</table>`
    : '<p class="note">No shadow comparisons in the last 7 days.</p>'
}
${mismatches ? `<p>Latest mismatches (field paths that differed):</p><ul>${mismatches}</ul>` : ''}
${r.parity.noisyPaths.length ? `<p class="note">Learned as noise (differs between two legacy answers, not counted): ${r.parity.noisyPaths.map((p) => `<code>${esc(p)}</code>`).join(', ')}</p>` : ''}
</section>`;
}

const WINDOW_NAMES: Record<TrafficWindow, string> = { hour: 'Last hour', day: 'Last 24 hours', week: 'Last 7 days' };

function flagWords(r: RouteStatus): string {
  if (!r.state.flagExists) return 'not defined (the legacy API serves everyone)';
  return `${r.state.flagEnabled ? 'on' : 'off'}, rollout ${r.state.rollout}%, shadow ${r.state.shadow ? 'on' : 'off'}`;
}

const ENDPOINT_HEADERS: Array<[EndpointColumn, string, boolean]> = [
  ['endpoint', 'Legacy endpoint', false],
  ['count', 'Requests', true],
  ['last', 'Last seen', false],
  ['replaced', 'Replaced by', false],
];

function legacySection(s: StatusSnapshot, q: PageQuery, now: number): string {
  const { health, unmigrated, authWindow, catchAll } = s.legacy;
  // The endpoint figures carry each breaker's state; a proxy without them still lists the circuits.
  const circuits = s.legacy.endpoints.length
    ? endpointsTable(s.legacy.endpoints, now)
    : health.circuits.length
      ? `<table><caption>Circuit breakers of the legacy client (this instance)</caption><thead><tr><th scope="col">Route: endpoint</th><th scope="col">State</th></tr></thead><tbody>${health.circuits.map((c) => `<tr><th scope="row"><code>${esc(c.key)}</code></th><td${c.state === 'closed' ? '' : ' class="bad"'}>${esc(c.state)}</td></tr>`).join('')}</tbody></table>`
      : '';
  const head = ENDPOINT_HEADERS.map(([col, label, num]) => sortableHeader(label, q.usort === col ? q.udir : null, pageHref(q, { usort: col, udir: q.usort === col && q.udir === 'desc' ? 'asc' : 'desc' }), num)).join('');
  const endpoints = sortEndpoints(unmigrated.endpoints, q)
    .map((e) => `<tr><th scope="row"><code>${esc(e.method)} ${esc(e.path)}</code>${sourceTag(e.source)}</th><td class="num">${count(e.count)}</td><td>${esc(when(e.lastSeen, now))}</td><td>${e.replacedBy ? `<a href="#route-${esc(e.replacedBy)}">${esc(e.replacedBy)}</a>` : '–'}</td></tr>`)
    .join('\n');
  const days = authWindow.days
    .map((d) => `<tr><th scope="row">${esc(d.date)}</th><td class="num">${count(d.session)}</td><td class="num">${count(d.legacyJwt)}</td><td class="num">${count(d.unverified)}</td><td class="num">${count(d.other)}</td><td class="num">${count(d.total)}</td><td class="num">${percent(d.sessionShare)}</td><td class="num">${percent(d.legacyJwtShare)}</td></tr>`)
    .join('\n');
  return `<section aria-labelledby="legacy-h">
<h2 id="legacy-h">Legacy API</h2>
<p id="legacy-health"${health.reachable === false ? ' class="bad"' : ''}>${esc(health.summary)}</p>
${circuits}
<p>Forwarded by the catch-all: ${TRAFFIC_WINDOWS.map((w) => `${count(catchAll[w].requests)} in the ${esc(s.windows[w].label)} (5xx ${percent(catchAll[w].errorRate)})`).join('; ')}.</p>
<h3 id="unmigrated-h">Unmigrated traffic (catch-all, last 7 days)</h3>
<p class="verdict${unmigrated.catchAllRemovable ? ' ok' : ''}" id="unmigrated-verdict">${esc(unmigrated.verdict)}</p>
<table id="unmigrated">
<caption>Requests the catch-all forwarded since ${esc(when(unmigrated.since, now))}, by method and path template: <span class="tag tag-openapi">API document</span> from the legacy API's OpenAPI document, <span class="tag tag-learned">learned</span> a position that took many distinct values, <span class="tag">rules</span> numbers, uuids and other ids folded to <code>:id</code>. <span class="no-print">Select a column heading to sort by it.</span></caption>
<thead><tr>${head}</tr></thead>
<tbody>
${endpoints || '<tr><td colspan="4">None.</td></tr>'}
</tbody>
</table>
<h3 id="auth-h">Dual-auth window</h3>
<p>${esc(authWindow.summary)}</p>
<table id="auth-days">
<caption>How requests proved who they are, per day (UTC)</caption>
<thead><tr><th scope="col">Day</th><th scope="col" class="num">Session cookie</th><th scope="col" class="num">Legacy token</th><th scope="col" class="num">Not verified</th><th scope="col" class="num">Neither</th><th scope="col" class="num">Total</th><th scope="col" class="num">Session share</th><th scope="col" class="num">Legacy token share</th></tr></thead>
<tbody>
${days || '<tr><td colspan="8">Nothing counted yet.</td></tr>'}
</tbody>
</table>
</section>`;
}

const SOURCE_LABELS: Record<UnmigratedEndpoint['source'], string> = { openapi: 'API document', learned: 'learned', rule: 'rules' };

function sourceTag(source: UnmigratedEndpoint['source']): string {
  return `<span class="tag tag-${source}">${SOURCE_LABELS[source]}</span>`;
}

function sortableHeader(label: string, sorted: 'asc' | 'desc' | null, href: string, numeric: boolean): string {
  const aria = sorted ? ` aria-sort="${sorted === 'asc' ? 'ascending' : 'descending'}"` : '';
  return `<th scope="col"${aria}${numeric ? ' class="num"' : ''}><a href="${esc(href)}">${esc(label)}</a></th>`;
}

export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
