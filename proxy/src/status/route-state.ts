import type { FlagState } from '../flags/types.ts';

/** What a route's state is called on the status page, in the migration-status document and in `npm run status`. */
export type StateWord = 'proxied' | 'shadow' | 'canary' | 'rolled-back' | 'migrated' | 'retired';

export interface RouteState {
  word: StateWord;
  /** `proxied`, `shadow`, `canary 35%`, `canary 35% + shadow`, `rolled back from canary 35%`, `migrated`, `retired`. */
  label: string;
  /** 0..100: the share of users the flag sends to the migrated route (0 when it is off or unknown). */
  rollout: number;
  /** The shadow sibling flag is on: users outside the rollout are compared. */
  shadow: boolean;
  flagExists: boolean;
  flagEnabled: boolean;
  /** When our copy of the flag (or its shadow sibling) last changed; null when not seen to change. */
  lastChangedAt: string | null;
  /** lastChangedAt is only when this instance first loaded the flags: the state may be older than that. */
  unchangedSinceStartup: boolean;
  /** Why a migrated route is, or is not yet, retired; absent below 100%. */
  retirement?: string;
}

/** Live evidence for the one state the flags alone cannot tell: retired. */
export interface RetirementEvidence {
  migratedDate: string | undefined;
  /** `GET /api/home` when the route replaces a legacy endpoint at another address; else null. */
  replacedElsewhere: string | null;
  /** Requests on this route the legacy API answered in the last 7 days (legacy + shadow sides). */
  legacyAnsweredLastWeek: number;
  /** Catch-all requests to the replaced endpoint in the last 7 days. */
  replacedEndpointLastWeek: number;
  /** The counters cover 7 full days (not started, nor lost with an in-memory store, within them). */
  sevenDaysCounted: boolean;
}

/**
 * The flags decide everything up to `migrated` (the same reading the decision uses: the shadow
 * sibling alone shadows). `retired` also needs the declaration and the traffic: the route is at
 * 100% and declares its migratedDate, and the legacy endpoint it replaces at another address
 * received nothing in 7 counted days, neither through the route nor through the catch-all.
 * A route at the legacy address itself never retires its endpoint: its handler still calls it.
 */
export function routeState(flag: FlagState, evidence: RetirementEvidence, instanceStartedAt: number): RouteState {
  const base = {
    rollout: flag.rollout,
    shadow: flag.shadow,
    flagExists: flag.exists,
    flagEnabled: flag.enabled,
    lastChangedAt: flag.lastChangedAt,
    // The flags are loaded before the instance starts counting: a change stamped no later is the first load.
    unchangedSinceStartup: flag.lastChangedAt !== null && Date.parse(flag.lastChangedAt) <= instanceStartedAt,
  };
  if (flag.rollout < 100) {
    const label = stateLabel(flag);
    return { ...base, word: label.startsWith('canary') ? 'canary' : (label as 'proxied' | 'shadow'), label };
  }
  const blocker = retirementBlocker(evidence);
  if (blocker === null) {
    return {
      ...base,
      word: 'retired',
      label: 'retired',
      retirement: `${evidence.replacedElsewhere} received no traffic in the last 7 days`,
    };
  }
  return { ...base, word: 'migrated', label: 'migrated', retirement: blocker };
}

/**
 * The canary guard rolled the route back: the flag still says what it said, but everyone is
 * served by the legacy API until staff clear the rollback or the flag changes.
 */
export function rolledBackState(state: RouteState): RouteState {
  const { retirement: _retirement, ...rest } = state;
  return { ...rest, word: 'rolled-back', label: `rolled back from ${stateLabel(state)}` };
}

/** `proxied`, `shadow`, `canary N%` (`+ shadow`) or `migrated`, from the flag alone. */
export function stateLabel(flag: Pick<FlagState, 'rollout' | 'shadow'>): string {
  if (flag.rollout >= 100) return 'migrated';
  if (flag.rollout > 0) return `canary ${flag.rollout}%${flag.shadow ? ' + shadow' : ''}`;
  return flag.shadow ? 'shadow' : 'proxied';
}

function retirementBlocker(e: RetirementEvidence): string | null {
  if (!e.replacedElsewhere) return 'replaces no legacy endpoint at another address, so there is nothing to retire';
  if (!e.migratedDate) return `declares no migratedDate yet; ${e.replacedElsewhere} stays until it does`;
  const legacy = e.legacyAnsweredLastWeek + e.replacedEndpointLastWeek;
  if (legacy > 0) return `${e.replacedElsewhere} still received ${legacy.toLocaleString('en-US')} request${legacy === 1 ? '' : 's'} in the last 7 days`;
  if (!e.sevenDaysCounted) return `no legacy traffic so far, but fewer than 7 days have been counted`;
  return null;
}
