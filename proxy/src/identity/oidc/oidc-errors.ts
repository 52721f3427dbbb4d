import * as oidc from 'openid-client';

export type ProviderFailure =
  /** The provider refused the code (used, expired, not ours): the person starts again. */
  | 'refused'
  /** The provider could not be reached, or did not answer in time. */
  | 'unreachable'
  /** The answer did not pass our checks (signature, nonce, issuer, audience...). */
  | 'invalid-response';

/**
 * What went wrong talking to the provider, and what may be logged about it: names and codes
 * only. oauth4webapi keeps the offending values (nonces, claims) in `cause`, never logged.
 */
export function classifyProviderError(err: unknown): { failure: ProviderFailure; log: Record<string, string> } {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  const log: Record<string, string> = { errorName: String(e?.name ?? 'Error') };
  if (typeof e?.code === 'string') log.errorCode = e.code;
  if (typeof e?.message === 'string') log.errorMessage = e.message.slice(0, 200);
  if (err instanceof oidc.ResponseBodyError) {
    log.oauthError = err.error;
    return { failure: 'refused', log };
  }
  const name = String(e?.name);
  if (name === 'TimeoutError' || name === 'AbortError' || (err instanceof TypeError && e.message === 'fetch failed')) {
    return { failure: 'unreachable', log };
  }
  return { failure: 'invalid-response', log };
}
