import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { sendLegacyError } from '../legacy-error.ts';
import { intQuery } from '../params.ts';
import { requestPath } from '../request-path.ts';

export const UPLOAD_PATH = '/api/upload';
const MAX_ANY = Number.MAX_SAFE_INTEGER;

/** POST /api/upload?max=N: hashes the body as it streams in, never holding it whole. No token needed. */
export function uploadRoutes(): Router {
  const router = Router();
  router.post(UPLOAD_PATH, async (req, res) => {
    const max = intQuery(req, 'max', { min: 0, max: MAX_ANY, fallback: MAX_ANY });
    if (declaredLength(req) > max) {
      rejectTooLarge(res, max);
      return;
    }
    const digest = await digestBody(req, max);
    if (digest === 'gone') return; // the client left mid-upload: nobody to answer, nothing wrong here
    if (digest === 'too-large') rejectTooLarge(res, max);
    else res.json(digest);
  });
  return router;
}

/**
 * For the server's 'checkContinue' event: true when the upload announces more than
 * ?max= bytes, so the stub can answer 413 before the client sends a single byte.
 */
export function uploadRefusedBeforeBody(req: IncomingMessage): { max: number } | undefined {
  if (req.method !== 'POST' || requestPath(req.url) !== UPLOAD_PATH) return undefined;
  const raw = new URL(req.url ?? '/', 'http://stub.invalid').searchParams.get('max');
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  const max = Number(raw);
  return declaredLength(req) > max ? { max } : undefined;
}

export function rejectTooLarge(res: ServerResponse, max: number): void {
  // The unread body is still on the wire: close the connection rather than reuse it.
  sendLegacyError(res, 413, 'payload_too_large', `The upload is larger than ${max} bytes.`, { connection: 'close' });
}

function declaredLength(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  return header === undefined ? 0 : Number(header);
}

function digestBody(req: IncomingMessage, max: number): Promise<{ bytes: number; sha256: string } | 'too-large' | 'gone'> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        req.off('data', onData);
        req.pause();
        resolve('too-large');
        return;
      }
      hash.update(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    // Only a connection can fail here, and 'close' after 'end' finds the promise settled.
    req.once('error', () => resolve('gone'));
    req.once('close', () => resolve('gone'));
  });
}
