import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Provider from 'oidc-provider';
import { interactionRouter } from './interactions.ts';
import { providerConfiguration, type IdpClient, type TokenLifetimes } from './provider-config.ts';
import { createDirectory, seedIdpUsers, type IdpUser } from './users.ts';

export type { IdpClient, TokenLifetimes } from './provider-config.ts';
export { seedIdpUsers, subFor, type IdpUser } from './users.ts';

export interface IdentityProviderOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** The host in the issuer URL; the provider listens on 127.0.0.1 either way. Default '127.0.0.1'. */
  issuerHost?: '127.0.0.1' | 'localhost';
  clients: IdpClient[];
  /** Default: the legacy stand-in's seeded people (seedIdpUsers()). */
  users?: IdpUser[];
  ttl?: TokenLifetimes;
}

export interface IdentityProvider {
  /** http://127.0.0.1:PORT (or localhost): the issuer identifier, discovery lives below it. */
  issuer: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (oidc-provider) standing in for the organisation's identity provider
 * in development and tests. Its keys and cookie secrets are generated at every start.
 */
export async function startIdentityProvider(opts: IdentityProviderOptions): Promise<IdentityProvider> {
  const directory = createDirectory(opts.users ?? seedIdpUsers());
  // The issuer names the port, so the socket is bound first and the provider built after.
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${opts.issuerHost ?? '127.0.0.1'}:${port}`;

  let provider: Provider;
  try {
    provider = new Provider(issuer, providerConfiguration(directory, opts.clients, opts.ttl ?? {}));
  } catch (err) {
    server.close();
    throw err;
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(interactionRouter(provider, directory));
  app.use(provider.callback());
  server.on('request', app);

  let closing: Promise<void> | undefined;
  return {
    issuer,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
