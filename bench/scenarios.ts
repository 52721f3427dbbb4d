import { freePort } from '../test-support/free-port.ts';
import { spawnTs, stop, waitUntilServing } from './processes.ts';

/**
 * A scenario is one row of the table: something to put load on. `setup` starts what it needs
 * (each its own process, pinned to `ctx.cpu`) and says where to send requests and which
 * process to weigh. The migrated dashboard (cold cache, warm cache, one slow upstream) needs
 * logins, fresh starts and fault rules, so it is its own phase: bench/dashboard/phase.ts.
 */

export interface BenchContext {
  /** The shared legacy stand-in, already running. */
  legacyUrl: string;
  legacyPid: number;
  /** The core contenders are pinned to. */
  cpu: string;
}

export interface Running {
  url: string;
  /** The process under test: its peak memory is reported. */
  pid: number;
  /** Every process this scenario started (stopped by teardown). */
  pids: number[];
  teardown(): Promise<void>;
}

export interface Scenario {
  id: string;
  name: string;
  /** Diagnostic rows run only when named in BENCH_SCENARIOS. */
  diagnostic?: boolean;
  setup(ctx: BenchContext): Promise<Running>;
  path: string;
  headers?: Record<string, string>;
}

/** A realistic small JSON GET that needs no token; the stand-in serves /api/echo below its Express app. */
const PATH = '/api/echo/courses?orgId=org-uninett';

export const scenarios: Scenario[] = [
  {
    id: 'direct',
    name: 'stand-in direct',
    path: PATH,
    setup: async (ctx) => ({ url: ctx.legacyUrl, pid: ctx.legacyPid, pids: [], teardown: async () => {} }),
  },
  {
    id: 'bare',
    name: 'bare node:http proxy',
    path: PATH,
    setup: (ctx) => startContender('bench/contenders/bare-proxy.ts', ctx, { TARGET: ctx.legacyUrl }),
  },
  {
    id: 'textbook',
    name: 'Express 5 + HPM (keep-alive)',
    path: PATH,
    setup: (ctx) => startContender('bench/contenders/textbook-express.ts', ctx, { TARGET: ctx.legacyUrl }),
  },
  {
    id: 'textbook-no-agent',
    name: 'Express 5 + HPM (no agent)',
    path: PATH,
    setup: (ctx) => startContender('bench/contenders/textbook-express.ts', ctx, { TARGET: ctx.legacyUrl, AGENT: 'none' }),
  },
  {
    id: 'proxy',
    name: 'this proxy (defaults, logs on)',
    path: PATH,
    setup: (ctx) => startThisProxy(ctx, 'info'),
  },
  {
    id: 'hpm-node-http',
    name: 'HPM straight from node:http',
    diagnostic: true,
    path: PATH,
    setup: (ctx) => startContender('bench/contenders/hpm-node-http.ts', ctx, { TARGET: ctx.legacyUrl }),
  },
  {
    id: 'proxy-silent',
    name: 'this proxy, LOG_LEVEL=silent',
    diagnostic: true,
    path: PATH,
    setup: (ctx) => startThisProxy(ctx, 'silent'),
  },
];

/** `npm run start:proxy` as deployed: its defaults, logging at info, the log lines going to /dev/null. */
function startThisProxy(ctx: BenchContext, logLevel: string): Promise<Running> {
  return startContender('proxy/src/main.ts', ctx, { LEGACY_URL: ctx.legacyUrl, HOST: '127.0.0.1', LOG_LEVEL: logLevel });
}

async function startContender(file: string, ctx: BenchContext, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  // stdout to /dev/null: the proxy's request log is written (logging stays on) but costs no pipe reader.
  const child = spawnTs(file, { cpu: ctx.cpu, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, child);
  } catch (err) {
    await stop(child);
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return { url, pid: child.pid!, pids: [child.pid!], teardown: () => stop(child) };
}
