import { strongerSource, type EndpointTemplates } from './path-template.ts';
import { addEndpointCount, type DayAgg, type EndpointCount } from './traffic-buckets.ts';

/**
 * The stored days' endpoint rows, re-keyed by what is known when the page is read: rows
 * counted under a literal path before its position was learned (on this instance, another
 * one, or before a restart) join the template row instead of lingering for a week.
 */
export function regroupEndpoints(days: DayAgg[], templates: Pick<EndpointTemplates, 'regroup'>): void {
  const keys = new Set<string>();
  for (const day of days) for (const key of day.endpoints.keys()) keys.add(key);
  if (keys.size === 0) return;
  const regrouped = templates.regroup([...keys]);
  for (const day of days) {
    const rows = new Map<string, EndpointCount>();
    for (const [key, v] of day.endpoints) {
      const e = regrouped.get(key)!;
      const source = strongerSource(v.source ?? 'rule', e.source);
      addEndpointCount(rows, e.key, source === 'rule' ? v : { ...v, source });
    }
    day.endpoints = rows;
  }
}
