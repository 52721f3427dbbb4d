import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { freePort } from '../test-support/free-port.ts';
import type { OpenLoopOptions, OpenLoopResult } from './open-loop/generator.ts';
import { cpuSeconds, killAllNow, peakRss, runToEnd, spawnTs, stopAll, waitUntilServing } from './processes.ts';
import { formatTable, formatVerdicts, otherRatios, verdicts, type Row } from './report.ts';
import { runDashboardPhase } from './dashboard/phase.ts';
import { dashboardSummary, formatDashboardTable } from './dashboard/report.ts';
import { scenarios, type Running, type Scenario } from './scenarios.ts';
import { runWrk } from './wrk.ts';
import { intEnv } from './env.ts';

/**
 * `npm run bench`: the pass-through's cost against the floor (a bare node:http proxy) and
 * against the textbook Express + http-proxy-middleware app, in one run on one machine, so
 * the ratios are comparable even on a noisy shared VM.
 *
 * Cores: contenders on core 1, one at a time under load; load generators and the legacy
 * stand-in on core 0. Every contender is started first and then measured in rounds, in
 * alternating order, so a burst of noise from a neighbour lands on one round of one row
 * rather than on all of one row's figures; each row reports its best round, and its CPU time
 * per request over all rounds (which neighbours barely move).
 *
 * Knobs (env): BENCH_ROUNDS (5), BENCH_SECONDS per round and phase (4), BENCH_RATE (1000),
 * BENCH_CONNECTIONS (50), BENCH_SCENARIOS (comma-separated ids; default all but diagnostics).
 *
 * Then the migrated dashboard (bench/dashboard/): BENCH_DASHBOARD run (default) | only | skip,
 * BENCH_DASHBOARD_SECONDS (3), BENCH_DASHBOARD_WARMUP_SECONDS (20), BENCH_DASHBOARD_CONNECTIONS (10),
 * BENCH_DASHBOARD_COLD_STARTS (6).
 */

const LOAD_CPU = '0';
const CONTENDER_CPU = '1';
// Five rounds: with three, one lucky or unlucky round of one row still moved a verdict by 0.1x.
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const SECONDS = intEnv('BENCH_SECONDS', 4);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50);
// 1000/s is about a tenth of what the bare proxy does on one core here (8-10k/s), a quarter of
// this proxy's and half of the textbook app's: a moderate load every keep-alive contender
// sustains, so p99 shows per-request cost and jitter rather than queueing at saturation.
// (At 2000/s the textbook app, ~2k/s here, saturated and its p99 reached hundreds of ms.)
const RATE = intEnv('BENCH_RATE', 1000);
const DASHBOARD = dashboardMode();
const FIRST_WARMUP_S = 2;
const LATER_WARMUP_S = 1;
// Bound the whole run: a stuck child must not keep the machine busy.
const DEADLINE_MS = 10 * 60_000;

async function main(): Promise<void> {
  printMachine();
  const started = Date.now();
  if (DASHBOARD !== 'only') await passThroughPhase();
  if (DASHBOARD !== 'skip') await dashboardPhase();
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s, ${new Date().toISOString()}`);
}

async function passThroughPhase(): Promise<void> {
  const chosen = pickScenarios();
  const started = Date.now();

  const legacyPort = await freePort();
  const legacyUrl = `http://127.0.0.1:${legacyPort}`;
  const stub = spawnTs('bench/stand-in.ts', { cpu: LOAD_CPU, env: { PORT: String(legacyPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUntilServing(legacyUrl, stub);

  const ctx = { legacyUrl, legacyPid: stub.pid!, cpu: CONTENDER_CPU };
  const live: { scenario: Scenario; running: Running; row: Row }[] = [];
  for (const scenario of chosen) {
    const running = await scenario.setup(ctx);
    live.push({ scenario, running, row: { id: scenario.id, name: scenario.name, closed: [], open: [], cpu: [], peakRssBytes: NaN } });
  }
  console.log(`started ${live.length} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; measuring ${ROUNDS} round(s) of ${SECONDS} s closed loop + ${SECONDS} s at ${RATE}/s each`);

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? live : [...live].reverse();
    for (const { scenario, running, row } of order) {
      const url = running.url + scenario.path;
      const headers = scenario.headers;
      await runWrk({ url, connections: CONNECTIONS, seconds: round === 0 ? FIRST_WARMUP_S : LATER_WARMUP_S, cpu: LOAD_CPU, headers });
      const cpuBefore = cpuSeconds(running.pid);
      const closed = await runWrk({ url, connections: CONNECTIONS, seconds: SECONDS, cpu: LOAD_CPU, headers });
      row.cpu.push({ seconds: cpuSeconds(running.pid) - cpuBefore, requests: closed.requests });
      const open = await runOpenLoopProcess({ url, rate: RATE, seconds: SECONDS, warmupSeconds: 0.5, headers });
      row.closed.push(closed);
      row.open.push(open);
      console.log(
        `  round ${round + 1} ${row.name}: ${closed.requestsPerSec.toFixed(0)} req/s (p99 ${closed.p99.toFixed(2)} ms, ` +
          `${((row.cpu.at(-1)!.seconds * 1e6) / closed.requests).toFixed(0)} us CPU/req); ` +
          `@${RATE}/s p99 ${open.p99.toFixed(2)} ms`,
      );
    }
  }
  for (const { running, row } of live) row.peakRssBytes = peakRss(running.pid);

  for (const { running } of live) await running.teardown();
  await stopAll();

  const rows = live.map((l) => l.row);
  console.log(`\n${formatTable(rows, RATE, CONNECTIONS)}\n`);
  for (const line of otherRatios(rows)) console.log(line);
  const list = verdicts(rows);
  if (list.length) console.log(`\n${formatVerdicts(list)}`);
  if (list.some((v) => !v.pass)) console.log('\n*** MISS: at least one target was not met (see above). A benchmark reports; it does not fail the build. ***');
}

async function dashboardPhase(): Promise<void> {
  const connections = intEnv('BENCH_DASHBOARD_CONNECTIONS', 10);
  const seconds = intEnv('BENCH_DASHBOARD_SECONDS', 3);
  const warmupSeconds = intEnv('BENCH_DASHBOARD_WARMUP_SECONDS', 20);
  const coldStarts = intEnv('BENCH_DASHBOARD_COLD_STARTS', 6);
  console.log(`\ndashboard phase: ${coldStarts} fresh starts for cold, then ${seconds} s closed loop per row at ${connections} connections`);
  const rows = await runDashboardPhase({ loadCpu: LOAD_CPU, proxyCpu: CONTENDER_CPU, seconds, warmupSeconds, connections, coldStarts });
  console.log(`\n${formatDashboardTable(rows, connections)}\n`);
  for (const line of dashboardSummary(rows)) console.log(line);
}

function dashboardMode(): 'run' | 'only' | 'skip' {
  const raw = process.env.BENCH_DASHBOARD || 'run';
  if (raw === 'run' || raw === 'only' || raw === 'skip') return raw;
  throw new Error(`BENCH_DASHBOARD must be run, only or skip, got "${raw}"`);
}

async function runOpenLoopProcess(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const out = await runToEnd(process.execPath, ['--import', 'tsx', 'bench/open-loop/main.ts', JSON.stringify(options)], {
    cpu: LOAD_CPU,
    timeoutMs: ((options.warmupSeconds ?? 0) + options.seconds) * 1_000 + 20_000,
  });
  return JSON.parse(out) as OpenLoopResult;
}

function pickScenarios(): Scenario[] {
  const wanted = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted) return scenarios.filter((s) => !s.diagnostic);
  const unknown = wanted.filter((id) => !scenarios.some((s) => s.id === id));
  if (unknown.length) throw new Error(`BENCH_SCENARIOS: unknown id(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.id).join(', ')}`);
  return scenarios.filter((s) => wanted.includes(s.id));
}

function printMachine(): void {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  console.log(`machine: ${os.availableParallelism()} cores, ${model}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`code: ${gitDescription()}`);
  const busy = os.loadavg()[0]! / os.availableParallelism();
  if (busy > 0.5) console.log(`note: the machine is busy (1-minute load ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores): expect noisy figures`);
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return `commit ${commit}${dirty ? ' plus uncommitted changes' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${DEADLINE_MS / 1000} s; stopping everything`);
  killAllNow();
  process.exit(1);
}, DEADLINE_MS);
watchdog.unref();

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`bench: ${signal}, stopping every child`);
    void stopAll().finally(() => process.exit(130));
  });
}
process.once('exit', killAllNow);

main().then(
  () => stopAll(),
  async (err: Error) => {
    if (interrupted) return; // the children were stopped on purpose; their exits are no news
    console.error(`bench: ${err.message}`);
    await stopAll();
    process.exitCode = 1;
  },
);
