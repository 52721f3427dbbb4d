import { Writable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLegacyStub, type LegacyStub, type LegacyStubOptions } from '../legacy-stub/src/server.ts';
import { createProxy, type Proxy } from '../proxy/src/app.ts';
import { loadConfig } from '../proxy/src/config.ts';
import { createLogger } from '../proxy/src/edge/logging.ts';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';
import { reservePort } from './free-port.ts';

export interface Stack {
  legacy: LegacyStub;
  proxy: Proxy;
  proxyPort: number;
  proxyUrl: string;
  /** The origin a browser uses: http://localhost:PORT (WebAuthn needs a host name, not an IP). */
  publicOrigin: string;
  /** The flags file this stack's proxy watches (a temporary copy). */
  flagsFile: string;
  /** Rewrites the flags file in the friendly format: { 'route.x': { rollout, shadow } }. */
  setFlags(flags: Record<string, { rollout?: number; shadow?: boolean; enabled?: boolean }>): void;
  /** Every JSON log line the proxy wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** The raw log text, to search for secrets that must not be there. */
  logText(): string;
  stop(): Promise<void>;
}

const ALL_LEGACY = { 'route.dashboard': {}, 'route.course-detail': {}, 'route.enrollments': {} };

/**
 * The legacy stand-in and the proxy in front of it, both in this process on free loopback
 * ports; the stand-in trusts the proxy's minting key, as a real legacy API would be told to.
 * Flags start with every route on legacy unless `flags` says otherwise.
 */
export async function startStack(
  opts: { env?: Record<string, string>; legacy?: LegacyStubOptions; flags?: Parameters<Stack['setFlags']>[0]; reserved?: Awaited<ReturnType<typeof reservePort>> } = {},
): Promise<Stack> {
  const mint = await generateDevKeyPair('stack-test-key');
  const legacy = await startLegacyStub({ quiet: true, ...opts.legacy, trustedKeys: [mint.publicJwk, ...(opts.legacy?.trustedKeys ?? [])] });
  const proxied = await startProxy({
    legacyUrl: legacy.url,
    flags: opts.flags,
    reserved: opts.reserved,
    env: { MINT_PRIVATE_KEY: mint.privateKeyPem, MINT_KEY_ID: 'stack-test-key', ...opts.env },
  });
  return {
    ...proxied,
    legacy,
    get logs() {
      return proxied.logs;
    },
    async stop() {
      await proxied.stop();
      await legacy.close();
    },
  };
}

export type ProxyInFront = Omit<Stack, 'legacy'>;

/**
 * The proxy alone, in front of any legacy API (`legacyUrl`), on a known loopback port, with a
 * flags file of its own and every log line captured; the same logger and redaction as production.
 */
export async function startProxy(opts: {
  legacyUrl: string;
  env?: Record<string, string>;
  flags?: Parameters<Stack['setFlags']>[0];
  reserved?: Awaited<ReturnType<typeof reservePort>>;
}): Promise<ProxyInFront> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-flags-'));
  const flagsFile = path.join(dir, 'flags.json');
  const setFlags: Stack['setFlags'] = (flags) => writeFileSync(flagsFile, JSON.stringify({ flags }, null, 2));
  setFlags(opts.flags ?? ALL_LEGACY);

  const lines: string[] = [];
  const parsed: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(line);
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  // A known port, so the public origin (WebAuthn origin, OIDC redirect) can name it; held
  // until the proxy listens, so no other test process takes it meanwhile.
  const reservation = opts.reserved ?? (await reservePort());
  const port = reservation.port;
  const config = loadConfig({
    LEGACY_URL: opts.legacyUrl,
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    LOG_LEVEL: 'info',
    FLAGS_FILE: flagsFile,
    SESSION_SECRET: 'stack-test-session-secret-0123456789abcdef',
    ...opts.env,
  });
  const proxy = await createProxy(config, createLogger('info', sink));
  await reservation.release();
  const proxyPort = await proxy.listen(port, '127.0.0.1');
  return {
    proxy,
    proxyPort,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    publicOrigin: `http://localhost:${proxyPort}`,
    flagsFile,
    setFlags,
    get logs() {
      return parsed;
    },
    logText: () => lines.join('\n'),
    stop: () => proxy.close(1_000),
  };
}
