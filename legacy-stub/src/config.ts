import { readFileSync } from 'node:fs';
import { parseFaultRules } from './faults.ts';
import type { LegacyStubOptions } from './server.ts';

/** A configuration mistake: the message names the variable and says what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Environment -> options for the stub's process. Fails on the first wrong value,
 * never silently falls back: a stub that ignores LEGACY_FAULTS fools a demo.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): LegacyStubOptions {
  return {
    port: port(env.LEGACY_PORT),
    host: host(env.LEGACY_HOST),
    faults: faults(env.LEGACY_FAULTS),
    faultHeaders: flag('LEGACY_FAULT_HEADERS', env.LEGACY_FAULT_HEADERS),
    trustedKeys: trustedKeys(env.LEGACY_TRUSTED_JWKS),
    ...tls(env.LEGACY_TLS_CERT_FILE, env.LEGACY_TLS_KEY_FILE),
  };
}

/** HTTPS, as many legacy APIs are served: a PEM certificate and its key, both or neither. */
function tls(certFile: string | undefined, keyFile: string | undefined): Pick<LegacyStubOptions, 'tls'> {
  const cert = certFile?.trim() || undefined;
  const key = keyFile?.trim() || undefined;
  if (!cert && !key) return {};
  if (!cert) throw new ConfigError('LEGACY_TLS_CERT_FILE must be set with LEGACY_TLS_KEY_FILE: the certificate (PEM) to serve HTTPS with');
  if (!key) throw new ConfigError('LEGACY_TLS_KEY_FILE must be set with LEGACY_TLS_CERT_FILE: the private key (PEM) of that certificate');
  return { tls: { cert: pem('LEGACY_TLS_CERT_FILE', cert, 'CERTIFICATE'), key: pem('LEGACY_TLS_KEY_FILE', key, 'PRIVATE KEY') } };
}

function pem(name: string, file: string, kind: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name} names a file that cannot be read (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes(`-----BEGIN `) || !text.includes(kind)) throw new ConfigError(`${name} (${file}) is not a PEM ${kind.toLowerCase()}`);
  return text;
}

function port(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 4000;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535)
    throw new ConfigError(`LEGACY_PORT must be a port number from 0 to 65535, got "${raw}"`);
  return value;
}

function host(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (/\s|\/|:\/\//.test(raw)) throw new ConfigError(`LEGACY_HOST must be a bare host name or IP address, got "${raw}"`);
  return raw;
}

function faults(raw: string | undefined) {
  if (raw === undefined || raw.trim() === '') return [];
  const parsed = json('LEGACY_FAULTS', raw, 'a JSON array of fault rules');
  try {
    return parseFaultRules(parsed);
  } catch (err) {
    throw new ConfigError(`LEGACY_FAULTS is not a valid list of fault rules: ${(err as Error).message}`);
  }
}

function flag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return false;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got "${raw}"`);
}

function trustedKeys(raw: string | undefined): object[] {
  if (raw === undefined || raw.trim() === '') return [];
  const parsed = json('LEGACY_TRUSTED_JWKS', raw, 'a JSON Web Key Set {"keys":[...]}') as { keys?: unknown };
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.keys))
    throw new ConfigError('LEGACY_TRUSTED_JWKS must be a JSON Web Key Set: an object with a "keys" array');
  parsed.keys.forEach((key: unknown, index) => {
    if (!key || typeof key !== 'object' || typeof (key as { kid?: unknown }).kid !== 'string')
      throw new ConfigError(`LEGACY_TRUSTED_JWKS keys[${index}] must be a JWK object with a "kid"`);
    if ('d' in key) throw new ConfigError(`LEGACY_TRUSTED_JWKS keys[${index}] is a private key; give the public half only`);
  });
  return parsed.keys as object[];
}

function json(name: string, raw: string, expected: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be ${expected}, but it is not valid JSON`);
  }
}
