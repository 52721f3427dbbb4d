import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { startLegacyStub, type LegacyStub, type LegacyStubOptions } from '../legacy-stub/src/server.ts';
import { createProxy, type Proxy } from '../proxy/src/app.ts';
import { loadConfig } from '../proxy/src/config.ts';

export interface Stack {
  legacy: LegacyStub;
  proxy: Proxy;
  proxyPort: number;
  proxyUrl: string;
  /** Every JSON log line the proxy wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The raw log text, to search for secrets that must not be there. */
  logText(): string;
  stop(): Promise<void>;
}

/** The legacy stand-in and the proxy in front of it, both on free loopback ports. */
export async function startStack(opts: { env?: Record<string, string>; legacy?: LegacyStubOptions } = {}): Promise<Stack> {
  const legacy = await startLegacyStub({ quiet: true, ...opts.legacy });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const log: Logger = pino({ level: 'info' }, sink);
  const config = loadConfig({ LEGACY_URL: legacy.url, PORT: '0', LOG_LEVEL: 'info', ...opts.env });
  // The logger used by the proxy is built by the proxy's own factory in production; tests
  // swap the destination only, keeping the same redaction rules.
  const { createLogger } = await import('../proxy/src/edge/logging.ts');
  const proxyLog = createLogger('info', sink);
  void log;
  const proxy = await createProxy(config, proxyLog);
  const proxyPort = await proxy.listen(0, '127.0.0.1');
  return {
    legacy,
    proxy,
    proxyPort,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
    async stop() {
      await proxy.close(1_000);
      await legacy.close();
    },
  };
}
