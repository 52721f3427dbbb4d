import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The origin the client used to reach the proxy: the configured PUBLIC_URL, else the
 * request's own Host and scheme (X-Forwarded-* only when the proxy is told to trust them).
 */
export function publicOriginResolver(publicUrl: string | undefined, trustForwarded: boolean): (req: IncomingMessage) => string {
  if (publicUrl) {
    const origin = new URL(publicUrl).origin;
    return () => origin;
  }
  return (req) => {
    let proto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
    let host = req.headers.host ?? 'localhost';
    if (trustForwarded) {
      proto = firstValue(req.headers['x-forwarded-proto']) ?? proto;
      host = firstValue(req.headers['x-forwarded-host']) ?? host;
    }
    return `${proto}://${host}`;
  };
}

function firstValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}
