import { IdpConfigError, idpOptionsFromEnv } from './config.ts';
import { startIdentityProvider } from './server.ts';

/**
 * Process entry of the dev identity provider: `tsx legacy-stub/src/identity-provider/main.ts`.
 * Env in, issuer out, clean exit on SIGTERM/SIGINT. Development and tests only.
 */
async function main(): Promise<void> {
  let options;
  try {
    options = idpOptionsFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof IdpConfigError)) throw err;
    process.stderr.write(`identity-provider: ${err.message}\n`);
    process.exit(1);
  }
  const idp = await startIdentityProvider(options).catch((err: Error) => {
    process.stderr.write(`identity-provider: could not start: ${err.message}\n`);
    process.exit(1);
  });
  const client = options.clients[0]!;
  process.stdout.write(
    `identity-provider (DEV ONLY) issuer ${idp.issuer}\n` +
      `  client ${client.client_id}, redirect URIs ${client.redirect_uris.join(', ')}\n` +
      `  users: the legacy stand-in's (ingrid, ola, kari, lars, emma, nina), password "password"\n`,
  );

  const stop = (signal: string) => {
    process.stdout.write(`identity-provider: ${signal}, closing\n`);
    idp.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`identity-provider: close failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
