import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.ts';
import { stopChild, waitForPort } from './child-process.ts';

export interface RedisHandle {
  url: string;
  port: number;
  pid: number;
  /** SIGKILL, as a crash would; resolves once the process is gone and its port is free. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as with a hung or swapping server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it (a paused server is resumed first, or it could not act on SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Starts a real, throwaway redis-server on a free loopback port (no persistence), or on `port`
 * (a restart after kill(), where the proxy expects it). With `dataDir` it keeps an append-only
 * file there, as a production Redis does, so a restart on the same directory after kill() has
 * every acknowledged write (written to the file before the reply; a killed process loses
 * nothing the kernel holds, so no fsync is needed). Fails loudly when redis-server is not
 * installed: CI must install it, never skip.
 */
export async function startRedis(opts: { port?: number; dataDir?: string } = {}): Promise<RedisHandle> {
  const port = opts.port ?? (await freePort());
  const persistence = opts.dataDir ? ['--appendonly', 'yes', '--appendfsync', 'no', '--dir', opts.dataDir] : ['--appendonly', 'no'];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', ...persistence],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`redis-server could not start (is it installed?): ${err.message}`))),
  );
  await Promise.race([waitForPort(port, 10_000, () => output), spawnError]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
      await stopChild(child);
    },
  };
}
