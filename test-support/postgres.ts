import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

export interface PostgresHandle {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

const PG_USER = 'postgres';

/**
 * Starts a real, throwaway PostgreSQL cluster (initdb + pg_ctl) in a temp dir, listening on
 * a free loopback port, with its unix socket in the same temp dir and durability switched off.
 * Fails loudly when the binaries or the postgres system user are missing: CI must never skip.
 */
export async function startPostgres(): Promise<PostgresHandle> {
  const asUser = await resolveRunAs();
  const root = await mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'sock');
  const logFile = path.join(root, 'postgres.log');
  try {
    await mkdir(socketDir);
    if (asUser) {
      await chown(root, asUser.uid, asUser.gid);
      await chown(socketDir, asUser.uid, asUser.gid);
    }
    await pg(asUser, 'initdb', [
      '-D', dataDir, '-U', PG_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ]);
    const port = await freePort();
    // Settings go in the config file rather than `pg_ctl -o`, which pg_ctl re-parses through a shell.
    await appendFile(
      path.join(dataDir, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${socketDir}'`,
        // A test database is thrown away: durability only costs start-up and test time.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    await pg(asUser, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']).catch(async (err: Error) => {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`${err.message}\n--- postgres.log ---\n${log}`);
    });
    const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://${PG_USER}@127.0.0.1:${port}/postgres`,
      port,
      pid,
      dataDir,
      stop: () => (stopping ??= stopCluster(asUser, dataDir, pid, root)),
    };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function stopCluster(asUser: RunAs | undefined, dataDir: string, pid: number, root: string): Promise<void> {
  // pg_ctl -w returns once postmaster.pid is gone, a moment before the process itself is.
  await pg(asUser, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  if (!(await waitForExit(pid, 5_000))) {
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  await rm(root, { recursive: true, force: true });
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** True while the process exists and is not a zombie waiting for its parent (or init) to reap it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProcStat(pid);
  return stat === undefined || !/^\d+ \(.*\) Z/s.test(stat);
}

function readProcStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // no procfs (not Linux) or the process just went away
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** initdb refuses to run as root: as root, the cluster runs as the `postgres` system user. */
async function resolveRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', PG_USER]).then((r) => Number(r.stdout.trim())),
      run('id', ['-g', PG_USER]).then((r) => Number(r.stdout.trim())),
    ]);
    return { uid, gid };
  } catch {
    throw new Error(`running as root, but there is no '${PG_USER}' system user to run PostgreSQL as`);
  }
}

async function pg(asUser: RunAs | undefined, cmd: string, args: string[]): Promise<void> {
  const [file, argv] = asUser ? ['runuser', ['-u', PG_USER, '--', cmd, ...args]] : [cmd, args];
  try {
    // cwd /: the postgres user may not be allowed into the caller's working directory.
    await run(file, argv, { cwd: '/', timeout: 60_000 });
  } catch (err) {
    // execFile's message already carries the command's stderr.
    throw new Error(`PostgreSQL: '${cmd}' failed (are the PostgreSQL binaries on PATH?): ${(err as Error).message}`);
  }
}
