import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

/** The status page's variables in proxy/src/config.ts: defaults, and errors that name the variable. */
describe('status configuration', () => {
  it('defaults: no token, ADMIN and staff are staff roles, no listed users, a 5 s flush, the roles claim', () => {
    const c = loadConfig({});
    expect(c.status).toEqual({ token: undefined, staffRoles: ['ADMIN', 'staff'], staffUsers: [], flushMs: 5_000, pathTemplates: { documented: undefined, learnThreshold: 20 } });
  });

  it('reads lists and values', () => {
    const c = loadConfig({
      STATUS_TOKEN: 't'.repeat(32),
      STATUS_STAFF_ROLES: ' support , migration-team ',
      STATUS_STAFF_USERS: 'u-kari,ola',
      STATUS_FLUSH_MS: '2000',
      PATH_TEMPLATE_LEARN_THRESHOLD: '50',
      OIDC_ISSUER: 'http://127.0.0.1:4100',
      OIDC_CLIENT_SECRET: 'secret',
      OIDC_ROLES_CLAIM: 'groups',
    });
    expect(c.status).toEqual({ token: 't'.repeat(32), staffRoles: ['support', 'migration-team'], staffUsers: ['u-kari', 'ola'], flushMs: 2_000, pathTemplates: { documented: undefined, learnThreshold: 50 } });
    expect(c.auth.oidc?.rolesClaim).toBe('groups');
    expect(loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:4100', OIDC_CLIENT_SECRET: 's' }).auth.oidc?.rolesClaim).toBe('roles');
  });

  it.each([
    [{ STATUS_TOKEN: 'short' }, /STATUS_TOKEN=.*at least 32 characters/],
    [{ STATUS_TOKEN: `${'t'.repeat(32)} x` }, /STATUS_TOKEN=.*printable ASCII without spaces/],
    [{ STATUS_FLUSH_MS: '10' }, /STATUS_FLUSH_MS="10": must be at least 100/],
    [{ STATUS_FLUSH_MS: 'soon' }, /STATUS_FLUSH_MS="soon"/],
    [{ STATUS_FLUSH_MS: '600000' }, /STATUS_FLUSH_MS=.*at most 60000/],
    [{ OIDC_ROLES_CLAIM: 'two words' }, /OIDC_ROLES_CLAIM=.*claim name/],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes the token in an error', () => {
    const secretish = 'my-secret-but-short';
    try {
      loadConfig({ STATUS_TOKEN: secretish });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/STATUS_TOKEN/);
      expect((err as Error).message).not.toContain(secretish);
    }
  });
});
