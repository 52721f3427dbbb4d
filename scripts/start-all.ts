import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';

/**
 * `npm start`: the legacy stand-in, its dev identity provider and the proxy together on
 * embedded defaults (no Redis, no Unleash server: flags from proxy/flags.json), each in its
 * own process as they would run in production, with their output prefixed. Ctrl-C stops all.
 * A throwaway key pair lets the proxy mint tokens the stand-in trusts, as a real legacy API
 * would be configured to.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const legacyPort = process.env.LEGACY_PORT ?? '4000';
const proxyPort = process.env.PORT ?? '8080';
const idpPort = process.env.IDP_PORT ?? '4100';
const legacyUrl = `http://127.0.0.1:${legacyPort}`;
const publicUrl = `http://localhost:${proxyPort}`;
const idpIssuer = `http://localhost:${idpPort}`;

const children: ChildProcess[] = [];

function run(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${prefix}exited (${signal ?? code}); stopping everything\n`);
      void stopAll(code ?? 1);
    }
  });
  children.push(child);
  return child;
}

async function waitForHealth(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

let stopping = false;
async function stopAll(code: number): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const mint = await generateDevKeyPair('dev-proxy-mint');
run('legacy', 'legacy-stub/src/main.ts', { LEGACY_PORT: legacyPort, LEGACY_TRUSTED_JWKS: JSON.stringify({ keys: [mint.publicJwk] }) });
run('idp', 'legacy-stub/src/identity-provider/main.ts', {
  IDP_PORT: idpPort,
  IDP_ISSUER_HOST: 'localhost',
  IDP_REDIRECT_URIS: `${publicUrl}/_proxy/auth/oidc/callback`,
  IDP_POST_LOGOUT_REDIRECT_URIS: `${publicUrl}/_proxy/auth/sign-in`,
});
await Promise.all([waitForHealth(`${legacyUrl}/health`), waitForHealth(`${idpIssuer}/.well-known/openid-configuration`)]);
run('proxy', 'proxy/src/main.ts', {
  PORT: proxyPort,
  LEGACY_URL: legacyUrl,
  PUBLIC_URL: publicUrl,
  MINT_PRIVATE_KEY: mint.privateKeyPem,
  MINT_KEY_ID: 'dev-proxy-mint',
  OIDC_ISSUER: idpIssuer,
  OIDC_CLIENT_SECRET: 'dev-only-secret', // DEV ONLY: the dev identity provider's shared client secret
});
await waitForHealth(`http://127.0.0.1:${proxyPort}/_proxy/health/ready`);

process.stdout.write(`
  The existing frontend, through the proxy:  ${publicUrl}/
  Passkey and organisation sign-in:          ${publicUrl}/_proxy/auth/sign-in
  Your passkeys:                             ${publicUrl}/_proxy/auth/account
  Proxy health and metrics:                  ${publicUrl}/_proxy/health/ready
                                             ${publicUrl}/_proxy/metrics
  The same frontend, straight from legacy:   http://localhost:${legacyPort}/
  Dev identity provider (DEV ONLY):          ${idpIssuer}
  Sign in as ingrid / password (teacher), ola / password (student), kari / password (admin).
  Flags: edit proxy/flags.json; changes apply within 2 seconds.
  Ctrl-C stops everything.
`);
