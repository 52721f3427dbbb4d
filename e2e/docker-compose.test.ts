import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../proxy/src/config.ts';

/**
 * docker-compose.yml cannot be run on the build machines (no Docker engine), so it is kept
 * honest here: it parses, its commands point at real files, the proxy's environment is one
 * the proxy accepts, and the services name each other consistently. README's configuration
 * table is checked against the variables the code reads, too.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { build?: string; image?: string; command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, unknown> }>;
};
const services = compose.services;

/** `${VAR:?message}` -> a plausible value, as docker compose would substitute from .env. */
function substitute(env: Record<string, string>): Record<string, string> {
  const sample: Record<string, string> = {
    SESSION_SECRET: 'x'.repeat(43),
    MINT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----',
    LEGACY_TRUSTED_JWKS: '{"keys":[]}',
  };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+)(:\?[^}]*)?\}/g, (_m, name: string) => sample[name] ?? '')]),
  );
}

describe('docker-compose.yml', () => {
  it('has the full stack, every dependency declared', () => {
    expect(Object.keys(services).sort()).toEqual(['legacy', 'postgres', 'proxy', 'redis', 'unleash']);
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
    }
  });

  it('runs files that exist, with an image that copies them', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    for (const svc of Object.values(services).filter((s) => s.build)) {
      const entry = svc.command!.at(-1)!;
      expect(existsSync(path.join(root, entry)), entry).toBe(true);
      expect(dockerfile).toContain(`COPY ${entry.split('/')[0]} `);
    }
  });

  it("gives the proxy an environment it accepts, naming only variables it reads", () => {
    const env = substitute(services.proxy!.environment!);
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES, name).toContain(name);
    const config = loadConfig(env);
    expect(config.flags.mode).toBe('unleash');
    expect(config.redisUrl).toBe('redis://redis:6379');
    // The services name each other consistently.
    const legacyPort = services.legacy!.environment!.LEGACY_PORT;
    expect(config.legacyUrl).toBe(`http://legacy:${legacyPort}`);
    expect(services.unleash!.environment!.INIT_CLIENT_API_TOKENS).toContain(env.UNLEASH_TOKEN!);
    expect(config.port).toBe(8080);
    expect(services.proxy!.ports).toContain('8080:8080');
  });
});

describe('README.md', () => {
  it('lists every configuration variable the proxy reads, and no other', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('opens with the command that starts everything and the one that tests', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toContain('npm start');
    expect(firstBlock).toContain('npm test');
  });
});
