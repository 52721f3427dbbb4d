import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.ts';
import { stopChild, waitForPort } from './child-process.ts';

export interface RedisHandle {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a real, throwaway redis-server on a free loopback port (no persistence).
 * Fails loudly when redis-server is not installed: CI must install it, never skip.
 */
export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
    stop: () => stopChild(child),
  };
}
