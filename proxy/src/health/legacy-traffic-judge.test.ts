import { describe, expect, it } from 'vitest';
import type { FinishedRequest } from '../edge/request-state.ts';
import { createTrafficJudge } from './legacy-traffic-judge.ts';

/** LEGACY_HEALTH_PATH=none: the catch-all's outcomes say whether the legacy API answers. */

const done = (status: number, over: Partial<FinishedRequest> = {}): FinishedRequest => ({
  correlationId: 'c',
  startedAt: 0n,
  method: 'GET',
  url: '/api/articles',
  servedBy: 'legacy',
  route: 'catch-all',
  arrivedWith: 'other',
  status,
  seconds: 0.01,
  ...over,
});

function judge() {
  let t = Date.UTC(2027, 0, 1);
  const j = createTrafficJudge(() => t);
  const [record] = j.finishedListeners;
  return { j, send: (d: FinishedRequest) => ((t += 1_000), record!(d)) };
}

describe('the traffic judge', () => {
  it('knows nothing before the first answer, then calls any legacy answer reachable, whatever its status', () => {
    const { j, send } = judge();
    expect(j.latest()).toMatchObject({ reachable: null, judgedBy: 'traffic', checkedAt: null, note: expect.stringMatching(/not known yet/) });
    send(done(404));
    expect(j.latest()).toMatchObject({ reachable: true, checkedAt: '2027-01-01T00:00:01.000Z' });
    send(done(500));
    expect(j.latest().reachable).toBe(true);
  });

  it('turns unreachable after two 502/504 in a row, and reachable again at the next answer', () => {
    const { j, send } = judge();
    send(done(200));
    send(done(502));
    expect(j.latest().reachable).toBe(true); // one failure is not an outage
    send(done(504, { servedBy: 'proxy' })); // recorded as the proxy's own answer: still a failure to reach it
    expect(j.latest()).toMatchObject({ reachable: false, error: 'the last 2 catch-all requests got no answer from it (the latest: 504, no answer in time)' });
    send(done(201));
    expect(j.latest()).toMatchObject({ reachable: true });
    expect(j.latest().error).toBeUndefined();
  });

  it('ignores clients that left, the proxy\'s other refusals and migrated routes', async () => {
    const { j, send } = judge();
    send(done(502));
    send(done(502));
    for (const ignored of [done(499), done(401, { servedBy: 'proxy' }), done(429, { servedBy: 'proxy' }), done(200, { route: 'dashboard', servedBy: 'migrated' })]) {
      send(ignored);
      expect(j.latest().reachable).toBe(false);
    }
    expect(await j.check()).toEqual(j.latest());
  });
});
