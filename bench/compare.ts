import { freePort } from '../test-support/free-port.ts';
import { cpuSeconds, killAllNow, spawnPinned, spawnTs, stopAll, waitUntilServing } from './processes.ts';
import { runWrk } from './wrk.ts';
import { intEnv } from './env.ts';
import { median } from './percentile.ts';

/**
 * Is a change to the pass-through cheaper or dearer, by a few percent? `npm run bench`
 * cannot tell: it loads one contender at a time, and this machine's speed moves by more than
 * that between two of them. Here every build under comparison is pinned to the same core and
 * loaded at the same moment, each by its own wrk, so whatever the neighbours do hits all of
 * them alike; each round gives every build's CPU time per request, and the ratio to the first
 * build in that same round. The figures are not `npm run bench`'s (the builds share a core
 * and slow each other down); only the ratios are read.
 *
 *   npx tsx bench/compare.ts proxy/src/main.ts ../other-checkout/proxy/src/main.ts
 *   npx tsx bench/compare.ts proxy/src/main.ts proxy/src/main.ts,LOG_LEVEL=silent
 *
 * An entry is a file Node runs with tsx, or a built `.js` (`npm run build -- --out-dir DIR`) it
 * runs as production does, without tsx (PORT, HOST, LEGACY_URL and TARGET are set for it),
 * with optional `,NAME=value` environment after it. A second checkout of the repository (git
 * worktree) is the way to compare two commits. Env: COMPARE_ROUNDS (10), COMPARE_SECONDS (3),
 * COMPARE_WARMUP_SECONDS (2; 30 or more for a migrated route, whose code V8 optimises slowly),
 * COMPARE_CONNECTIONS (25 per build), COMPARE_PATH (the plain pass-through read by default; a
 * migrated route's path to weigh that lane), COMPARE_HEADERS (`Name: value` lines separated by
 * `\n`, e.g. an Authorization header for a route that needs a caller), COMPARE_LOGIN (a seeded
 * user of the stand-in, e.g. `ingrid`: her legacy token from this run's stand-in, whose keys
 * are made at its start, goes in `Authorization: Bearer`). `,COMPARE_PATH=/path` after an entry
 * loads that build at its own path, so a migrated route and the legacy endpoint it replaces are
 * weighed in one run:
 *
 *   COMPARE_LOGIN=ingrid npx tsx bench/compare.ts proxy/src/main.ts,COMPARE_PATH=/api/home proxy/src/main.ts,COMPARE_PATH=/api/dashboard
 */

const ROUNDS = intEnv('COMPARE_ROUNDS', 10);
const SECONDS = intEnv('COMPARE_SECONDS', 3);
// A migrated route runs far more JavaScript per request than a pass-through, at a fraction of its
// rate: V8 takes tens of seconds to optimise it, and its first rounds cost up to 3x its later ones.
const WARMUP_SECONDS = intEnv('COMPARE_WARMUP_SECONDS', 2);
const CONNECTIONS = intEnv('COMPARE_CONNECTIONS', 25);
const PATH = process.env.COMPARE_PATH ?? '/api/echo/courses?orgId=org-uninett';
const HEADERS = parseHeaders(process.env.COMPARE_HEADERS ?? '');
const LOAD_CPU = '0';
const BUILD_CPU = '1';

interface Build {
  label: string;
  pid: number;
  url: string;
  cpuPerRequest: number[];
}

async function main(entries: string[]): Promise<void> {
  if (entries.length < 2) throw new Error('name at least two entries to compare, e.g. proxy/src/main.ts ../other/proxy/src/main.ts');
  const legacyPort = await freePort();
  const legacyUrl = `http://127.0.0.1:${legacyPort}`;
  const stub = spawnTs('bench/stand-in.ts', { cpu: LOAD_CPU, env: { PORT: String(legacyPort) } });
  await waitUntilServing(legacyUrl, stub);

  const login = process.env.COMPARE_LOGIN;
  if (login) HEADERS.Authorization = `Bearer ${await loginAt(legacyUrl, login)}`;

  const builds: Build[] = [];
  for (const entry of entries) {
    const [file, ...assignments] = entry.split(',');
    const port = await freePort();
    const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', LEGACY_URL: legacyUrl, TARGET: legacyUrl, LOG_LEVEL: 'info' };
    let buildPath = PATH;
    for (const a of assignments) {
      const eq = a.indexOf('=');
      if (eq < 1) throw new Error(`"${a}" in "${entry}" is not NAME=value`);
      if (a.slice(0, eq) === 'COMPARE_PATH') buildPath = a.slice(eq + 1);
      else env[a.slice(0, eq)] = a.slice(eq + 1);
    }
    // A built entry (`npm run build`, e.g. dist/proxy/src/main.js) runs on plain node, as in production.
    const child = file!.endsWith('.js')
      ? spawnPinned(process.execPath, [file!], { cpu: BUILD_CPU, env, stdio: ['ignore', 'ignore', 'inherit'] })
      : spawnTs(file!, { cpu: BUILD_CPU, env, stdio: ['ignore', 'ignore', 'inherit'] });
    const url = `http://127.0.0.1:${port}${buildPath}`;
    await waitUntilServing(url, child);
    builds.push({ label: entry, pid: child.pid!, url, cpuPerRequest: [] });
  }

  const load = (seconds: number) => Promise.all(builds.map((b) => runWrk({ url: b.url, connections: CONNECTIONS, seconds, cpu: LOAD_CPU, headers: HEADERS })));
  await load(WARMUP_SECONDS);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = builds.map((b) => cpuSeconds(b.pid));
    const results = await load(SECONDS);
    // A build that served nothing (the stand-in or the core stalled) gives no ratio: say so, leave the round out.
    if (results.some((r) => r.requests === 0)) {
      console.log(`round ${round}: ${results.map((r) => `${r.requests} requests`).join('  ')}: left out`);
      continue;
    }
    builds.forEach((b, i) => b.cpuPerRequest.push(((cpuSeconds(b.pid) - before[i]!) * 1e6) / results[i]!.requests));
    // A build answering errors is not doing the work being weighed: say so beside its figure.
    const notes = results.map((r) => (r.non2xx3xx || r.socketErrors ? ` (${r.non2xx3xx} non-2xx, ${r.socketErrors} socket errors)` : ''));
    console.log(`round ${round}: ${builds.map((b, i) => `${b.cpuPerRequest.at(-1)!.toFixed(0)} us @ ${results[i]!.requestsPerSec.toFixed(0)}/s${notes[i]}`).join('  ')}`);
  }

  const first = builds[0]!;
  console.log(`\nCPU per request of each build, and how much cheaper than the first it was (first / build, per round):`);
  for (const b of builds) {
    const ratios = b.cpuPerRequest.map((cpu, i) => first.cpuPerRequest[i]! / cpu);
    console.log(
      `  ${b.label}\n    median ${median(b.cpuPerRequest).toFixed(0)} us/req; ratio median ${median(ratios).toFixed(3)}, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
    );
  }
}

/** A legacy token from the stand-in's own login (its seeded users share one password). */
async function loginAt(legacyUrl: string, username: string): Promise<string> {
  const res = await fetch(`${legacyUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'password' }),
  });
  if (!res.ok) throw new Error(`COMPARE_LOGIN: logging in as "${username}" at the stand-in answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

function parseHeaders(lines: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines.split('\\n').flatMap((l) => l.split('\n'))) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon < 1) throw new Error(`COMPARE_HEADERS: "${line}" is not "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

main(process.argv.slice(2)).then(
  () => stopAll(),
  async (err: Error) => {
    console.error(`compare: ${err.message}`);
    await stopAll();
    process.exitCode = 1;
  },
);
