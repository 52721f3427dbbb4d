import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { freePort } from '../test-support/free-port.ts';
import type { OpenLoopOptions, OpenLoopResult } from './open-loop/generator.ts';
import { killAllNow, runToEnd, spawnTs, stopAll, waitUntilServing } from './processes.ts';
import { loginAll, writeFlagsFiles } from './dashboard/legacy-world.ts';
import { intEnv } from './env.ts';
import { median } from './percentile.ts';

/**
 * What the shadow lane adds to the client's p99 at a fixed rate (issue 14: at most 1 ms).
 * Two proxies on core 1, one with `route.dashboard` at 0% (legacy answers /api/dashboard from
 * /api/home) and one at 0% with shadow on (legacy answers, the migrated handler runs beside it
 * and is compared). The open-loop generator (core 0, with the stand-in) sends GET
 * /api/dashboard with a seeded user's token at SHADOW_RATE per second to each in turn, rounds
 * alternating which goes first, and times every request from its scheduled send time.
 *
 *   npx tsx bench/shadow-lane.ts
 *   env: SHADOW_RATE (50), SHADOW_SECONDS (4), SHADOW_ROUNDS (6)
 *
 * The rate is low because a shadowed request costs the stand-in several calls (the legacy answer,
 * the handler's four, the noise calibration's second legacy answer): at 200/s on a busy machine
 * the shadow side saturated and its p99 measured queueing, not the lane.
 */

const RATE = intEnv('SHADOW_RATE', 50);
const SECONDS = intEnv('SHADOW_SECONDS', 4);
const ROUNDS = intEnv('SHADOW_ROUNDS', 6);
const LOAD_CPU = '0';
const PROXY_CPU = '1';

async function main(): Promise<void> {
  const flags = writeFlagsFiles();
  const shadowFile = `${flags.dir}/flags-shadow.json`;
  const legacyFlags = JSON.parse(readFileSync(flags.legacy, 'utf8')) as { flags: Record<string, object> };
  writeFileSync(shadowFile, JSON.stringify({ flags: { ...legacyFlags.flags, 'route.dashboard': { ...legacyFlags.flags['route.dashboard'], rollout: 0, shadow: true } } }));
  try {
    const legacyPort = await freePort();
    const legacyUrl = `http://127.0.0.1:${legacyPort}`;
    const stub = spawnTs('bench/stand-in.ts', { cpu: LOAD_CPU, env: { PORT: String(legacyPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitUntilServing(legacyUrl, stub);
    const token = (await loginAll(legacyUrl)).ingrid;

    const side = (name: string, file: string) => ({ name, file, url: '', p50: [] as number[], p99: [] as number[], lag: [] as number[], notes: [] as string[] });
    const sides = [side('flag at 0%, no shadow', flags.legacy), side('flag at 0%, shadow on', shadowFile)];
    for (const s of sides) {
      const port = await freePort();
      const child = spawnTs('proxy/src/main.ts', {
        cpu: PROXY_CPU,
        env: { PORT: String(port), HOST: '127.0.0.1', LEGACY_URL: legacyUrl, LOG_LEVEL: 'info', FLAGS_FILE: s.file },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      s.url = `http://127.0.0.1:${port}/api/dashboard`;
      await waitUntilServing(s.url, child);
    }

    console.log(`shadow lane: GET /api/dashboard at ${RATE}/s for ${SECONDS} s per side per round, ${ROUNDS} rounds; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? sides : [...sides].reverse();
      for (const s of order) {
        const r = await openLoop({ url: s.url, rate: RATE, seconds: SECONDS, warmupSeconds: 1, headers: { authorization: `Bearer ${token}` } });
        // No answer at all in the window leaves no percentile: an infinite p99, and a note.
        s.p50.push(r.p50 ?? Infinity);
        s.p99.push(r.p99 ?? Infinity);
        s.lag.push(r.sendLagP99);
        if (r.non2xx || r.errors || r.unfinished) s.notes.push(`round ${round}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.unfinished} unanswered`);
      }
      console.log(`round ${round}: ${sides.map((s) => `${s.name}: p50 ${s.p50.at(-1)!.toFixed(2)} ms, p99 ${s.p99.at(-1)!.toFixed(2)} ms`).join('  |  ')}`);
    }
    console.log('');
    for (const s of sides) {
      console.log(`${s.name}: median p50 ${median(s.p50).toFixed(2)} ms, median p99 ${median(s.p99).toFixed(2)} ms (best ${Math.min(...s.p99).toFixed(2)}), generator lag p99 median ${median(s.lag).toFixed(2)} ms${s.notes.length ? `; ${s.notes.join('; ')}` : ''}`);
    }
    const added = median(sides[1]!.p99) - median(sides[0]!.p99);
    const perRound = sides[1]!.p99.map((p, i) => p - sides[0]!.p99[i]!);
    console.log(`added p99 (median shadow - median no shadow): ${added.toFixed(2)} ms; per round ${perRound.map((d) => d.toFixed(2)).join(' / ')}; target <= 1 ms: ${added <= 1 ? 'met' : '*** MISS ***'}`);
  } finally {
    rmSync(flags.dir, { recursive: true, force: true });
  }
}

function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  return runToEnd(process.execPath, ['--import', 'tsx', 'bench/open-loop/main.ts', JSON.stringify(options)], {
    cpu: LOAD_CPU,
    timeoutMs: ((options.warmupSeconds ?? 0) + options.seconds) * 1_000 + 20_000,
  }).then((out) => JSON.parse(out) as OpenLoopResult);
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));
main().then(
  () => stopAll(),
  async (err: Error) => {
    console.error(`shadow-lane: ${err.message}`);
    await stopAll();
    process.exitCode = 1;
  },
);
