import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A stable key for callers without a verified identity, so a percentage rollout does not
 * re-roll on every request: the client address and user agent, hashed (never stored raw).
 */
export function anonymousKey(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const address = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || req.socket.remoteAddress || '';
  // The one-shot hash: a third of what a Hash object costs, on every request to a migrated route.
  return hash('sha256', `${address}|${req.headers['user-agent'] ?? ''}`, 'base64url').slice(0, 22);
}
