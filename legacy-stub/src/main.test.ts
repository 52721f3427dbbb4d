import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('legacy-stub process (main.ts)', () => {
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running && running.exitCode === null) running.kill('SIGKILL'); // our own child, by its handle
  });

  it('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const { child, output, exit } = startMain({ LEGACY_PORT: '0', LEGACY_FAULTS: '[{"path":"^/api/terms$","status":503}]' });
    running = child;
    const deadline = Date.now() + 15_000;
    while (!/listening on (http:\S+)/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const url = /listening on (http:\S+)/.exec(output())?.[1];
    expect(url, output()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/terms`)).status).toBe(503);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('serves HTTPS with a certificate and key from files', async () => {
    const tls = (name: string) => fileURLToPath(new URL(`../../test-support/tls/${name}`, import.meta.url));
    const { child, output, exit } = startMain({ LEGACY_PORT: '0', LEGACY_TLS_CERT_FILE: tls('dev-only-legacy.crt'), LEGACY_TLS_KEY_FILE: tls('dev-only-legacy.key') });
    running = child;
    const deadline = Date.now() + 15_000;
    while (!/listening on (https:\S+)/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const url = /listening on (https:\S+)/.exec(output())?.[1];
    expect(url, output()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) =>
      https.get(`${url}/health`, { ca: readFileSync(tls('dev-only-legacy.crt')) }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject),
    );
    expect(status).toBe(200);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('exits 1 naming the variable when the configuration is wrong', async () => {
    const { child, output, exit } = startMain({ LEGACY_FAULT_HEADERS: 'maybe' });
    running = child;
    expect(await exit).toBe(1);
    expect(output()).toMatch(/LEGACY_FAULT_HEADERS must be 1, true, 0 or false/);
  });
});
