import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm start`: the legacy stand-in and the proxy together on embedded defaults (no Redis,
 * no Unleash server), each in its own process as they would run in production, with their
 * output prefixed. Ctrl-C stops both.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const legacyPort = process.env.LEGACY_PORT ?? '4000';
const proxyPort = process.env.PORT ?? '8080';
const legacyUrl = `http://127.0.0.1:${legacyPort}`;

const children: ChildProcess[] = [];

function run(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${prefix}exited (${signal ?? code}); stopping everything\n`);
      void stopAll(code ?? 1);
    }
  });
  children.push(child);
  return child;
}

async function waitForHealth(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

let stopping = false;
async function stopAll(code: number): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

run('legacy', 'legacy-stub/src/main.ts', { LEGACY_PORT: legacyPort });
await waitForHealth(`${legacyUrl}/health`);
run('proxy', 'proxy/src/main.ts', { PORT: proxyPort, LEGACY_URL: legacyUrl });
await waitForHealth(`http://127.0.0.1:${proxyPort}/_proxy/health/ready`);

process.stdout.write(`
  The existing frontend, through the proxy:  http://localhost:${proxyPort}/
  The same frontend, straight from legacy:   http://localhost:${legacyPort}/
  Proxy health and metrics:                  http://localhost:${proxyPort}/_proxy/health/ready
                                             http://localhost:${proxyPort}/_proxy/metrics
  Sign in as ingrid / password (teacher), ola / password (student), kari / password (admin).
  Ctrl-C stops everything.
`);
