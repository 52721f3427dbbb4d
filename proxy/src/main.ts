import { loadConfig, ConfigError } from './config.ts';
import { createLogger } from './edge/logging.ts';
import { createProxy } from './app.ts';

/** Process entry: configuration, listen, graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`strangler-proxy: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const proxy = await createProxy(config, log);
  const port = await proxy.listen();
  log.info({ port, legacy: config.legacyUrl }, `proxy listening on http://${config.host}:${port} -> ${config.legacyUrl}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, drainMs: config.drainDelayMs }, 'draining: readiness says 503, still serving until the load balancer has seen it');
    await proxy.drain();
    log.info({ graceMs: config.shutdownGraceMs }, 'shutting down: no longer accepting, finishing in-flight requests');
    await proxy.close();
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`strangler-proxy: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
