import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../test-support/free-port.ts';
import { cpuSeconds, spawnTs, stop, waitUntilServing } from '../processes.ts';
import { runWrk } from '../wrk.ts';
import { loginAll, setFaults, slowNotifications, USERS, writeFlagsFiles, type User } from './legacy-world.ts';
import { latencyFigures, rotatingAuthScript, tallyBodies, type DashboardRow } from './report.ts';
import { getDashboard, sampleAnswers, type Answer } from './sample.ts';

/**
 * The migrated dashboard under load, next to the legacy screen it replaces, through this
 * proxy (pinned like the pass-through rows). Its own stand-in, so fault rules and the
 * caches start clean. Rows: legacy /api/home (flag at 0), cold (first request per user after
 * a fresh start), warm, and the notifications endpoint slowed to 300 ms and to 2000 ms.
 */

export interface DashboardPhaseOptions {
  loadCpu: string;
  proxyCpu: string;
  seconds: number;
  /** Load before a fresh process's first row: V8 optimises the migrated lane over tens of seconds. */
  warmupSeconds: number;
  connections: number;
  coldStarts: number;
}

const ROUTE = '/api/dashboard';
const SAMPLE = 60;
const SAMPLE_CONCURRENCY = 5;
// Above the route's longest path (profile deadline 3 s): wrk's default 2 s would cut degraded answers short.
const WRK_TIMEOUT_S = 5;

interface Proxy {
  url: string;
  child: ChildProcess;
}

export async function runDashboardPhase(o: DashboardPhaseOptions): Promise<DashboardRow[]> {
  const files = writeFlagsFiles();
  const legacyPort = await freePort();
  const legacyUrl = `http://127.0.0.1:${legacyPort}`;
  const stub = spawnTs('bench/stand-in.ts', { cpu: o.loadCpu, env: { PORT: String(legacyPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const proxies: Proxy[] = [];
  try {
    await waitUntilServing(legacyUrl, stub);
    const tokens = await loginAll(legacyUrl);
    const tokenList = USERS.map((u) => tokens[u]);
    const script = path.join(files.dir, 'rotate-auth.lua');
    writeFileSync(script, rotatingAuthScript(tokenList));
    const start = async (flags: string) => {
      const p = await startProxy(legacyUrl, flags, o.proxyCpu);
      proxies.push(p);
      return p;
    };
    const rows: DashboardRow[] = [];
    // A process's first row gets the long warm-up; the rows after it on the same process 1 s.
    const loaded = async (id: DashboardRow['id'], name: string, proxy: Proxy, extraNotes: string[] = [], warmupSeconds = 1) => {
      const row = await measureLoaded(id, name, proxy, script, tokenList, o, warmupSeconds);
      row.notes.unshift(...extraNotes);
      rows.push(row);
      console.log(`  ${name}: ${row.requestsPerSec.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, degraded ${row.tally.degraded}/${row.tally.answers}`);
    };

    rows.push(await measureCold(files.migrated, tokens, o, start, proxies));
    console.log(`  ${rows[0]!.name}: p50 ${rows[0]!.p50.toFixed(2)} ms, max ${rows[0]!.p99.toFixed(2)} ms (${rows[0]!.notes.join('; ')})`);

    const legacyProxy = await start(files.legacy);
    await loaded('legacy', 'legacy /api/home (flag at 0)', legacyProxy, [], o.warmupSeconds);
    await stopProxy(legacyProxy, proxies);

    const migrated = await start(files.migrated);
    await loaded('warm', 'dashboard, warm caches', migrated, [], o.warmupSeconds);

    await setFaults(legacyUrl, slowNotifications(300));
    await loaded('slow-300', 'dashboard, notifications +300 ms', migrated);

    // The first answers after the upstream turns slow, before the breaker opens (5 failed attempts, 2 per call).
    await setFaults(legacyUrl, slowNotifications(2000));
    const first: Answer[] = [];
    for (let i = 0; i < 4; i++) first.push(await getDashboard(migrated.url + ROUTE, tokenList[i % tokenList.length]!));
    const firstTally = tallyBodies(first);
    await loaded('slow-2000', 'dashboard, notifications +2000 ms', migrated, [
      `first ${first.length} answers after the slowdown: ${first.map((a) => a.ms.toFixed(0)).join('/')} ms, ${firstTally.degraded} degraded`,
    ]);
    await setFaults(legacyUrl, []);
    return rows;
  } finally {
    for (const p of proxies) await stop(p.child);
    await stop(stub);
    rmSync(files.dir, { recursive: true, force: true });
  }
}

/**
 * Cold: the caches live in the proxy's memory and have no off switch, so each fresh start
 * gives one cold request per cache key. Per start: warm the process (JIT, JWKS fetch, the
 * legacy client's sockets) with nina, whose organisation has no courses and so shares no
 * cache entry with the others; then time ingrid's and lars's first dashboards (different
 * organisations: profile, courses and sessions all missed), then the same two again (warm).
 */
async function measureCold(
  flags: string,
  tokens: Record<User, string>,
  o: DashboardPhaseOptions,
  start: (flags: string) => Promise<Proxy>,
  proxies: Proxy[],
): Promise<DashboardRow> {
  const cold: Answer[] = [];
  const warm: Answer[] = [];
  for (let i = 0; i < o.coldStarts; i++) {
    const proxy = await start(flags);
    const url = proxy.url + ROUTE;
    for (let w = 0; w < 50; w++) await getDashboard(url, tokens.nina);
    for (const user of ['ingrid', 'lars'] as const) cold.push(await getDashboard(url, tokens[user]));
    for (const user of ['ingrid', 'lars'] as const) warm.push(await getDashboard(url, tokens[user]));
    await stopProxy(proxy, proxies);
  }
  const c = latencyFigures(cold.map((a) => a.ms));
  const w = latencyFigures(warm.map((a) => a.ms));
  return {
    id: 'cold',
    name: 'dashboard, cold caches',
    requestsPerSec: NaN,
    p50: c.p50,
    p99: c.max,
    cpuUsPerRequest: NaN,
    tally: tallyBodies(cold),
    notes: [
      `${cold.length} first requests over ${o.coldStarts} fresh starts, one at a time; p99 column = max`,
      `the same requests right after (warm, one at a time): p50 ${w.p50.toFixed(2)} ms, max ${w.max.toFixed(2)} ms`,
    ],
  };
}

async function measureLoaded(id: DashboardRow['id'], name: string, proxy: Proxy, script: string, tokens: string[], o: DashboardPhaseOptions, warmupSeconds: number): Promise<DashboardRow> {
  const url = proxy.url + ROUTE;
  const wrk = { url, connections: o.connections, cpu: o.loadCpu, script, timeoutSeconds: WRK_TIMEOUT_S };
  await runWrk({ ...wrk, seconds: warmupSeconds });
  const cpuBefore = cpuSeconds(proxy.child.pid!);
  const closed = await runWrk({ ...wrk, seconds: o.seconds });
  const cpu = cpuSeconds(proxy.child.pid!) - cpuBefore;
  const answers = await sampleAnswers(url, tokens, SAMPLE, SAMPLE_CONCURRENCY);
  const notes: string[] = [];
  if (closed.non2xx3xx || closed.socketErrors) notes.push(`wrk: ${closed.non2xx3xx} non-2xx/3xx, ${closed.socketErrors} socket errors`);
  notes.push(`sample p50 ${latencyFigures(answers.map((a) => a.ms)).p50.toFixed(2)} ms at ${SAMPLE_CONCURRENCY} at a time`);
  return {
    id,
    name,
    requestsPerSec: closed.requestsPerSec,
    p50: closed.p50,
    p99: closed.p99,
    cpuUsPerRequest: (cpu * 1e6) / closed.requests,
    tally: tallyBodies(answers),
    notes,
  };
}

async function startProxy(legacyUrl: string, flagsFile: string, cpu: string): Promise<Proxy> {
  const port = await freePort();
  const child = spawnTs('proxy/src/main.ts', {
    cpu,
    env: { PORT: String(port), HOST: '127.0.0.1', LEGACY_URL: legacyUrl, LOG_LEVEL: 'info', FLAGS_FILE: flagsFile },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, child);
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { url, child };
}

async function stopProxy(proxy: Proxy, proxies: Proxy[]): Promise<void> {
  await stop(proxy.child);
  proxies.splice(proxies.indexOf(proxy), 1);
}
