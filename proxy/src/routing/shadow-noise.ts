import type { ShadowRules } from './route.ts';
import { compareJson } from './shadow-compare.ts';
import { ROOT, normalisePath, parsePattern } from './shadow-path.ts';

/**
 * Noise calibration as Diffy does it: the legacy API is asked twice, and a field
 * that differs between its own two answers (a timestamp, a request id) is noise,
 * not a regression of the migrated route. One model per route.
 */
export interface NoiseModel {
  /** Compares two legacy answers and remembers where they differ. */
  learn(legacyA: unknown, legacyB: unknown, rules: ShadowRules): void;
  /** Normalised paths (`courses[*].updatedAt`): differences there and below are not reported. */
  noisyPaths(): ReadonlySet<string>;
  /** Whether this request should fetch a second legacy answer. */
  shouldCalibrate(): boolean;
}

export interface NoiseModelOptions {
  /**
   * Share (0..1) of requests that calibrate. Unset: every request until SETTLED calibrations in
   * a row have learned nothing new, then QUIET_RATE of them, and every request again as soon as
   * one learns a new field.
   */
  calibrationRate?: number;
  /** Bound on learned paths; later ones are dropped (default 100). */
  maxPaths?: number;
  random?: () => number;
}

const MAX_PATHS = 100;

/**
 * A calibration costs the legacy API a second full answer and the proxy a second comparison:
 * asked on every shadowed request for good, it doubles the legacy load shadow adds. Once this
 * many calibrations in a row found no new noise, the model has seen what the answers vary in...
 */
const SETTLED = 20;
/** ...and one shadowed request in 20 keeps checking, so noise that appears later is still learned. */
const QUIET_RATE = 0.05;

export function createNoiseModel(options: NoiseModelOptions = {}): NoiseModel {
  const fixedRate = options.calibrationRate;
  const maxPaths = options.maxPaths ?? MAX_PATHS;
  const random = options.random ?? Math.random;
  const paths = new Set<string>();
  let quietInARow = 0;
  const rateNow = () => fixedRate ?? (quietInARow < SETTLED ? 1 : QUIET_RATE);

  return {
    learn(legacyA, legacyB, rules) {
      // A field the legacy API sends only sometimes is noise too, whatever the route
      // allows of the migrated answer. Known noise is skipped, so new noise is found
      // even when the answers differ in many places.
      const differences = compareJson(legacyA, legacyB, { ...rules, extraFields: 'report' }, paths);
      const known = paths.size;
      for (const difference of differences) {
        if (paths.size >= maxPaths) break;
        if (!isLearnable(difference.path, difference.kind)) continue;
        paths.add(normalisePath(difference.path));
      }
      quietInARow = paths.size > known ? 0 : quietInARow + 1;
    },
    noisyPaths: () => paths,
    shouldCalibrate() {
      const rate = rateNow();
      if (rate >= 1) return true;
      if (!(rate > 0)) return false;
      return random() < rate;
    },
  };
}

/**
 * Two things are never learned, because each would silence far more than one field:
 * the whole answer (`$`), and an array element appearing or vanishing (the learned
 * `items[*]` would hide every element). Those keep showing as mismatches; declare
 * the array unordered or ignored if they are expected.
 */
function isLearnable(path: string, kind: string): boolean {
  if (path === ROOT) return false;
  if (kind !== 'missing' && kind !== 'extra') return true;
  return typeof parsePattern(path).at(-1) !== 'number';
}
