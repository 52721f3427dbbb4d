import type { Stack } from '../test-support/stack.ts';
import { createSoftAuthenticator } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { registerPasskey, signIn } from '../proxy/src/identity/passkeys/passkey-flows.ts';
import { until as waitUntil } from '../test-support/until.ts';

/** Test support for the status-page suites. */

export const STATUS_TOKEN = 'status-e2e-token-0123456789abcdefghij';

/**
 * A proxy session for a seeded legacy user, the way a person gets one: registers a passkey
 * (proving who they are with a legacy JWT) and signs in with it. Returns the Cookie header
 * value and the session cookie's own value (for a browser context).
 */
export async function passkeySession(stack: Stack, username: string): Promise<{ cookie: string; name: string; value: string }> {
  const app = { base: `${stack.publicOrigin}/_proxy/auth`, origin: stack.publicOrigin } as PasskeyTestApp;
  const client = createClient(app);
  const soft = createSoftAuthenticator({ rpId: 'localhost', origin: stack.publicOrigin });
  const reg = await registerPasskey(client, soft, stack.legacy.issueToken(username));
  if (reg.verify.status !== 201) throw new Error(`passkey registration for ${username}: ${reg.verify.status}`);
  client.jar.clear();
  const { verify } = await signIn(client, soft, reg.passkey);
  if (verify.status !== 200) throw new Error(`passkey sign-in for ${username}: ${verify.status}`);
  const [name, value] = [...client.jar].find(([k]) => k.endsWith('sp_session'))!;
  return { cookie: `${name}=${value}`, name, value };
}

/** Status flushes and page renders can take a while on a loaded machine: a longer default wait. */
export const until = (done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => waitUntil(done, timeoutMs);
