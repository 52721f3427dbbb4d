import type { IdentityProviderOptions } from './server.ts';

/** A configuration mistake: the message names the variable and says what is wrong. */
export class IdpConfigError extends Error {
  override name = 'IdpConfigError';
}

/**
 * DEV ONLY. The client secret every local setup shares; never use it, or this provider, for
 * anything real. The proxy's default configuration uses the same value.
 */
export const DEV_CLIENT_SECRET = 'dev-only-secret';

const DEFAULT_PROXY_ORIGINS = ['http://127.0.0.1:8080', 'http://localhost:8080'];

/** Environment -> options for the dev identity provider's process. Fails on the first wrong value. */
export function idpOptionsFromEnv(env: NodeJS.ProcessEnv): IdentityProviderOptions {
  const accessTokenSec = seconds('IDP_ACCESS_TOKEN_TTL_SEC', env.IDP_ACCESS_TOKEN_TTL_SEC);
  return {
    port: port(env.IDP_PORT),
    issuerHost: issuerHost(env.IDP_ISSUER_HOST),
    clients: [
      {
        client_id: text('IDP_CLIENT_ID', env.IDP_CLIENT_ID) ?? 'strangler-proxy',
        client_secret: text('IDP_CLIENT_SECRET', env.IDP_CLIENT_SECRET) ?? DEV_CLIENT_SECRET,
        redirect_uris: urls('IDP_REDIRECT_URIS', env.IDP_REDIRECT_URIS) ?? DEFAULT_PROXY_ORIGINS.map((o) => `${o}/_proxy/auth/oidc/callback`),
        post_logout_redirect_uris:
          urls('IDP_POST_LOGOUT_REDIRECT_URIS', env.IDP_POST_LOGOUT_REDIRECT_URIS) ??
          DEFAULT_PROXY_ORIGINS.map((o) => `${o}/_proxy/auth/sign-in`),
      },
    ],
    ...(accessTokenSec !== undefined ? { ttl: { accessTokenSec } } : {}),
  };
}

function port(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 4100;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new IdpConfigError(`IDP_PORT must be a port number from 0 to 65535, got "${raw}"`);
  return Number(raw);
}

function issuerHost(raw: string | undefined): '127.0.0.1' | 'localhost' {
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (raw === '127.0.0.1' || raw === 'localhost') return raw;
  throw new IdpConfigError(`IDP_ISSUER_HOST must be 127.0.0.1 or localhost, got "${raw}"`);
}

function text(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/\s/.test(raw)) throw new IdpConfigError(`${name} must not contain spaces`);
  return raw;
}

function seconds(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new IdpConfigError(`${name} must be a whole number of seconds (1 or more), got "${raw}"`);
  return Number(raw);
}

function urls(name: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((item) => {
    const value = item.trim();
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new IdpConfigError(`${name}: "${value}" is not an absolute URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IdpConfigError(`${name}: "${value}" must be http(s)`);
    if (url.hash) throw new IdpConfigError(`${name}: "${value}" must not have a fragment`);
    return value;
  });
}
