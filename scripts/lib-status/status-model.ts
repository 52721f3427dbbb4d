import type { MigratedRoute } from '../../proxy/src/routing/route.ts';
import { stateLabel } from '../../proxy/src/status/route-state.ts';
import type { StatusInputs } from './status-inputs.ts';

export interface MigratedRow {
  endpoint: string;
  migratedDate: string | undefined;
  owner: string;
  notes: string;
}

export interface InProgressRow {
  endpoint: string;
  /** `proxied`, `shadow`, `canary N%`, `canary N% + shadow`. */
  state: string;
  flag: string;
  owner: string;
  targetDate: string;
  replaces: string;
}

export interface RetiredRow {
  endpoint: string;
  retiredDate: string;
  replacement: string;
}

export interface StatusModel {
  sources: StatusInputs['sources'];
  migrated: MigratedRow[];
  inProgress: InProgressRow[];
  retired: RetiredRow[];
  authCutoff: string | undefined;
  /** Where the live picture is: the status page under the reserved prefix. */
  statusPagePath: string;
  /** Declarations and flags that contradict each other, in words. */
  warnings: string[];
}

const SHADOWABLE = new Set(['GET', 'HEAD']);

/**
 * Sorts the routes into the document's tables. A route is migrated when its flag sends
 * everyone to it (rollout 100) or it declares a migratedDate; the legacy endpoint it
 * replaces is retired when it has that date and lives at another address.
 */
export function buildStatusModel(inputs: StatusInputs): StatusModel {
  const routes = [...inputs.routes].sort((a, b) => byCodeUnits(a.path, b.path) || byCodeUnits(a.method, b.method));
  const model: StatusModel = {
    sources: inputs.sources,
    migrated: [],
    inProgress: [],
    retired: [],
    authCutoff: inputs.authCutoff,
    statusPagePath: `${inputs.reservedPrefix}/status`,
    warnings: [],
  };

  for (const route of routes) {
    const flag = inputs.flags.state(route.flag);
    const endpoint = `${route.method} ${route.path}`;
    // The status page's words, from the same reading of the flag (the shadow sibling alone shadows).
    const state = stateLabel(flag);

    if (state === 'migrated' || route.migratedDate !== undefined) {
      model.migrated.push({ endpoint, migratedDate: route.migratedDate, owner: route.owner, notes: route.notes ?? '' });
      const replaced = replacedElsewhere(route);
      if (route.migratedDate !== undefined && replaced) {
        model.retired.push({ endpoint: replaced, retiredDate: route.migratedDate, replacement: endpoint });
      }
      if (state !== 'migrated') {
        model.warnings.push(
          `\`${route.id}\` declares migratedDate ${route.migratedDate} but its flag \`${route.flag}\` is ${describeFlag(flag, state)} in the flags file: not every user reaches the migrated route yet.`,
        );
      }
    } else {
      model.inProgress.push({
        endpoint,
        state,
        flag: route.flag + flagNote(flag),
        owner: route.owner,
        targetDate: route.targetDate,
        replaces: route.replaces ?? '',
      });
    }
    if (!flag.exists) {
      model.warnings.push(`\`${route.id}\`: its flag \`${route.flag}\` is not in the flags file, so the legacy API serves every request.`);
    }
    if (flag.shadow && flag.rollout < 100 && !SHADOWABLE.has(route.method)) {
      model.warnings.push(`\`${route.id}\`: shadow is on, but ${route.method} requests are never shadowed (only GET and HEAD are); the legacy API answers them alone.`);
    }
  }

  const declared = new Set(inputs.routes.map((r) => r.flag));
  for (const name of inputs.flags.names()) {
    if (!declared.has(name)) model.warnings.push(`The flags file defines \`${name}\`, which no route declares.`);
  }
  return model;
}

/** `GET /api/home` for a route that moved the endpoint; null when the address stays the same (or nothing is replaced). */
function replacedElsewhere(route: MigratedRoute): string | null {
  if (!route.replaces) return null;
  return route.replaces === `${route.method} ${route.path}` ? null : route.replaces;
}

function flagNote(flag: { exists: boolean; enabled: boolean }): string {
  if (!flag.exists) return ' (not in the flags file)';
  return flag.enabled ? '' : ' (switched off: enabled false)';
}

function describeFlag(flag: { exists: boolean; enabled: boolean }, state: string): string {
  if (!flag.exists) return 'absent';
  return flag.enabled ? `at ${state}` : 'switched off';
}

/** Not localeCompare: the order must not depend on the machine's locale, or CI would see a different file. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
