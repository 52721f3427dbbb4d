import type { IncomingMessage } from 'node:http';
import type { ForwardedPolicy } from './forwarded.ts';

/**
 * The origin the client used to reach the proxy, for rewriting the legacy API's redirects and
 * links: the configured PUBLIC_URL, else the request's own scheme and Host, or what trusted
 * hops say of them (edge/forwarded.ts). Never used for a security decision: CSRF and WebAuthn
 * compare against configured origins only.
 */
export function publicOriginResolver(publicUrl: string | undefined, forwarded: ForwardedPolicy): (req: IncomingMessage) => string {
  if (publicUrl) {
    const origin = new URL(publicUrl).origin;
    return () => origin;
  }
  return (req) => `${forwarded.clientProto(req)}://${forwarded.clientHost(req) ?? 'localhost'}`;
}
