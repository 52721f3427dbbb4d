import * as oidc from 'openid-client';

export interface OidcClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Plain-http issuer: only for a loopback dev/test provider (refused for any other host). */
  allowInsecure: boolean;
  /** Seconds each request to the provider may take. Default 10. */
  timeoutSec?: number;
}

export interface OidcClient {
  /** The discovered provider and this client, fetched on first use and kept. */
  configuration(): Promise<oidc.Configuration>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The relying party's view of the identity provider. Discovery is lazy and retried after a
 * failure: the proxy must start, and keep passing traffic through, while the provider is down.
 */
export function createOidcClient(opts: OidcClientOptions): OidcClient {
  const issuer = new URL(opts.issuer);
  if (opts.allowInsecure && !LOOPBACK.has(issuer.hostname)) {
    throw new Error(`insecure OIDC requests are allowed for a loopback issuer only, not ${issuer.host}`);
  }
  let pending: Promise<oidc.Configuration> | undefined;

  return {
    configuration() {
      pending ??= oidc
        .discovery(issuer, opts.clientId, undefined, oidc.ClientSecretBasic(opts.clientSecret), {
          timeout: opts.timeoutSec ?? 10,
          ...(opts.allowInsecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        })
        .catch((err: unknown) => {
          pending = undefined;
          throw err;
        });
      return pending;
    },
  };
}
