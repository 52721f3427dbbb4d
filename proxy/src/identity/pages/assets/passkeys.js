// Shared by the sign-in and account pages: the proxy's auth API, WebAuthn's JSON forms, and
// error messages a person can act on. Plain ES module, no build step, no dependencies.

export const api = document.body.dataset.api;
const offerOrganisation = document.body.dataset.oidc === 'true';
const statusBox = document.getElementById('auth-status');
const errorBox = document.getElementById('auth-error');

export function showStatus(text) {
  errorBox.hidden = true;
  errorBox.textContent = '';
  statusBox.textContent = text;
}

export function showError(text) {
  statusBox.textContent = '';
  errorBox.textContent = text;
  errorBox.hidden = false;
}

/**
 * The legacy frontend's token, if it left one (same origin): how existing users add their first
 * passkey. Where it lives is configuration (LEGACY_TOKEN_BROWSER_STORAGE), rendered into the
 * account page; `none` (a cookie the browser sends by itself) leaves nothing to read here.
 */
export function legacyToken() {
  const { tokenStorage, tokenKey } = document.body.dataset;
  if (tokenStorage !== 'localStorage' && tokenStorage !== 'sessionStorage') return null;
  try {
    return window[tokenStorage].getItem(tokenKey);
  } catch {
    // Storage blocked by the browser's privacy settings: there is no token to offer.
    return null;
  }
}

/** The field the legacy API reads the token from, as its frontend sends it: `Authorization: Token <jwt>`, `X-Auth-Token: <jwt>`. */
function legacyTokenField(token) {
  const { tokenHeader, tokenScheme } = document.body.dataset;
  return { [tokenHeader]: tokenScheme ? `${tokenScheme} ${token}` : token };
}

/** A failure with a sentence for the person; `problem` is the server's problem+json when there is one. */
export class AuthError extends Error {
  constructor(message, problem) {
    super(message);
    this.problem = problem;
  }
}

/** Calls the auth API; resolves with the JSON body, throws AuthError with the server's own words. */
export async function callApi(method, path, body, { legacyToken: token } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) Object.assign(headers, legacyTokenField(token));
  let res;
  try {
    res = await fetch(`${api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new AuthError('We could not reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  throw new AuthError(data?.detail || `Something went wrong (${res.status}). Try again in a moment.`, data ?? undefined);
}

export const problemIs = (err, slug) => err instanceof AuthError && err.problem?.type === `urn:strangler-proxy:passkey:${slug}`;

// --- base64url <-> bytes (the browser side of proxy/src/identity/base64url.ts) ---

export function toBytes(b64url) {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(b64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function toB64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list) => (list ?? []).map((d) => ({ ...d, id: toBytes(d.id) }));

/** The server's registration options (JSON) -> what navigator.credentials.create() takes. */
export function creationOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

/** The server's authentication options (JSON) -> what navigator.credentials.get() takes. */
export function requestOptions(json) {
  const options = { ...json, challenge: toBytes(json.challenge) };
  if (json.allowCredentials) options.allowCredentials = descriptors(json.allowCredentials);
  return options;
}

export function registrationJSON(cred) {
  const r = cred.response;
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      attestationObject: toB64url(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  };
}

export function authenticationJSON(cred) {
  const r = cred.response;
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  };
}

export const passkeysSupported = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

/** What to tell the person when the browser's passkey prompt fails. */
export function messageFor(err, ceremony) {
  if (err instanceof AuthError) return err.message;
  const orOrganisation = offerOrganisation ? ', or sign in with your organisation' : '';
  switch (err?.name) {
    case 'NotAllowedError':
    case 'AbortError':
      return ceremony === 'register'
        ? 'Adding the passkey was cancelled or timed out. Nothing was changed. Try again when you are ready.'
        : `Signing in was cancelled or timed out. Try again when you are ready${orOrganisation}.`;
    case 'InvalidStateError':
      return 'This device already has a passkey for your account, so you can already sign in with it. To add another, use a different device or security key.';
    case 'SecurityError':
      return 'Passkeys cannot be used on this web address. Open the site at its usual address and try again.';
    case 'NotSupportedError':
      return `This browser or device cannot use passkeys. Try another browser${orOrganisation}.`;
    default:
      return `Something went wrong with your device's passkey prompt. Try again${orOrganisation}.`;
  }
}

/** Disables a button while a ceremony runs, so a second click cannot start a second one. */
export async function whileBusy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
