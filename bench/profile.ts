import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.ts';
import { killAllNow, spawnTs, stop, stopAll, waitUntilServing } from './processes.ts';
import { runWrk } from './wrk.ts';
import { loginAll, writeFlagsFiles } from './dashboard/legacy-world.ts';

/**
 * Where does the pass-through's time go? Runs one contender under `--cpu-prof` on core 1
 * while wrk loads it from core 0, then prints CPU time per request by area (package, file,
 * GC) and the top functions by self time. Profile the bare proxy too and compare: the
 * difference per request is what this proxy adds.
 *
 *   npx tsx bench/profile.ts                       # this proxy, LOG_LEVEL=info
 *   PROFILE_TARGET=bare npx tsx bench/profile.ts   # the bare node:http proxy
 *   PROFILE_TARGET=dashboard npx tsx bench/profile.ts   # the warm migrated dashboard (flag at 100%)
 *   PROFILE_TARGET=dashboard-legacy npx tsx bench/profile.ts   # /api/dashboard with its flag at 0%
 *   env: PROFILE_SECONDS (8), LOG_LEVEL (info), PROFILE_ENV (`NAME=value,NAME=value` for the
 *   proxy, e.g. tracing on: `OTEL_TRACES_EXPORTER=otlp,OTEL_EXPORTER_OTLP_ENDPOINT=http://...`)
 *
 * The dashboard targets send one seeded user's legacy token (ingrid's, from the stand-in's own
 * login) on every request, at 10 connections (inside the route's bulkheads, as the dashboard
 * phase of `npm run bench` does), so the per-user and shared caches are warm after the warm-up.
 */

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);
const TARGET = process.env.PROFILE_TARGET ?? 'proxy';
const DASHBOARD = TARGET === 'dashboard' || TARGET === 'dashboard-legacy';
const PATH = DASHBOARD ? '/api/dashboard' : '/api/echo/courses?orgId=org-uninett';
const CONNECTIONS = DASHBOARD ? 10 : 50;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  const cleanups: Array<() => void> = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-cpu-prof-'));
  try {
    const legacyPort = await freePort();
    const legacyUrl = `http://127.0.0.1:${legacyPort}`;
    const stub = spawnTs('bench/stand-in.ts', { cpu: '0', env: { PORT: String(legacyPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitUntilServing(legacyUrl, stub);

    const port = await freePort();
    const bare = TARGET === 'bare';
    const flags = DASHBOARD ? writeFlagsFiles() : undefined;
    if (flags) cleanups.push(() => rmSync(flags.dir, { recursive: true, force: true }));
    const proxy = spawnTs(bare ? 'bench/contenders/bare-proxy.ts' : 'proxy/src/main.ts', {
      cpu: '1',
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        LEGACY_URL: legacyUrl,
        TARGET: legacyUrl,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        ...(flags ? { FLAGS_FILE: TARGET === 'dashboard' ? flags.migrated : flags.legacy } : {}),
        ...extraEnv(process.env.PROFILE_ENV),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}${PATH}`;
    const headers = DASHBOARD ? { Authorization: `Bearer ${(await loginAll(legacyUrl)).ingrid}` } : undefined;
    await waitUntilServing(url, proxy);
    await runWrk({ url, connections: CONNECTIONS, seconds: 2, cpu: '0', headers });
    // V8 stamps samples with the monotonic clock, as process.hrtime does: only the measured load counts.
    const from = Number(process.hrtime.bigint() / 1000n);
    const load = await runWrk({ url, connections: CONNECTIONS, seconds: SECONDS, cpu: '0', headers });
    const to = Number(process.hrtime.bigint() / 1000n);
    const errors = load.non2xx3xx || load.socketErrors ? ` (${load.non2xx3xx} non-2xx, ${load.socketErrors} socket errors: not a clean figure)` : '';
    console.log(`${bare ? 'bare proxy' : `this proxy (${TARGET})`}: ${load.requestsPerSec.toFixed(0)} req/s under the profiler (it costs some), p99 ${load.p99.toFixed(2)} ms${errors}`);
    await stop(proxy, 15_000); // both exit normally on SIGTERM: that is when Node writes the profile
    await stop(stub);

    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile was written');
    summarise(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, load.requests, from, to);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const cleanup of cleanups) cleanup();
  }
}

function summarise(profile: CpuProfile, requests: number, from: number, to: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from && at <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  if (selfUs.size === 0) throw new Error('no samples fell in the load window: the profile clock is not the monotonic clock here');

  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);

  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  // Inclusive time of JavaScript outside node core (this project and its packages): which step costs what.
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const area = areaOf(frame.url, frame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    byFunction.set(keyOf(frame), (byFunction.get(keyOf(frame)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (!f.url || f.url.startsWith('node:') || seen.has(keyOf(f))) continue;
      seen.add(keyOf(f));
      inclusive.set(keyOf(f), (inclusive.get(keyOf(f)) ?? 0) + us);
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / requests).toFixed(1).padStart(6)} us/req  ${k}`);
  console.log(`\nbusy (non-idle) CPU during the load: ${(busy / 1e6).toFixed(2)} s for ${requests} requests = ${(busy / requests).toFixed(1)} us per request`);
  console.log(`\nself time by area:\n${top(byArea, 20).join('\n')}`);
  console.log(`\ntop functions by self time:\n${top(byFunction, 30).join('\n')}`);
  console.log(`\ntop JavaScript outside node core by inclusive time (callees included):\n${top(inclusive, 30).join('\n')}`);
}

function keyOf(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '').replace(/^.*node_modules\//, '');
}

process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.once('exit', killAllNow);
main().catch(async (err: Error) => {
  console.error(`profile: ${err.message}`);
  await stopAll();
  process.exitCode = 1;
});

/** PROFILE_ENV: `NAME=value` pairs separated by commas, handed to the proxy as they are. */
function extraEnv(spec: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (spec ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`PROFILE_ENV: "${pair}" is not NAME=value`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
