import type { EndpointFigures } from '../legacy/endpoint-figures.ts';
import { count, millis, percent, plural, when } from './format.ts';
import { esc } from './page.ts';
import type { RouteStatus } from './snapshot.ts';

/**
 * A route's canary guard on the page: what it watches, the rollback in force with its reason,
 * what shadow has seen since, the staff's button to clear it (a plain form: the page runs no
 * script), this instance's window, and the history.
 */
export function guardBlock(r: RouteStatus, now: number, basePath: string): string {
  const g = r.guard;
  const rb = g.rollback;
  const rollback = rb
    ? `<p class="verdict bad" id="rollback-${esc(r.id)}">${esc(`R${rb.text.slice(1)}`)}. Everyone is served by the legacy API until the rollback is cleared here or the flag changes.</p>
<p>Since the rollback: ${esc(rb.recovery)}.</p>
<form method="post" action="${esc(basePath)}/routes/${esc(r.id)}/clear-rollback"><button type="submit">Clear the rollback: serve the canary (${esc(`${rb.flag.rollout}%`)}) again</button></form>`
    : '';
  const w = g.window;
  const window = w
    ? `<p class="note">This instance's window: new route ${plural(w.migrated.requests, 'request')} (5xx ${percent(w.migrated.errorRate)}, p95 ${esc(millis(w.migrated.p95Ms))}); legacy API ${plural(w.legacy.requests, 'request')} (5xx ${percent(w.legacy.errorRate)}, p95 ${esc(millis(w.legacy.p95Ms))}); shadow ${count(w.shadow.compared)} compared, ${count(w.shadow.bad)} differing or failed.</p>`
    : '';
  const history = g.events.length ? `<p>History:</p><ul>${g.events.map((e) => `<li>${esc(e.text)}</li>`).join('')}</ul>` : '';
  const unshared = g.shared ? '' : '<p class="bad">The shared store could not be read: this is what the answering instance knows, without the history.</p>';
  return `<h4 id="guard-${esc(r.id)}-h">Canary guard</h4>
<p class="note">${esc(g.watches)}</p>
${unshared}${rollback}${window}${history}`;
}

const ERROR_KINDS = ['5xx', 'timeout', 'network', 'breaker-open', 'bulkhead-rejected', 'error'] as const;

/** What the legacy client's policies did per route and endpoint (this instance): the resilience made visible. */
export function endpointsTable(endpoints: readonly EndpointFigures[], now: number): string {
  const rows = endpoints.map((e) => {
    const kinds = ERROR_KINDS.filter((k) => e.outcomes[k]).map((k) => `${k} ${count(e.outcomes[k]!)}`);
    const breaker = `${esc(e.breaker.state)}${e.breaker.transitions ? `<span class="sub">${plural(e.breaker.transitions, 'change')}, last ${esc(when(e.breaker.lastChangedAt, now))}</span>` : ''}`;
    return `<tr><th scope="row"><code>${esc(e.key)}</code></th><td class="num">${count(e.calls)}</td><td class="num${e.errors ? ' bad' : ''}">${count(e.errors)}${kinds.length ? `<span class="sub">${esc(kinds.join(', '))}</span>` : ''}</td><td class="num">${esc(millis(e.p95Ms))}</td><td class="num">${count(e.retries)}</td><td${e.breaker.state === 'closed' ? '' : ' class="bad"'}>${breaker}</td><td class="num${e.bulkheadRejections ? ' bad' : ''}">${count(e.bulkheadRejections)}</td><td class="num">${e.cache.hitRate === null ? '–' : `${percent(e.cache.hitRate)}<span class="sub">${count(e.cache.hits)} of ${count(e.cache.hits + e.cache.misses)}</span>`}</td></tr>`;
  });
  return `<table id="legacy-endpoints">
<caption>Legacy endpoints called by migrated routes: what the resilience policies did on this instance since it started</caption>
<thead><tr><th scope="col">Route: endpoint</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Errors</th><th scope="col" class="num">p95</th><th scope="col" class="num">Retries</th><th scope="col">Breaker</th><th scope="col" class="num">Bulkhead rejected</th><th scope="col" class="num">Cache hits</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}
