import type { ShadowRules } from './route.ts';
import { parsePattern, type PatternSegment } from './shadow-path.ts';

export type Pattern = readonly PatternSegment[];

/** Compiled once per rules array: the arrays in route declarations do not change. */
const compiled = new WeakMap<readonly string[], Pattern[]>();

export function compilePatterns(patterns: readonly string[] | undefined): Pattern[] {
  if (!patterns || patterns.length === 0) return [];
  let out = compiled.get(patterns);
  if (!out) {
    out = patterns.map(parsePattern);
    compiled.set(patterns, out);
  }
  return out;
}

/** Problems in a route's shadow rules, for the registry to refuse at start-up. */
export function validateShadowRules(rules: ShadowRules): string[] {
  const problems: string[] = [];
  for (const [name, list] of [['ignore', rules.ignore], ['unordered', rules.unordered]] as const) {
    for (const pattern of list ?? []) {
      try {
        if (parsePattern(pattern).length === 0 && name === 'ignore') {
          problems.push(`ignore "${pattern}" would ignore the whole answer`);
        }
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  const rate = rules.calibrationRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
    problems.push(`calibrationRate must be between 0 and 1, got ${rate}`);
  }
  return problems;
}
