import { ConfigError, optionsFromEnv } from './config.ts';
import { startLegacyStub } from './server.ts';

/** Process entry: `npm run start:legacy`. Env in, URL out, clean exit on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let options;
  try {
    options = optionsFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`legacy-stub: ${err.message}\n`);
    process.exit(1);
  }

  // Key problems surface here (a trusted JWK that is not usable): same rule, name the variable.
  const stub = await startLegacyStub(options).catch((err: Error) => {
    const about = /trusted key/.test(err.message) ? 'LEGACY_TRUSTED_JWKS: ' : '';
    process.stderr.write(`legacy-stub: could not start: ${about}${err.message}\n`);
    process.exit(1);
  });
  process.stdout.write(`legacy-stub listening on ${stub.url}\n`);

  const stop = (signal: string) => {
    process.stdout.write(`legacy-stub: ${signal}, closing\n`);
    stub.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`legacy-stub: close failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
