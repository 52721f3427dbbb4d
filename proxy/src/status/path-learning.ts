/**
 * Which path positions hold entities (slugs, usernames), learned from traffic: a position
 * under one prefix (`GET /api/articles` + the next segment) whose distinct values pass the
 * threshold is a parameter from then on. Memory is bounded whatever the traffic: each tracked
 * position keeps at most threshold + 1 value hashes, and both tables are capped, least
 * recently used first out.
 */

export interface PathLearner {
  /** Has the position after this prefix (`GET /api/articles`) been learned as a parameter? */
  folds(prefix: string): boolean;
  /** Counts a value seen at the position after `prefix`; true once the position folds. */
  observe(prefix: string, value: string): boolean;
  /** The learned prefixes, oldest first (to seed another learner). */
  learned(): string[];
}

export interface PathLearnerOptions {
  /** More distinct values than this under one prefix fold the position. */
  threshold: number;
  /** Called when a position folds or a learned fold is dropped: memoised templates are stale. */
  onChange?: () => void;
  /** Prefixes counted at once (default 2048). */
  maxTracked?: number;
  /** Learned prefixes kept (default 2048). */
  maxLearned?: number;
  seed?: Iterable<string>;
}

export function createPathLearner(opts: PathLearnerOptions): PathLearner {
  const maxTracked = opts.maxTracked ?? 2048;
  const maxLearned = opts.maxLearned ?? 2048;
  const tracked = new Map<string, Set<number>>();
  const learned = new Set<string>(opts.seed);

  return {
    folds: (prefix) => learned.has(prefix),
    observe(prefix, value) {
      if (learned.has(prefix)) return true;
      let seen = tracked.get(prefix);
      if (seen) tracked.delete(prefix); // re-inserted below: the Map's order is least recently used first
      else {
        if (tracked.size >= maxTracked) tracked.delete(tracked.keys().next().value!);
        seen = new Set();
      }
      tracked.set(prefix, seen);
      // Hashes, not the values: a position costs a few numbers, however long its slugs.
      seen.add(hash(value));
      if (seen.size <= opts.threshold) return false;
      tracked.delete(prefix);
      if (learned.size >= maxLearned) learned.delete(learned.values().next().value!);
      learned.add(prefix);
      opts.onChange?.();
      return true;
    },
    learned: () => [...learned],
  };
}

/** FNV-1a, 32 bits: distinct enough to count a few dozen values. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
