import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';
import { startPostgres, type PostgresHandle } from './postgres.ts';
import { stopChild } from './child-process.ts';

export interface UnleashHandle {
  /** API base, e.g. http://127.0.0.1:PORT; an SDK uses `${url}/api`. */
  url: string;
  /** Admin API token (`*:*.` style). */
  adminToken: string;
  /** Backend (client SDK) token for project 'default', environment 'development'. */
  clientToken: string;
  pid: number;
  /** The PostgreSQL postmaster's pid, so a test can check nothing is left behind. */
  postgresPid: number;
  /** Stops unleash-server by its own pid, then PostgreSQL. */
  stop(): Promise<void>;
  createFlag(name: string): Promise<void>;
  /** Creates or updates the flag's single flexibleRollout strategy (groupId = flag name). */
  setRollout(name: string, percent: number, stickiness?: string): Promise<void>;
  enable(name: string): Promise<void>;
  disable(name: string): Promise<void>;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./unleash-child.mjs', import.meta.url));
const PROJECT = 'default';
const ENVIRONMENT = 'development';

/**
 * Starts a real unleash-server (in a child process) on a throwaway PostgreSQL cluster,
 * with pre-created admin and client tokens. Throws when either cannot start: never skip.
 */
export async function startUnleash(opts: { startupTimeoutMs?: number } = {}): Promise<UnleashHandle> {
  const startupTimeoutMs = opts.startupTimeoutMs ?? 90_000;
  const pg = await startPostgres();
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const adminToken = `*:*.${randomBytes(24).toString('hex')}`;
    const clientToken = `${PROJECT}:${ENVIRONMENT}.${randomBytes(24).toString('hex')}`;
    child = spawn(process.execPath, [CHILD_SCRIPT], {
      env: {
        ...process.env,
        UNLEASH_CHILD_OPTIONS: JSON.stringify(unleashOptions(pg, port, url, adminToken, clientToken)),
        // Behave as deployed (production error handler); vitest's NODE_ENV=test changes Unleash's edition logic.
        NODE_ENV: 'production',
        // The network is closed: a hung outbound call would stall start-up. Unleash reads `telemetry: false`
        // as "unset" (options.telemetry || env), so only SEND_TELEMETRY turns it off.
        CHECK_VERSION: 'false',
        SEND_TELEMETRY: 'false',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output = tailOf(child);
    await waitForHealth(url, child, startupTimeoutMs, output);
    const api = adminApi(url, adminToken);
    // initApiTokens only logs a warning when it fails; find out now rather than in a confusing 401 later.
    await api('GET', `/api/admin/projects/${PROJECT}/features`);
    await expectOk(fetch(`${url}/api/client/features`, { headers: { Authorization: clientToken } }), 'client token check');
    return handle(url, adminToken, clientToken, child, pg, api);
  } catch (err) {
    if (child) await stopChild(child);
    await pg.stop();
    throw err;
  }
}

function unleashOptions(pg: PostgresHandle, port: number, url: string, adminToken: string, clientToken: string) {
  return {
    db: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: '', database: 'postgres', ssl: false },
    server: { host: '127.0.0.1', port, unleashUrl: url },
    logLevel: 'warn',
    versionCheck: { enable: false },
    telemetry: false,
    authentication: {
      type: 'open-source',
      enableApiToken: true,
      // Tokens are enough for tests; skipping the default admin user also skips a bcrypt hash.
      createAdminUser: false,
      initApiTokens: [
        { secret: adminToken, type: 'admin', projects: ['*'], environment: '*', tokenName: 'test-admin' },
        { secret: clientToken, type: 'backend', projects: [PROJECT], environment: ENVIRONMENT, tokenName: 'test-client' },
      ],
    },
  };
}

function handle(
  url: string,
  adminToken: string,
  clientToken: string,
  child: ChildProcess,
  pg: PostgresHandle,
  api: AdminApi,
): UnleashHandle {
  const feature = (name: string) => `/api/admin/projects/${PROJECT}/features/${encodeURIComponent(name)}`;
  const strategies = (name: string) => `${feature(name)}/environments/${ENVIRONMENT}/strategies`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    adminToken,
    clientToken,
    pid: child.pid!,
    postgresPid: pg.pid,
    stop: () => (stopping ??= stopChild(child).then(() => pg.stop())),
    async createFlag(name) {
      await api('POST', `/api/admin/projects/${PROJECT}/features`, { name, type: 'release' });
    },
    async setRollout(name, percent, stickiness = 'default') {
      const strategy = {
        name: 'flexibleRollout',
        constraints: [],
        parameters: { rollout: String(percent), stickiness, groupId: name },
      };
      const existing = (await api('GET', strategies(name))) as { id: string }[];
      if (existing.length > 1) throw new Error(`flag '${name}' has ${existing.length} strategies; expected at most one`);
      const [current] = existing;
      if (current) await api('PUT', `${strategies(name)}/${current.id}`, strategy);
      else await api('POST', strategies(name), strategy);
    },
    async enable(name) {
      await api('POST', `${feature(name)}/environments/${ENVIRONMENT}/on`);
    },
    async disable(name) {
      await api('POST', `${feature(name)}/environments/${ENVIRONMENT}/off`);
    },
  };
}

type AdminApi = (method: string, path: string, body?: unknown) => Promise<unknown>;

function adminApi(url: string, adminToken: string): AdminApi {
  return async (method, path, body) => {
    const res = await expectOk(
      fetch(`${url}${path}`, {
        method,
        headers: { Authorization: adminToken, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      `${method} ${path}`,
    );
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  };
}

async function expectOk(pending: Promise<Response>, what: string): Promise<Response> {
  const res = await pending;
  if (!res.ok) throw new Error(`Unleash ${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`unleash-server could not be spawned: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`unleash-server exited during start-up (code ${child.exitCode}, signal ${child.signalCode})\n${output()}`);
    }
    const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (healthy) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`unleash-server did not answer GET /health with 200 within ${timeoutMs} ms\n${output()}`);
}

/** Keeps the child's last few KB of output for error messages. */
function tailOf(child: ChildProcess, maxChars = 8_000): () => string {
  let buf = '';
  const keep = (d: Buffer) => {
    buf = (buf + d.toString()).slice(-maxChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => buf;
}
