import type { ClientFeaturesResponse, Unleash } from 'unleash-client';
import { SHADOW_SUFFIX } from './decide.ts';
import type { FlagState } from './types.ts';

type Feature = ClientFeaturesResponse['features'][number];

/**
 * The share of users a definition turns on, as the status page should show it: the largest
 * share among its strategies. Strategies that select by other means (user lists, constraints
 * alone) are not a share and count as 0; an enabled flag without strategies is on for all.
 */
export function effectiveRollout(feature: Feature | undefined): number {
  if (!feature?.enabled) return 0;
  const strategies = feature.strategies ?? [];
  if (strategies.length === 0) return 100;
  let largest = 0;
  for (const strategy of strategies) {
    if (strategy.name === 'default') return 100;
    if (strategy.name === 'flexibleRollout') {
      const rollout = Number(strategy.parameters?.rollout);
      if (Number.isFinite(rollout)) largest = Math.max(largest, Math.min(100, Math.max(0, rollout)));
    }
  }
  return largest;
}

export function describeFlag(client: Unleash | null, name: string, lastChangedAt: string | null): FlagState {
  const main = client?.getFeatureToggleDefinition(name);
  const shadow = client?.getFeatureToggleDefinition(name + SHADOW_SUFFIX);
  return {
    name,
    exists: main !== undefined,
    enabled: main?.enabled === true,
    rollout: effectiveRollout(main),
    shadow: effectiveRollout(shadow) > 0,
    lastChangedAt,
  };
}

/** Remembers when each flag's definition last changed in our copy (added, edited or removed). */
export function createChangeLog() {
  let known = new Map<string, string>();
  const changedAt = new Map<string, string>();

  return {
    record(features: readonly Feature[], now = new Date()): void {
      const at = now.toISOString();
      const next = new Map(features.map((f) => [f.name, JSON.stringify(f)]));
      for (const [name, definition] of next) if (known.get(name) !== definition) changedAt.set(name, at);
      for (const name of known.keys()) if (!next.has(name)) changedAt.set(name, at);
      known = next;
    },
    /** A route flag changes when it or its shadow sibling does. */
    lastChangedAt(flag: string): string | null {
      const own = changedAt.get(flag);
      const shadow = changedAt.get(flag + SHADOW_SUFFIX);
      if (own === undefined) return shadow ?? null;
      return shadow !== undefined && shadow > own ? shadow : own;
    },
  };
}

export type ChangeLog = ReturnType<typeof createChangeLog>;
