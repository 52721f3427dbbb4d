import { createSoftAuthenticator } from '../proxy/src/identity/passkeys/passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from '../proxy/src/identity/passkeys/passkey-test-app.ts';
import { signIn } from '../proxy/src/identity/passkeys/passkey-flows.ts';

/**
 * A signed-in session at a proxy whose legacy token travels in other fields than
 * `Authorization: Bearer` (passkey-session.ts is the Bearer case): the user proves who they
 * are with those fields (`{ authorization: 'Token <jwt>' }`, a header, a cookie) while
 * registering a passkey, then signs in with the passkey alone. Returns the session cookie as
 * a browser would send it.
 */
export async function passkeySessionWith(proxy: { publicOrigin: string }, credential: Record<string, string>): Promise<string> {
  const app = { base: `${proxy.publicOrigin}/_proxy/auth`, origin: proxy.publicOrigin } as PasskeyTestApp;
  const jar = new Map<string, string>();
  const soft = createSoftAuthenticator({ rpId: 'localhost', origin: proxy.publicOrigin });

  async function post(path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const cookies = [...jar].map(([k, v]) => `${k}=${v}`);
    if (credential.cookie) cookies.push(credential.cookie);
    const res = await fetch(`${app.base}${path}`, {
      method: 'POST',
      headers: {
        ...credential,
        accept: 'application/json',
        origin: app.origin,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(cookies.length ? { cookie: cookies.join('; ') } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const options = await post('/passkeys/register/options');
  if (options.status !== 200) throw new Error(`register/options answered ${options.status}: ${JSON.stringify(options.body)}`);
  const verify = await post('/passkeys/register/verify', { response: soft.register(options.body) });
  if (verify.status !== 201) throw new Error(`register/verify answered ${verify.status}: ${JSON.stringify(verify.body)}`);

  const client = createClient(app);
  const signedIn = await signIn(client, soft, soft.passkeys.at(-1)!, { returnUrl: '/' });
  if (signedIn.verify.status !== 200) throw new Error(`passkey sign-in answered ${signedIn.verify.status}`);
  const session = [...client.jar].find(([k]) => k.endsWith('sp_session'));
  if (!session) throw new Error('no session cookie after sign-in');
  return `${session[0]}=${session[1]}`;
}
