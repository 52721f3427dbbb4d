import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it } from 'vitest';
import { stopChild } from '../../../test-support/child-process.ts';
import { until } from '../../../test-support/until.ts';
import { conduitOptionsFromEnv } from './config.ts';

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = 'a-dev-only-conduit-secret-of-40-bytes!!!';

describe('conduit-stub process (npm run start:conduit)', () => {
  let running: ChildProcess | undefined;
  afterEach(() => running && stopChild(running));

  function startMain(env: Record<string, string>) {
    const child = spawn(process.execPath, ['--import', 'tsx', mainPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exit };
  }

  it('prints its URL, signs with CONDUIT_JWT_SECRET, logs no token, and exits 0 on SIGTERM', async () => {
    const { child, output, exit } = startMain({ CONDUIT_PORT: '0', CONDUIT_JWT_SECRET: SECRET });
    await until(() => /listening on http:\S+/.test(output()), 15_000);
    const url = /listening on (http:\S+)/.exec(output())![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const login = await fetch(`${url}/api/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { email: 'jake@jake.jake', password: 'password' } }),
    });
    const { token } = ((await login.json()) as { user: { token: string } }).user;
    expect(jwt.verify(token, SECRET, { algorithms: ['HS256'] })).toMatchObject({ username: 'jake' });
    const me = await fetch(`${url}/api/user?probe=1`, { headers: { authorization: `Token ${token}` } });
    expect(me.status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(404);

    await until(() => output().includes('GET /health 404'));
    expect(output()).toContain('GET /api/user 200');
    expect(output()).not.toContain(token);
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain('probe');
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('exits 1 naming the variable, never printing the secret', async () => {
    const short = 'too-short-secret';
    const { output, exit } = startMain({ CONDUIT_JWT_SECRET: short });
    expect(await exit).toBe(1);
    expect(output()).toMatch(/CONDUIT_JWT_SECRET must be at least 32 bytes, got 16/);
    expect(output()).not.toContain(short);
  });
});

describe('conduitOptionsFromEnv', () => {
  it('defaults to port 4001 on loopback with JWT tokens and a random secret', () => {
    expect(conduitOptionsFromEnv({})).toEqual({ port: 4001, host: '127.0.0.1', tokens: 'jwt' });
  });

  it('reads every variable', () => {
    expect(conduitOptionsFromEnv({ CONDUIT_PORT: '0', CONDUIT_HOST: '0.0.0.0', CONDUIT_TOKENS: 'opaque', CONDUIT_JWT_SECRET: SECRET })).toEqual({
      port: 0,
      host: '0.0.0.0',
      tokens: 'opaque',
      secret: SECRET,
    });
  });

  it.each([
    [{ CONDUIT_PORT: '70000' }, /CONDUIT_PORT must be a port number/],
    [{ CONDUIT_HOST: 'http://x' }, /CONDUIT_HOST must be a bare host name/],
    [{ CONDUIT_TOKENS: 'paseto' }, /CONDUIT_TOKENS must be jwt or opaque, got "paseto"/],
  ])('refuses %o', (env, message) => {
    expect(() => conduitOptionsFromEnv(env)).toThrow(message);
  });
});
