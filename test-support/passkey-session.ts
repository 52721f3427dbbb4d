import { createSoftAuthenticator } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { registerPasskey, signIn } from '../proxy/src/identity/passkeys/passkey-flows.ts';

/**
 * A signed-in session at a proxy, the way a person gets one: a legacy-token user registers a
 * passkey (soft authenticator), then signs in with it alone. Returns the client (its cookie jar)
 * and the session cookie: as the Cookie header a browser would send, and its name and value
 * (for a browser context).
 */
export async function passkeySession(proxy: { publicOrigin: string }, legacyToken: string) {
  const app = { base: `${proxy.publicOrigin}/_proxy/auth`, origin: proxy.publicOrigin } as PasskeyTestApp;
  const client = createClient(app);
  const soft = createSoftAuthenticator({ rpId: 'localhost', origin: proxy.publicOrigin });
  const reg = await registerPasskey(client, soft, legacyToken);
  if (reg.verify.status !== 201) throw new Error(`passkey registration answered ${reg.verify.status}`);
  client.jar.clear();
  const { verify } = await signIn(client, soft, reg.passkey, { returnUrl: '/' });
  if (verify.status !== 200) throw new Error(`passkey sign-in answered ${verify.status}`);
  const session = [...client.jar].find(([k]) => k.endsWith('sp_session'));
  if (!session) throw new Error('no session cookie after sign-in');
  const [name, value] = session;
  return { client, cookie: `${name}=${value}`, name, value };
}
