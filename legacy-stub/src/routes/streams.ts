import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import { downloadChunks } from '../download-bytes.ts';
import { waitUnlessClosed } from '../faults.ts';
import { intQuery } from '../params.ts';

const MiB = 1024 * 1024;

/** Responses that take their time: what a proxy must stream rather than buffer. No token needed. */
export function streamRoutes(): Router {
  const router = Router();

  router.get('/api/slow', async (req, res) => {
    const ms = intQuery(req, 'ms', { min: 0, max: 600_000, fallback: 1000 });
    if (await waitUnlessClosed(res, ms)) res.json({ waitedMs: ms });
  });

  // Chunked: no content-length, one NDJSON line per chunk.
  router.get('/api/stream/chunked', (req, res) => {
    const count = intQuery(req, 'count', { min: 0, max: 10_000, fallback: 5 });
    const intervalMs = intQuery(req, 'intervalMs', { min: 0, max: 60_000, fallback: 100 });
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    everyInterval(res, count, intervalMs, (n) => res.write(`${JSON.stringify({ chunk: n, of: count, at: new Date().toISOString() })}\n`));
  });

  // An export that ends with a checksum of what it streamed, in a trailer field: the digest
  // is only known once the last chunk is out.
  router.get('/api/stream/checksummed', (req, res) => {
    const count = intQuery(req, 'count', { min: 0, max: 10_000, fallback: 5 });
    if (req.method === 'HEAD') {
      // Node refuses a Trailer field on a response without a chunked body.
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', trailer: 'x-content-sha256' });
    const hash = createHash('sha256');
    for (let n = 1; n <= count; n++) {
      const line = `${JSON.stringify({ chunk: n, of: count })}\n`;
      hash.update(line);
      res.write(line);
    }
    res.addTrailers({ 'x-content-sha256': hash.digest('hex') });
    res.end();
  });

  router.get('/api/stream/events', (req, res) => {
    const count = intQuery(req, 'count', { min: 0, max: 10_000, fallback: 5 });
    const intervalMs = intQuery(req, 'intervalMs', { min: 0, max: 60_000, fallback: 100 });
    // writeHead, not res.set: Express would append "; charset=utf-8" to the content type.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    everyInterval(res, count, intervalMs, (n) =>
      res.write(`id: ${n}\nevent: tick\ndata: ${JSON.stringify({ n, of: count, at: new Date().toISOString() })}\n\n`),
    );
  });

  router.get('/api/download', async (req, res) => {
    const bytes = intQuery(req, 'bytes', { min: 0, max: 16 * 1024 * MiB, fallback: 64 * MiB });
    res.status(200).set({
      'content-type': 'application/octet-stream',
      'content-length': String(bytes),
      'content-disposition': 'attachment; filename="download.bin"',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // pipeline honours backpressure and stops generating when the client leaves.
    await pipeline(Readable.from(downloadChunks(bytes)), res).catch(() => undefined);
  });

  return router;
}

/** Writes n = 1..count, the first at once and the rest intervalMs apart, then ends; stops if the client leaves. */
function everyInterval(res: Response, count: number, intervalMs: number, write: (n: number) => void): void {
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  res.once('close', () => clearTimeout(timer));
  const step = () => {
    if (n >= count) {
      res.end();
      return;
    }
    write(++n);
    timer = setTimeout(step, n >= count ? 0 : intervalMs);
  };
  step();
}
