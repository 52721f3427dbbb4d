import type { AssertOptions, SoftPasskey } from './passkey-soft-authenticator.ts';
import { createSoftAuthenticator } from './passkey-soft-authenticator.ts';
import { createClient, type PasskeyTestApp } from './passkey-test-app.ts';

/** Test support: whole ceremonies against a passkey test app, as a browser page would run them. */
export type Client = ReturnType<typeof createClient>;
export type Soft = ReturnType<typeof createSoftAuthenticator>;

export async function registerPasskey(
  client: Client,
  soft: Soft,
  bearer: string | undefined,
  extra: { name?: string; countsUses?: boolean; reuseId?: string } = {},
) {
  const options = await client.request('POST', '/passkeys/register/options', undefined, { bearer });
  if (options.status !== 200) throw new Error(`register/options: ${options.status} ${JSON.stringify(options.body)}`);
  const response = soft.register(options.body, extra);
  const verify = await client.request('POST', '/passkeys/register/verify', { response, name: extra.name }, { bearer });
  return { options, verify, passkey: soft.passkeys.at(-1)! };
}

export async function signIn(client: Client, soft: Soft, passkey: SoftPasskey, extra: AssertOptions & { username?: string; returnUrl?: string } = {}) {
  const options = await client.request('POST', '/passkeys/authenticate/options', extra.username ? { username: extra.username } : {});
  if (options.status !== 200) throw new Error(`authenticate/options: ${options.status}`);
  const response = soft.assert(options.body, passkey, extra);
  const verify = await client.request('POST', '/passkeys/authenticate/verify', { response, returnUrl: extra.returnUrl ?? '/courses' });
  return { options, response, verify };
}

export function softFor(app: PasskeyTestApp): Soft {
  return createSoftAuthenticator({ rpId: app.rpId, origin: app.origin });
}
