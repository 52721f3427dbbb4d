import { ConfigError } from '../config.ts';
import type { ConduitStubOptions } from './server.ts';
import { MIN_SECRET_BYTES } from './tokens.ts';

/** Environment -> options for `npm run start:conduit`. A wrong value names its variable. */
export function conduitOptionsFromEnv(env: NodeJS.ProcessEnv): ConduitStubOptions {
  return {
    port: port(env.CONDUIT_PORT),
    host: host(env.CONDUIT_HOST),
    tokens: tokenKind(env.CONDUIT_TOKENS),
    ...secret(env.CONDUIT_JWT_SECRET),
  };
}

function port(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 4001;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`CONDUIT_PORT must be a port number from 0 to 65535, got "${raw}"`);
  return Number(raw);
}

function host(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (/\s|\/|:\/\//.test(raw)) throw new ConfigError(`CONDUIT_HOST must be a bare host name or IP address, got "${raw}"`);
  return raw;
}

function tokenKind(raw: string | undefined): 'jwt' | 'opaque' {
  if (raw === undefined || raw === '' || raw === 'jwt') return 'jwt';
  if (raw === 'opaque') return 'opaque';
  throw new ConfigError(`CONDUIT_TOKENS must be jwt or opaque, got "${raw}"`);
}

// The value itself never appears in a message: it is a secret.
function secret(raw: string | undefined): Pick<ConduitStubOptions, 'secret'> {
  if (raw === undefined || raw === '') return {};
  const bytes = Buffer.byteLength(raw);
  if (bytes < MIN_SECRET_BYTES) throw new ConfigError(`CONDUIT_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes}`);
  return { secret: raw };
}
