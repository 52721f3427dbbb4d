import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Any method under /api/echo answers what arrived: the raw request target byte for
 * byte, the raw header list in order, and the body's size and digest. Served below
 * Express on purpose, so no router ever normalises or rejects an odd URL.
 */
export function isEchoPath(path: string): boolean {
  return path === '/api/echo' || path.startsWith('/api/echo/');
}

export async function handleEcho(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const hash = createHash('sha256');
  let bodyBytes = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bodyBytes += chunk.length;
      hash.update(chunk);
    }
  } catch {
    return; // the client went away mid-body; nobody is left to answer
  }
  const body = JSON.stringify({
    method: req.method,
    url: req.url,
    rawHeaders: req.rawHeaders,
    bodyBytes,
    bodySha256: hash.digest('hex'),
  });
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body); // node:http drops the body by itself for HEAD
}
