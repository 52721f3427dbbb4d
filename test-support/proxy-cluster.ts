import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLegacyStub, type LegacyStub } from '../legacy-stub/src/server.ts';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';
import { freePort } from './free-port.ts';
import { startHaproxy, type Haproxy } from './haproxy.ts';
import { startProxyProcess, type ProxyProcess } from './proxy-process.ts';
import { startRedis, type RedisHandle } from './redis-server.ts';
import { until } from './until.ts';

export interface ProxyCluster {
  redis: RedisHandle;
  legacy: LegacyStub;
  lb: Haproxy;
  /** The instances as running now (a restart replaces its entry), named p1, p2... in HAProxy. */
  instances: ProxyProcess[];
  /** Instances a restart replaced, oldest first (their output, for diagnosis). */
  retired: ProxyProcess[];
  names: string[];
  /** http://localhost:LB_PORT: PUBLIC_URL, the origin browsers (and WebAuthn) see. */
  publicOrigin: string;
  /** Waits until HAProxy reports the instance in `state` (`UP`, `DOWN`...). */
  waitForState(i: number, state: string, timeoutMs?: number): Promise<void>;
  /**
   * A rolling restart's step: SIGTERM, the process exits by itself, a new one starts on the same
   * port and HAProxy has it back. Says whether HAProxy had taken it out before it exited.
   */
  restart(i: number): Promise<{ exit: { code: number | null; signal: NodeJS.Signals | null }; outBeforeExit: boolean; lastWords: string }>;
  /** SIGKILL, as a crash. */
  killRedis(): Promise<void>;
  /** Back on its port with what it had written (append-only file). */
  restoreRedis(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  /** The friendly flags format of test-support/stack.ts: { 'route.x': { rollout } }. */
  flags: Record<string, { rollout?: number; shadow?: boolean; enabled?: boolean }>;
  /** Health checks: interval (ms), checks failed to go out, passed to come back. */
  check: { interMs: number; fall: number; rise: number };
  env: Record<string, string>;
}

/**
 * A production-shaped cluster on loopback: one real Redis (with an append-only file, as in
 * production), one legacy stand-in (in this process), `size` proxy processes on fixed ports
 * sharing a flags file, the session secret and the minting key, and HAProxy in front.
 */
export async function startProxyCluster(opts: ClusterOptions): Promise<ProxyCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'proxy-cluster-'));
  const flagsFile = path.join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify({ flags: opts.flags }, null, 2));
  const redisDir = path.join(dir, 'redis');
  mkdirSync(redisDir);
  // What has started, for a start-up that fails half-way.
  const started: Array<() => Promise<unknown>> = [];
  const undo = async (err: unknown): Promise<never> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  };

  let redis = await startRedis({ dataDir: redisDir }).catch(undo);
  started.push(() => redis.stop());
  const mint = await generateDevKeyPair('cluster-mint-key');
  const legacy = await startLegacyStub({ quiet: true, trustedKeys: [mint.publicJwk] }).catch(undo);
  started.push(() => legacy.close());
  const lbPort = await freePort();
  const ports: number[] = [];
  for (let i = 0; i < opts.size; i++) ports.push(await freePort());
  const publicOrigin = `http://localhost:${lbPort}`;
  const env = (port: number): Record<string, string> => ({
    LEGACY_URL: legacy.url,
    REDIS_URL: redis.url,
    FLAGS_FILE: flagsFile,
    SESSION_SECRET: 'cluster-test-session-secret-0123456789abcdef',
    MINT_PRIVATE_KEY: mint.privateKeyPem,
    MINT_KEY_ID: 'cluster-mint-key',
    TRUST_FORWARDED: '1',
    PUBLIC_URL: publicOrigin,
    ...opts.env,
    PORT: String(port),
  });
  const instances: ProxyProcess[] = [];
  started.push(() => Promise.all(instances.map((p) => p.stop())));
  const starts = await Promise.allSettled(ports.map((port) => startProxyProcess(env(port))));
  for (const s of starts) if (s.status === 'fulfilled') instances.push(s.value);
  const failed = starts.find((s) => s.status === 'rejected');
  if (failed) await undo(failed.reason);
  const names = ports.map((_, i) => `p${i + 1}`);
  const lb = await startHaproxy({
    port: lbPort,
    servers: names.map((name, i) => ({ name, port: ports[i]! })),
    checkInterMs: opts.check.interMs,
    fall: opts.check.fall,
    rise: opts.check.rise,
  }).catch(undo);

  const cluster: ProxyCluster = {
    get redis() {
      return redis;
    },
    legacy,
    lb,
    instances,
    retired: [],
    names,
    publicOrigin,
    async waitForState(i, state, timeoutMs = 15_000) {
      await until(async () => (await lb.states())[names[i]!] === state, timeoutMs).catch((err: Error) => {
        throw new Error(`${names[i]} did not turn ${state} in HAProxy: ${err.message}\n${instances[i]!.output().slice(-3_000)}`);
      });
    },
    async restart(i) {
      const old = instances[i]!;
      old.child.kill('SIGTERM');
      const out = cluster.waitForState(i, 'DOWN').then(
        () => true,
        () => false,
      );
      const outBeforeExit = await Promise.race([out, old.exited.then(() => false)]);
      const exit = await old.exited;
      cluster.retired.push(old);
      instances[i] = await startProxyProcess(env(ports[i]!));
      await cluster.waitForState(i, 'UP');
      return { exit, outBeforeExit, lastWords: old.output().slice(-4_000) };
    },
    killRedis: () => redis.kill(),
    async restoreRedis() {
      redis = await startRedis({ port: redis.port, dataDir: redisDir });
    },
    async stop() {
      await lb.stop();
      await Promise.allSettled(instances.map((p) => p.stop()));
      await legacy.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
