import { spawn } from 'node:child_process';
import { startRedis } from '../test-support/redis-server.ts';
import { startStack } from '../test-support/stack.ts';
import { passkeySession } from '../test-support/passkey-session.ts';

/**
 * What identity costs a request once it is warm, counted rather than timed (issue 14): a
 * verified legacy token should cost one signature check per token lifetime per instance, and
 * a session lookup one store round trip. Runs the proxy in this process over a real Redis and
 * the legacy stand-in, counts every WebCrypto signature check (jose verifies with it) and
 * watches Redis (MONITOR) for commands on the session's key.
 *
 *   npx tsx bench/identity-cost.ts        env: IDENTITY_REQUESTS (200)
 */

const REQUESTS = Number(process.env.IDENTITY_REQUESTS ?? 200);

let signatureChecks = 0;
const subtle = globalThis.crypto.subtle;
const verify = subtle.verify.bind(subtle);
subtle.verify = ((...args: Parameters<SubtleCrypto['verify']>) => {
  signatureChecks++;
  return verify(...args);
}) as SubtleCrypto['verify'];

async function main(): Promise<void> {
  const redis = await startRedis();
  const stack = await startStack({ env: { REDIS_URL: redis.url }, flags: { 'route.dashboard': { rollout: 100 } } });
  try {
    const get = async (path: string, headers: Record<string, string>) => {
      const res = await fetch(`${stack.proxyUrl}${path}`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    };

    // A legacy token on the migrated dashboard: the caller is resolved on every request. One
    // user's requests one at a time, another's 10 at a time from the first (a page's burst).
    for (const [user, atOnce] of [['ingrid', 1], ['lars', 10]] as const) {
      const token = stack.legacy.issueToken(user);
      const before = signatureChecks;
      for (let i = 0; i < REQUESTS; i += atOnce) {
        await Promise.all(Array.from({ length: atOnce }, () => get('/api/dashboard', { authorization: `Bearer ${token}` })));
      }
      console.log(`legacy token (${user}, ${atOnce} at a time): ${REQUESTS} dashboards, ${signatureChecks - before} signature check(s)`);
    }

    // A session on a plain pass-through: the gate looks the session up on every request.
    const session = await passkeySession(stack, stack.legacy.issueToken('emma'));
    const sid = decodeURIComponent(session.value).slice(2).split('.')[0]!;
    const monitor = spawn('redis-cli', ['-p', String(redis.port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    monitor.stdout.on('data', (d) => (seen += d));
    await new Promise((resolve) => monitor.stdout.once('data', resolve)); // "OK": watching
    for (let i = 0; i < REQUESTS; i++) await get('/api/echo/session-cost', { cookie: session.cookie });
    await stack.proxy.traffic.flush(); // whatever was pending is out before counting stops
    monitor.kill();
    const commands = seen.split('\n').filter((line) => line.includes(sid)).map((line) => /"(\w+)"/.exec(line.slice(line.indexOf(']') + 1))?.[1]?.toUpperCase());
    const tally = Object.entries(commands.reduce<Record<string, number>>((acc, c) => ((acc[c ?? '?'] = (acc[c ?? '?'] ?? 0) + 1), acc), {}));
    console.log(`session: ${REQUESTS} pass-through requests, Redis commands on the session's key: ${tally.map(([c, n]) => `${c} x${n}`).join(', ') || 'none'}`);
  } finally {
    await stack.stop();
    await redis.stop();
  }
}

main().catch((err: Error) => {
  console.error(`identity-cost: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
