import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { StubContext } from './context.ts';
import { compileFaultRules, parseFaultRules, type CompiledRule, type FaultRule } from './faults.ts';
import { createRecorder, createStats, type ReceivedRequest } from './received.ts';
import { createRequestPipeline } from './request-pipeline.ts';
import { createWorld, type SeedUser } from './seed.ts';
import { createTokenService } from './tokens.ts';
import { attachWebSocketEcho } from './websocket.ts';

export type { FaultRule } from './faults.ts';
export type { ReceivedRequest } from './received.ts';
export type { Course, Enrollment, Organisation, SeedUser, Session } from './seed.ts';
export type { HomeScreen } from './home.ts';
export { SEED_PASSWORD, organisations, seedUsers } from './seed.ts';
export { LEGACY_AUDIENCE, LEGACY_ISSUER } from './tokens.ts';
export { DOWNLOAD_PATTERN_PERIOD, downloadBytes, downloadChunks } from './download-bytes.ts';

export interface LegacyStubOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default none. */
  faults?: FaultRule[];
  /** Honour per-request x-fault-latency-ms / x-fault-status / x-fault-drop headers; default false. */
  faultHeaders?: boolean;
  /** Extra PUBLIC JWKs (with kid) whose tokens are accepted too: the proxy's minting key. */
  trustedKeys?: import('jose').JWK[] | object[];
  /** No request logging. */
  quiet?: boolean;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP, as many legacy APIs do. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface LegacyStub {
  /** http://127.0.0.1:PORT (https:// with `tls`) */
  url: string;
  port: number;
  server: http.Server;
  /** Ring buffer, last 1000, newest last. */
  received: ReceivedRequest[];
  setFaults(rules: FaultRule[]): void;
  /** For tests: a valid legacy JWT for a seed user. */
  issueToken(username: string, overrides?: { expiresInSec?: number }): string;
  users: ReadonlyArray<SeedUser>;
  /** Closes the server, all keep-alive sockets and websockets. */
  close(): Promise<void>;
}

export async function startLegacyStub(opts: LegacyStubOptions = {}): Promise<LegacyStub> {
  let rules: FaultRule[] = [];
  let compiled: CompiledRule[] = [];
  const setFaults = (input: unknown) => {
    const parsed = parseFaultRules(input);
    compiled = compileFaultRules(parsed);
    rules = parsed;
  };
  setFaults(opts.faults ?? []); // a wrong rule fails the start, before any key is generated

  const tokens = await createTokenService(opts.trustedKeys ?? []);
  const world = createWorld();
  const stats = createStats();
  const recorder = createRecorder();
  let listening: AddressInfo | undefined;

  const ctx: StubContext = {
    world,
    tokens,
    stats,
    origin: () => `${opts.tls ? 'https' : 'http'}://${urlHost(publicAddress(listening!))}:${listening!.port}`,
    cookieDomain: () => publicAddress(listening!),
    faults: { get: () => rules.map((rule) => ({ ...rule })), set: setFaults },
  };

  const server: http.Server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  const pipeline = createRequestPipeline({
    app: createApp(ctx),
    recorder,
    stats,
    faultRules: () => compiled,
    faultHeaders: opts.faultHeaders ?? false,
    quiet: opts.quiet ?? false,
  });
  server.on('request', pipeline.onRequest);
  server.on('checkContinue', pipeline.onCheckContinue);
  const websockets = attachWebSocketEcho(server, recorder);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  listening = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: ctx.origin(),
    port: listening.port,
    server,
    received: recorder.received,
    setFaults,
    issueToken(username, overrides = {}) {
      const user = world.users.find((u) => u.username === username);
      if (!user) throw new Error(`issueToken: no seed user "${username}"`);
      return tokens.issue(user, overrides.expiresInSec);
    },
    users: world.users,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        websockets.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A wildcard listen address is reached, and named, through loopback. */
function publicAddress({ address }: AddressInfo): string {
  return address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
