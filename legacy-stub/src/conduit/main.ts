import { ConfigError } from '../config.ts';
import { conduitOptionsFromEnv } from './config.ts';
import { startConduitStub } from './server.ts';

/** Process entry: `npm run start:conduit`. Env in, URL out, clean exit on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let options;
  try {
    options = conduitOptionsFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`conduit-stub: ${err.message}\n`);
    process.exit(1);
  }

  const stub = await startConduitStub(options).catch((err: Error) => {
    process.stderr.write(`conduit-stub: could not start: ${err.message}\n`);
    process.exit(1);
  });
  const secretNote = options.secret || stub.tokens === 'opaque' ? '' : '; a random secret: set CONDUIT_JWT_SECRET to share one with the proxy';
  process.stdout.write(`conduit-stub listening on ${stub.url} (${stub.tokens} tokens${secretNote})\n`);

  const stop = (signal: string) => {
    process.stdout.write(`conduit-stub: ${signal}, closing\n`);
    stub.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`conduit-stub: close failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
