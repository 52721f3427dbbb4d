import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

/**
 * Large uploads generated on the fly, never stored: every MiB of upload `index` is a shared
 * random block stamped with (index, offset), so a byte lost, repeated, reordered or taken from
 * another upload changes the sha256 the legacy stand-in reports.
 */

const CHUNK = 1024 * 1024;
const STAMP = 16;

export interface UploadBody {
  index: number;
  bytes: number;
  /** The body, chunk by chunk (a stamp, then a slice of the shared block). */
  chunks(): Generator<Buffer>;
}

/** One random block for a whole run; each upload is this block, stamped per MiB. */
export function uploadBlock(): Buffer {
  return randomBytes(CHUNK);
}

export function uploadBody(block: Buffer, index: number, bytes: number): UploadBody {
  return {
    index,
    bytes,
    *chunks() {
      for (let offset = 0; offset < bytes; offset += CHUNK) {
        const size = Math.min(CHUNK, bytes - offset);
        const stamp = Buffer.alloc(STAMP);
        stamp.writeUInt32BE(index, 0);
        stamp.writeBigUInt64BE(BigInt(offset), 4);
        yield stamp.subarray(0, Math.min(STAMP, size));
        if (size > STAMP) yield block.subarray(STAMP, size);
      }
    },
  };
}

export function sha256Of(body: UploadBody): string {
  const hash = createHash('sha256');
  for (const chunk of body.chunks()) hash.update(chunk);
  return hash.digest('hex');
}

export interface UploadResult {
  status: number;
  /** The response body: `{ bytes, sha256 }` from the stand-in, or a problem+json. */
  body: string;
  /** Client bytes written before the answer came (all of them for a complete upload). */
  sent: number;
  /** ms from the request's start to the answer's end. */
  ms: number;
}

/**
 * POSTs the body to the stand-in's upload route (directly or through the proxy), honouring
 * backpressure. Resolves with the answer; a connection that fails resolves with status 0 and
 * the error in `body`, so a caller sees every upload's fate rather than the first failure.
 */
export function sendUpload(opts: {
  port: number;
  body: UploadBody;
  agent?: http.Agent;
  host?: string;
  /** Transfer-Encoding: chunked instead of Content-Length (what a client streaming from a pipe sends). */
  chunked?: boolean;
  /** Expect: 100-continue, the body only after the 100 (what curl sends for bodies over 1 MiB). */
  expectContinue?: boolean;
  /** More request header fields. */
  headers?: Record<string, string>;
}): Promise<UploadResult> {
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const settle = (status: number, body: string) => resolve({ status, body, sent, ms: performance.now() - started });
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port: opts.port,
        method: 'POST',
        path: '/api/upload',
        agent: opts.agent ?? false,
        headers: {
          'content-type': 'application/octet-stream',
          ...(opts.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(opts.body.bytes) }),
          ...(opts.expectContinue ? { expect: '100-continue' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => settle(res.statusCode ?? 0, Buffer.concat(parts).toString('utf8')));
        res.on('error', (err) => settle(0, `response failed: ${err.message}`));
      },
    );
    req.on('error', (err) => settle(0, `request failed after ${sent} bytes: ${err.message}`));
    const chunks = opts.body.chunks();
    const pump = (): void => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) {
        sent += next.value.length;
        if (!req.write(next.value)) return void req.once('drain', pump);
      }
      req.end();
    };
    if (opts.expectContinue) req.once('continue', pump);
    else pump();
  });
}
