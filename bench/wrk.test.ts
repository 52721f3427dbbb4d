import { describe, it, expect } from 'vitest';
import { parseWrk } from './wrk.ts';

const clean = `Running 5s test @ http://127.0.0.1:40001/api/echo
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.81ms    2.12ms  41.20ms   90.12%
    Req/Sec     8.61k   512.33     9.40k    78.00%
  Latency Distribution
     50%  812.00us
     75%    5.90ms
     90%    7.12ms
     99%    1.02s
  42871 requests in 5.00s, 14.07MB read
Requests/sec:   8572.44
Transfer/sec:      2.81MB
`;

describe('parseWrk', () => {
  it('reads requests/s and the latency percentiles, whatever unit wrk chose', () => {
    const r = parseWrk(clean);
    expect(r.requestsPerSec).toBe(8572.44);
    expect(r.requests).toBe(42871);
    expect(r.p50).toBeCloseTo(0.812, 6);
    expect(r.p99).toBe(1020);
    expect(r.non2xx3xx).toBe(0);
    expect(r.socketErrors).toBe(0);
  });

  it('counts error answers and socket errors, so a row that failed requests says so', () => {
    const r = parseWrk(
      clean.replace(
        'Requests/sec',
        '  Socket errors: connect 0, read 3, write 1, timeout 2\n  Non-2xx or 3xx responses: 17\nRequests/sec',
      ),
    );
    expect(r.non2xx3xx).toBe(17);
    expect(r.socketErrors).toBe(6);
  });

  it('refuses output it cannot read rather than report zeros', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(/could not read/);
  });
});
