import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../test-support/child-process.ts';

/**
 * Every process the benchmark starts goes through here, pinned to a core with taskset (which
 * execs, so the child's pid is the measured process itself), and is remembered so that
 * `stopAll` ends each one by its own pid: at the end, on an error, on Ctrl-C.
 */

export const root = fileURLToPath(new URL('..', import.meta.url));

const running = new Set<ChildProcess>();

export interface PinnedOptions {
  cpu: string;
  env?: Record<string, string>;
  /** Default: output ignored. 'pipe' to read it. */
  stdio?: StdioOptions;
}

export function spawnPinned(command: string, args: string[], opts: PinnedOptions): ChildProcess {
  const child = spawn('taskset', ['-c', opts.cpu, command, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...opts.env },
    stdio: opts.stdio ?? 'ignore',
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/** A TypeScript entry run by Node with tsx's loader (no npx/sh in between: the pid is Node's). */
export function spawnTs(file: string, opts: PinnedOptions & { nodeArgs?: string[] }): ChildProcess {
  return spawnPinned(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', file], opts);
}

/** Runs a pinned command to its end and returns its stdout; fails on a non-zero exit or after `timeoutMs`. */
export function runToEnd(command: string, args: string[], opts: PinnedOptions & { timeoutMs: number }): Promise<string> {
  const child = spawnPinned(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${err.trim() || out.trim()}`));
    });
  });
}

/** Resolves once `url` answers any HTTP status; fails if the child exits first or time runs out. */
export async function waitUntilServing(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process ${child.pid} exited (${child.exitCode ?? child.signalCode}) before serving ${url}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
      socket.once('data', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
      socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing served ${url} within ${timeoutMs} ms`);
}

/** Peak resident memory (VmHWM) of a live process, in bytes. */
export function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * CPU time the process has used so far (user + system, all its threads), in seconds. Unlike
 * wall-clock throughput, CPU per request does not move when a neighbour steals the core.
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

// USER_HZ: 100 on every Linux these benchmarks run on (`getconf CLK_TCK`).
const CLOCK_TICKS = 100;

/** Stops one child by its pid: SIGTERM, then SIGKILL if it lingers. */
export const stop = (child: ChildProcess, graceMs = 3_000): Promise<void> => stopChild(child, graceMs);

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stop(child)));
}

/** Last resort when the runner itself is exiting: no time left to wait, so SIGKILL by pid. */
export function killAllNow(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
