import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ProxyProcess {
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** Peak resident memory of the process so far (VmHWM), in bytes. */
  peakRss(): number;
  /** Current resident memory (VmRSS), in bytes. */
  rss(): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * Runs the proxy as its own process (`proxy/src/main.ts`), as `npm run start:proxy` would, on
 * a port the kernel picks (PORT=0), read back from its start-up log line: no port race. A
 * caller that needs a fixed address (a load balancer's server list, a restart that must come
 * back where it was) gives `env.PORT`.
 * `nodeArgs` may run the compiled proxy instead, as `npm run start:prod` does.
 */
export async function startProxyProcess(env: Record<string, string>, nodeArgs = ['--import', 'tsx', 'proxy/src/main.ts']): Promise<ProxyProcess> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env, PORT: env.PORT ?? '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await Promise.race([
    listeningPort(() => out, 20_000),
    exited.then(({ code }): number => {
      throw new Error(`proxy exited with ${code} before listening:\n${out}`);
    }),
  ]);
  const status = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return Number(m![1]) * 1024;
  };
  return {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    exited,
    stop: () => stopChild(child),
  };
}

async function listeningPort(output: () => string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /"port":(\d+)[^\n]*proxy listening/.exec(output());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the proxy did not say it was listening within ${timeoutMs} ms:\n${output()}`);
}

/** Runs the proxy's entry with the given environment and waits for it to exit (for config errors). */
export function runProxyToExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'proxy/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`proxy did not exit within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: out });
    });
  });
}
