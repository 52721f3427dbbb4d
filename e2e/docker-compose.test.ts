import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../proxy/src/config.ts';

/**
 * docker-compose.yml cannot be run on the build machines (no Docker engine), so it is kept
 * honest here: it parses, its commands point at real files, the proxy's environment is one
 * the proxy accepts, the services name each other consistently, and HAProxy's configuration
 * (checked by haproxy itself) balances over the proxy replicas on their readiness. README's
 * configuration table is checked against the variables the code reads, too.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      build?: string;
      image?: string;
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
      depends_on?: Record<string, unknown>;
      deploy?: { replicas?: number };
      stop_grace_period?: string;
    }
  >;
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
    expect(Object.keys(services).sort()).toEqual(['haproxy', 'legacy', 'postgres', 'proxy', 'redis', 'unleash']);
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
    }
  });

  it('runs compiled files the image builds from sources that exist', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist dist$/m);
    for (const svc of Object.values(services).filter((s) => s.build)) {
      expect(svc.command![0]).toBe('node');
      const entry = svc.command!.at(-1)!;
      const source = /^dist\/(.+)\.js$/.exec(entry)?.[1];
      expect(source, `${entry} is compiled JavaScript under dist/`).toBeDefined();
      expect(existsSync(path.join(root, `${source}.ts`)), `${source}.ts`).toBe(true);
      expect(dockerfile).toContain(`COPY ${source!.split('/')[0]} `);
    }
  });

  it('runs the proxy as the image and `npm run start:prod` do', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(services.proxy!.command).toEqual(cmd);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:prod']).toBe(cmd.join(' '));
    expect(dockerfile).toMatch(/^FROM node:(22|24)-slim\b/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD [^\n]*\/_proxy\/health\/ready/m);
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
    // Shared by every replica: sessions and minted tokens must not depend on which one answers.
    expect(config.sessionSecret).toBeDefined();
    expect(config.mint.privateKeyPem).toBeDefined();
  });

  it('runs several proxies that docker lets drain before it kills them', () => {
    const proxy = services.proxy!;
    expect(proxy.deploy?.replicas).toBeGreaterThanOrEqual(3);
    // Replicas cannot share a published port: only the balancer is reached from outside.
    expect(proxy.ports).toBeUndefined();
    const env = proxy.environment!;
    const drainMs = Number(env.DRAIN_DELAY_MS ?? 5_000) + loadConfig(substitute(env)).shutdownGraceMs;
    const stopGrace = /^(\d+)s$/.exec(proxy.stop_grace_period ?? '');
    expect(stopGrace, 'stop_grace_period in seconds').not.toBeNull();
    expect(Number(stopGrace![1]) * 1000).toBeGreaterThan(drainMs);
  });
});

describe('deploy/haproxy/haproxy.cfg', () => {
  const file = path.join(root, 'deploy/haproxy/haproxy.cfg');
  const cfg = readFileSync(file, 'utf8');
  const proxyEnv = substitute(services.proxy!.environment!);
  const config = loadConfig(proxyEnv);

  it('is a configuration haproxy accepts', () => {
    const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
    expect(check.error, 'haproxy must be installed (apt-get install haproxy; .ci/run does)').toBeUndefined();
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('is the one mounted into the balancer, which publishes the port it binds', () => {
    const haproxy = services.haproxy!;
    expect(haproxy.volumes).toContain('./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    const bind = /^\s*bind :(\d+)$/m.exec(cfg)?.[1];
    expect(haproxy.ports).toContain(`8080:${bind}`);
  });

  it('balances over the proxy replicas by the readiness path, as their one trusted hop', () => {
    const servers = [...cfg.matchAll(/^\s*server(?:-template)?\s+\S+\s+(?:\d+\s+)?([\w.-]+):(\d+)\b/gm)];
    expect(servers.length).toBeGreaterThan(0);
    for (const [, host, port] of servers) {
      expect(services, `${host} is a compose service`).toHaveProperty(host!);
      expect(Number(port)).toBe(config.port);
    }
    expect(cfg).toMatch(/^\s*server-template proxy \d+ proxy:\d+ check$/m);
    // Every instance unready at once (a shared Redis down): still sent to, unchecked, since pass-through works.
    expect(cfg).toMatch(/^\s*server-template \S+ \d+ proxy:\d+ backup$/m);
    expect(cfg).toMatch(/^\s*option allbackups$/m);
    expect(cfg).toMatch(/^\s*option httpchk$/m);
    expect(cfg).toContain(`uri ${config.reservedPrefix}/health/ready `);
    expect(cfg).toMatch(/^\s*http-check expect status 200$/m);
    expect(cfg).toMatch(/^\s*option forwardfor$/m);
    expect(config.trustedHops).toBe(1);
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
