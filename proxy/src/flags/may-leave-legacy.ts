import type { ClientFeaturesResponse, Unleash } from 'unleash-client';
import { SHADOW_SUFFIX } from './decide.ts';

type Feature = ClientFeaturesResponse['features'][number];

/**
 * Could decideSide() answer anything but `legacy` for this flag right now, for anyone? False
 * only when that is certain from the definitions in force: then a request needs no caller to
 * be decided. Read from the live client on every call, so it follows reloads and polls as
 * decide() does. Anything this does not recognise answers "maybe" (true): the full decision
 * then runs as before.
 */
export function mayLeaveLegacy(client: Unleash | null, flag: string): boolean {
  // No definitions in force: decideSide answers legacy to everyone.
  if (client === null) return false;
  return !neverOn(client.getFeatureToggleDefinition(flag)) || !neverOn(client.getFeatureToggleDefinition(flag + SHADOW_SUFFIX));
}

/**
 * A definition unleash-client can never evaluate as on: unknown, disabled, or only gradual
 * rollouts at 0% (flexibleRollout enables only when its share is above 0, whatever the
 * constraints, segments or stickiness). An enabled flag without strategies is on for all.
 */
function neverOn(feature: Feature | undefined): boolean {
  if (feature === undefined || !feature.enabled) return true;
  const strategies = feature.strategies;
  if (!Array.isArray(strategies) || strategies.length === 0) return false;
  return strategies.every((s) => s.name === 'flexibleRollout' && !(Number(s.parameters?.rollout) > 0));
}
