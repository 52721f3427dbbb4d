import http from 'node:http';
import os from 'node:os';
import { freePort } from '../test-support/free-port.ts';
import { trickle, type Trickle } from '../test-support/slow-client.ts';
import { sendUpload, sha256Of, uploadBlock, uploadBody, type UploadBody, type UploadResult } from '../test-support/uploads.ts';
import { cpuSeconds, killAllNow, spawnTs, stopAll, waitUntilServing } from './processes.ts';
import { intEnv } from './env.ts';

/**
 * `npm run bench:uploads`: many concurrent large uploads, straight to the legacy stand-in,
 * through the proxy, and through the proxy while slow clients trickle uploads at it (a byte
 * every 5 s, from several addresses). Every upload's sha256 as the stand-in computed it is
 * checked against the one sent, so a slow run (throughput) is told apart from a wrong one
 * (loss or corruption). Bodies are generated on the fly (test-support/uploads.ts), never stored.
 *
 * The stand-in runs on core 0 and the proxy on core 1 (taskset), with its defaults; this
 * process, the client, is not pinned. Knobs (env): BENCH_UPLOADS (50), BENCH_UPLOAD_MIB (100),
 * BENCH_UPLOAD_TRICKLERS (280; 0 skips that phase), BENCH_UPLOAD_DEADLINE_S (300: the watchdog
 * for the whole run), BENCH_UPLOAD_FRAMING (`length`: Content-Length; `chunked`; `expect`:
 * Content-Length and Expect: 100-continue, as curl sends).
 */

const UPLOADS = intEnv('BENCH_UPLOADS', 50);
const MIB = intEnv('BENCH_UPLOAD_MIB', 100);
const TRICKLERS = process.env.BENCH_UPLOAD_TRICKLERS === '0' ? 0 : intEnv('BENCH_UPLOAD_TRICKLERS', 280);
const DEADLINE_MS = intEnv('BENCH_UPLOAD_DEADLINE_S', 300) * 1_000;
const FRAMING = framing();
// The slow clients come from five addresses, so each stays within its share of the legacy pool
// (a quarter of it by default) and together they can still take all of it.
const TRICKLER_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

interface Phase {
  name: string;
  seconds: number;
  results: UploadResult[];
  intact: number;
  /** CPU seconds the proxy used during the phase (undefined for the direct phase). */
  proxyCpu?: number;
}

/** What the watchdog reports if the run hangs. */
const progress = { phase: '', answered: 0 };

async function main(): Promise<void> {
  const model = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${os.availableParallelism()} cores, ${model}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${UPLOADS} concurrent uploads of ${MIB} MiB (framing: ${FRAMING}): direct, through the proxy, and through it beside ${TRICKLERS} trickling uploads; watchdog ${DEADLINE_MS / 1000} s`);

  const block = uploadBlock();
  const bodies = Array.from({ length: UPLOADS }, (_, i) => uploadBody(block, i, MIB * 1024 * 1024));
  const expected = bodies.map(sha256Of);

  const legacyPort = await freePort();
  const legacyUrl = `http://127.0.0.1:${legacyPort}`;
  const stub = spawnTs('bench/stand-in.ts', { cpu: '0', env: { PORT: String(legacyPort) }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUntilServing(legacyUrl, stub);
  const proxyPort = await freePort();
  const proxy = spawnTs('proxy/src/main.ts', { cpu: '1', env: { PORT: String(proxyPort), LEGACY_URL: legacyUrl, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUntilServing(`http://127.0.0.1:${proxyPort}`, proxy);
  const measured = async (run: () => Promise<Phase>): Promise<Phase> => {
    const before = cpuSeconds(proxy.pid!);
    const done = await run();
    return { ...done, proxyCpu: cpuSeconds(proxy.pid!) - before };
  };

  const phases = [await phase('direct to the stand-in', legacyPort, bodies, expected)];
  phases.push(await measured(() => phase('through the proxy', proxyPort, bodies, expected)));
  if (TRICKLERS > 0) {
    const slow = startTricklers(proxyPort);
    // Long enough for every trickler's request to reach the legacy API and hold its socket.
    await new Promise((r) => setTimeout(r, 1_000));
    phases.push(await measured(() => phase(`through the proxy, beside ${TRICKLERS} tricklers`, proxyPort, bodies, expected)));
    await reportTricklers(slow);
  }

  const totalMiB = UPLOADS * MIB;
  console.log('\n| path | uploads intact | wall time | MiB/s | first / last upload done | proxy CPU |');
  console.log('|---|---|---|---|---|---|');
  for (const p of phases) {
    const done = p.results.map((r) => r.ms / 1000);
    const cpu = p.proxyCpu === undefined ? '' : `${p.proxyCpu.toFixed(1)} s (${((p.proxyCpu * 1000) / (totalMiB / 1024)).toFixed(0)} ms/GiB)`;
    console.log(
      `| ${p.name} | ${p.intact}/${UPLOADS} | ${p.seconds.toFixed(1)} s | ${(totalMiB / p.seconds).toFixed(0)} | ` +
        `${Math.min(...done).toFixed(1)} / ${Math.max(...done).toFixed(1)} s | ${cpu} |`,
    );
  }
  console.log(`\nthroughput through the proxy: ${(phases[0]!.seconds / phases[1]!.seconds).toFixed(2)}x direct`);
  if (phases.some((p) => p.intact < UPLOADS)) {
    console.log('\n*** LOSS: at least one upload did not arrive intact (see above) ***');
    process.exitCode = 1;
  }
}

async function phase(name: string, port: number, bodies: UploadBody[], expected: string[]): Promise<Phase> {
  progress.phase = name;
  progress.answered = 0;
  // One connection per upload, as 50 browsers would have.
  const agent = new http.Agent({ keepAlive: true, maxSockets: bodies.length });
  const started = performance.now();
  const results = await Promise.all(bodies.map((body) => sendUpload({ port, body, agent, ...FRAMINGS[FRAMING] }).finally(() => progress.answered++)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  let intact = 0;
  results.forEach((r, i) => {
    const seen = r.status === 200 ? (JSON.parse(r.body) as { bytes: number; sha256: string }) : undefined;
    if (seen && seen.sha256 === expected[i] && seen.bytes === bodies[i]!.bytes) intact++;
    else console.log(`  ${name}: upload ${i} NOT intact: status ${r.status}, ${r.sent} bytes sent, answer ${r.body.slice(0, 300)}`);
  });
  console.log(`${name}: ${intact}/${bodies.length} intact in ${seconds.toFixed(1)} s`);
  return { name, seconds, results, intact };
}

const FRAMINGS = { length: {}, chunked: { chunked: true }, expect: { expectContinue: true } } as const;

function startTricklers(port: number): Trickle[] {
  const head = `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n`;
  return Array.from({ length: TRICKLERS }, (_, i) =>
    trickle({ port, localAddress: TRICKLER_ADDRESSES[i % TRICKLER_ADDRESSES.length], first: `${head}x`, drip: 'x'.repeat(1_000), everyMs: 5_000 }),
  );
}

/** How the proxy ended the slow uploads: each should have had a 408 (or a 429 beyond its client's share). */
async function reportTricklers(slow: Trickle[]): Promise<void> {
  const fates = new Map<string, number>();
  const note = (fate: string) => fates.set(fate, (fates.get(fate) ?? 0) + 1);
  // Those the proxy has not ended by now are still holding on: close them, and say so.
  const answers = slow.map((t) => t.answer.then((a) => note(a.status === 0 ? 'closed without an answer' : `${a.status}`)));
  await Promise.race([Promise.all(answers), new Promise((r) => setTimeout(r, 1_000))]);
  const pending = slow.length - [...fates.values()].reduce((a, b) => a + b, 0);
  for (const t of slow) t.close();
  console.log(`tricklers: ${[...fates].map(([fate, n]) => `${n} x ${fate}`).join(', ')}${pending ? `, ${pending} still open when the big uploads were done` : ''}`);
}

function framing(): keyof typeof FRAMINGS {
  const raw = process.env.BENCH_UPLOAD_FRAMING || 'length';
  if (raw === 'length' || raw === 'chunked' || raw === 'expect') return raw;
  throw new Error(`BENCH_UPLOAD_FRAMING must be length, chunked or expect, got "${raw}"`);
}

const watchdog = setTimeout(() => {
  console.error(`bench:uploads: still running after ${DEADLINE_MS / 1000} s (${progress.phase}: ${progress.answered} of ${UPLOADS} uploads answered); stopping everything`);
  killAllNow();
  process.exit(1);
}, DEADLINE_MS);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}
process.once('exit', killAllNow);

main().then(
  () => stopAll(),
  async (err: Error) => {
    console.error(`bench:uploads: ${err.message}`);
    await stopAll();
    process.exitCode = 1;
  },
);
