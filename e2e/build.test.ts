import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startProxyProcess, type ProxyProcess } from '../test-support/proxy-process.ts';
import { stopChild } from '../test-support/child-process.ts';
import { until } from '../test-support/until.ts';

/**
 * Production runs what `npm run build` makes, on plain node: no tsx, no type stripping. The
 * build goes to a fresh folder inside the repository (so node_modules resolve as they do from
 * dist/), then the compiled stand-in and the compiled proxy in front of it serve real requests:
 * the page assets, the stand-in's frontend and the migrated route files come from the build.
 * The proxy runs with `npm run start:prod`'s arguments, so the warnings it turns off are the
 * only ones: any other deprecation printed on this runtime fails the last test.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const STATUS_TOKEN = 'build-test-status-token-0123456789abcdef';
let outDir: string;
let legacy: { child: ChildProcess; url: string; output: () => string };
let proxy: ProxyProcess;

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

beforeAll(async () => {
  mkdirSync(path.join(root, '.tmp'), { recursive: true });
  outDir = mkdtempSync(path.join(root, '.tmp', 'build-'));
  const build = run(['--import', 'tsx', 'scripts/build.ts', '--out-dir', outDir]);
  const code = await build.exited;
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${build.output()}`);

  const stub = run([path.join(outDir, 'legacy-stub/src/main.js')], { LEGACY_PORT: '0' });
  const listening = /legacy-stub listening on (http:\/\/\S+)/;
  await until(() => listening.test(stub.output()) || stub.child.exitCode !== null, 20_000);
  const url = listening.exec(stub.output())?.[1];
  if (!url) throw new Error(`the compiled stand-in did not start:\n${stub.output()}`);
  legacy = { child: stub.child, url, output: stub.output };

  proxy = await startProxyProcess({ LEGACY_URL: legacy.url, STATUS_TOKEN }, productionArgs(outDir));
});

/** `npm run start:prod`'s node arguments, pointed at this build instead of dist/. */
function productionArgs(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = pkg.scripts['start:prod']!.split(/\s+/);
  expect(node).toBe('node');
  expect(args.at(-1)).toBe('dist/proxy/src/main.js');
  return [...args.slice(0, -1), path.join(dir, 'proxy/src/main.js')];
}

afterAll(async () => {
  await proxy?.stop();
  if (legacy) await stopChild(legacy.child);
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles every entry the image runs', () => {
    for (const entry of ['proxy/src/main.js', 'legacy-stub/src/main.js', 'legacy-stub/src/identity-provider/main.js', 'proxy/flags.json']) {
      expect(existsSync(path.join(outDir, entry)), entry).toBe(true);
    }
  });

  it('runs a proxy that is live and passes a request through to the compiled stand-in', async () => {
    const live = await fetch(`${proxy.url}/_proxy/health/live`);
    expect(live.status).toBe(200);

    const res = await fetch(`${proxy.url}/api/echo/through-the-build?x=1`, { headers: { 'x-correlation-id': 'build-test-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('build-test-1');
    expect(((await res.json()) as { url: string }).url).toBe('/api/echo/through-the-build?x=1');
  });

  it('serves the files the code reads by path: sign-in page, the stand-in frontend, the migrated routes', async () => {
    const signIn = await fetch(`${proxy.url}/_proxy/auth/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('<form');

    const frontend = await fetch(`${proxy.url}/style.css`);
    expect(frontend.status).toBe(200);
    expect(frontend.headers.get('content-type')).toMatch(/^text\/css/);

    const status = await fetch(`${proxy.url}/_proxy/status/api`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    expect(status.status).toBe(200);
    const routes = ((await status.json()) as { routes: Array<{ id: string }> }).routes.map((r) => r.id);
    expect(routes).toEqual(expect.arrayContaining(['course-detail', 'dashboard', 'enrollments']));
  });

  it('prints no runtime warnings (deprecations, experimental features)', () => {
    expect(proxy.output()).not.toMatch(/Warning:|\(node:\d+\)/);
    expect(legacy.output()).not.toMatch(/Warning:|\(node:\d+\)/);
  });
});
