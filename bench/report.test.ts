import { describe, it, expect } from 'vitest';
import type { OpenLoopResult } from './open-loop/generator.ts';
import { formatTable, formatVerdicts, verdicts, type Row } from './report.ts';

function row(id: string, requestsPerSec: number, p99AtRate: number, cpuUsPerRequest: number): Row {
  const open: OpenLoopResult = {
    rate: 1000, seconds: 4, scheduled: 4000, completed: 4000, non2xx: 0, errors: 0, unfinished: 0,
    connections: 10, p50: 1, p90: 2, p99: p99AtRate, max: 10, sendLagP99: 1,
  };
  return {
    id,
    name: id,
    closed: [{ requestsPerSec, p50: 1, p99: 5, requests: requestsPerSec * 4, non2xx3xx: 0, socketErrors: 0 }],
    open: [open],
    cpu: [{ seconds: (cpuUsPerRequest * requestsPerSec * 4) / 1e6, requests: requestsPerSec * 4 }],
    peakRssBytes: 100 * 2 ** 20,
  };
}

describe('verdicts', () => {
  it('passes a proxy that meets all three targets', () => {
    const list = verdicts([row('bare', 10_000, 3, 100), row('textbook', 3_000, 5, 330), row('proxy', 7_000, 3.5, 140)]);
    expect(list.filter((v) => !v.label.includes('cross-check')).map((v) => v.pass)).toEqual([true, true, true]);
  });

  it('prints MISS loudly for a target that is missed, and says by how much', () => {
    const list = verdicts([row('bare', 10_000, 3, 100), row('textbook', 3_000, 5, 330), row('proxy', 5_000, 4.5, 200)]);
    const text = formatVerdicts(list);
    expect(text).toMatch(/\*\*\* MISS \*\*\* {2}throughput, this proxy \/ bare proxy: 0\.50x \(target >= 0\.65x\)/);
    expect(text).toMatch(/\*\*\* MISS \*\*\* {2}added p99 at the fixed rate, over the bare proxy: 1\.50 ms/);
    expect(text).toMatch(/\*\*\* MISS \*\*\* {2}throughput, this proxy \/ textbook app: 1\.67x \(target >= 2x\)/);
  });

  it('reads CPU per request from the median round, so one noisy round does not decide the cross-check', () => {
    const proxy = row('proxy', 7_000, 3, 140);
    proxy.cpu = [222, 128, 159].map((us) => ({ seconds: (us * 28_000) / 1e6, requests: 28_000 }));
    const list = verdicts([row('bare', 10_000, 3, 100), row('textbook', 3_000, 5, 330), proxy]);
    expect(list.find((v) => v.label.startsWith('CPU per request, bare'))!.value).toBe('0.63x'); // 100 / 159
  });

  it('keeps the best closed-loop round, so one noisy round does not decide a row', () => {
    const bare = row('bare', 10_000, 3, 100);
    bare.closed.unshift({ ...bare.closed[0]!, requestsPerSec: 4_000 });
    const list = verdicts([bare, row('proxy', 7_000, 3, 140)]);
    expect(list[0]!.value).toBe('0.70x');
  });
});

describe('formatTable', () => {
  it('shows failed requests from any round, not only the reported one', () => {
    const bare = row('bare', 10_000, 3, 100);
    bare.closed.push({ ...bare.closed[0]!, requestsPerSec: 6_000, non2xx3xx: 12 });
    bare.open.push({ ...bare.open[0]!, p99: 50, unfinished: 3 });
    const table = formatTable([bare], 1000, 50);
    expect(table).toMatch(/bare +10000 .*wrk: 12 non-2xx\/3xx, 0 socket errors; fixed rate: 0 non-2xx, 0 errors, 3 unanswered/);
  });
});
