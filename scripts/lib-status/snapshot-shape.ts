import { z } from 'zod';
import type { StatusSnapshot } from '../../proxy/src/status/snapshot.ts';

/**
 * The part of the status snapshot `npm run status` prints, checked at run time: the proxy
 * may be another version than this checkout. Loose objects, so new fields do not break it.
 */
const rate = z.number().nullable();
const side = z.looseObject({ requests: z.number(), errors5xx: z.number(), errorRate: rate, p95Ms: rate });
const windows = <T extends z.ZodType>(of: T) => z.looseObject({ hour: of, day: of, week: of });

const snapshotShape = z.looseObject({
  version: z.literal(1, { error: 'version must be 1' }),
  generatedAt: z.string(),
  instance: z.string(),
  counters: z.looseObject({ description: z.string() }),
  windows: windows(z.looseObject({ label: z.string() })),
  flags: z.looseObject({ source: z.string() }),
  routes: z.array(
    z.looseObject({
      id: z.string(),
      method: z.string(),
      path: z.string(),
      owner: z.string(),
      state: z.looseObject({ label: z.string() }),
      traffic: windows(z.looseObject({ answeredByLegacy: side, migrated: side })),
      parity: z.looseObject({ windows: windows(z.looseObject({ compared: z.number(), matchRate: rate })) }),
    }),
  ),
  legacy: z.looseObject({
    health: z.looseObject({ reachable: z.boolean().nullable(), latencyMs: rate, openCircuits: z.number(), summary: z.string() }),
    catchAll: windows(side),
    unmigrated: z.looseObject({
      endpoints: z.array(z.looseObject({ method: z.string(), path: z.string(), count: z.number(), lastSeen: z.string(), replacedBy: z.string().nullable() })),
      verdict: z.string(),
    }),
    authWindow: z.looseObject({ summary: z.string() }),
  }),
});

/** Returns the snapshot, or throws what `fail` makes of the first problem (`routes[0].state.label: ...`). */
export function checkSnapshotShape(json: unknown, fail: (problem: string) => Error): StatusSnapshot {
  const parsed = snapshotShape.safeParse(json);
  if (parsed.success) return json as StatusSnapshot;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
  throw fail(`${where || '(top level)'}: ${issue.message}`);
}
