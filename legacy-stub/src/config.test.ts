import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { optionsFromEnv } from './config.ts';

const tlsFile = (name: string) => fileURLToPath(new URL(`../../test-support/tls/${name}`, import.meta.url));

describe('optionsFromEnv', () => {
  it('defaults to 127.0.0.1:4000 with no faults and no extra keys', () => {
    expect(optionsFromEnv({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      faults: [],
      faultHeaders: false,
      trustedKeys: [],
    });
  });

  it('reads every variable', () => {
    const key = { kty: 'RSA', kid: 'proxy-1', n: 'AQAB', e: 'AQAB' };
    expect(
      optionsFromEnv({
        LEGACY_PORT: '0',
        LEGACY_HOST: 'localhost',
        LEGACY_FAULTS: '[{"path":"^/api/courses","status":503,"rate":0.5}]',
        LEGACY_FAULT_HEADERS: 'true',
        LEGACY_TRUSTED_JWKS: JSON.stringify({ keys: [key] }),
      }),
    ).toEqual({
      port: 0,
      host: 'localhost',
      faults: [{ path: '^/api/courses', status: 503, rate: 0.5 }],
      faultHeaders: true,
      trustedKeys: [key],
    });
  });

  it('serves HTTPS with LEGACY_TLS_CERT_FILE and LEGACY_TLS_KEY_FILE, both or neither', () => {
    const options = optionsFromEnv({ LEGACY_TLS_CERT_FILE: tlsFile('dev-only-legacy.crt'), LEGACY_TLS_KEY_FILE: tlsFile('dev-only-legacy.key') });
    expect(String(options.tls?.cert)).toContain('BEGIN CERTIFICATE');
    expect(String(options.tls?.key)).toContain('PRIVATE KEY');
    expect(() => optionsFromEnv({ LEGACY_TLS_CERT_FILE: tlsFile('dev-only-legacy.crt') })).toThrow(/LEGACY_TLS_KEY_FILE must be set/);
    expect(() => optionsFromEnv({ LEGACY_TLS_KEY_FILE: tlsFile('dev-only-legacy.key') })).toThrow(/LEGACY_TLS_CERT_FILE must be set/);
    expect(() => optionsFromEnv({ LEGACY_TLS_CERT_FILE: '/nonexistent.pem', LEGACY_TLS_KEY_FILE: tlsFile('dev-only-legacy.key') })).toThrow(/LEGACY_TLS_CERT_FILE names a file that cannot be read \(\/nonexistent.pem\): ENOENT/);
    expect(() => optionsFromEnv({ LEGACY_TLS_CERT_FILE: tlsFile('dev-only-legacy.key'), LEGACY_TLS_KEY_FILE: tlsFile('dev-only-legacy.key') })).toThrow(/LEGACY_TLS_CERT_FILE .* is not a PEM certificate/);
  });

  it.each([
    [{ LEGACY_PORT: '80a' }, /LEGACY_PORT must be a port number/],
    [{ LEGACY_PORT: '70000' }, /LEGACY_PORT/],
    [{ LEGACY_HOST: 'http://x' }, /LEGACY_HOST/],
    [{ LEGACY_FAULTS: '{"path":"x"}' }, /LEGACY_FAULTS .*expected array/],
    [{ LEGACY_FAULTS: '[{"path":"x","rate":2}]' }, /LEGACY_FAULTS .*\[0\]\.\[rate\]/],
    [{ LEGACY_FAULTS: '[{' }, /LEGACY_FAULTS .*not valid JSON/],
    [{ LEGACY_FAULT_HEADERS: 'yes' }, /LEGACY_FAULT_HEADERS must be 1, true, 0 or false/],
    [{ LEGACY_TRUSTED_JWKS: '[]' }, /LEGACY_TRUSTED_JWKS must be a JSON Web Key Set/],
    [{ LEGACY_TRUSTED_JWKS: '{"keys":[{"kty":"RSA"}]}' }, /LEGACY_TRUSTED_JWKS keys\[0\] .*"kid"/],
    [{ LEGACY_TRUSTED_JWKS: '{"keys":[{"kty":"RSA","kid":"k","d":"x"}]}' }, /private key/],
  ])('names the variable and the mistake: %j', (env, message) => {
    expect(() => optionsFromEnv(env)).toThrow(message);
  });
});
