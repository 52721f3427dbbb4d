import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import { rawRequest, headerPairs } from '../../../test-support/raw-http.ts';
import { rewriteLinks, writeLegacyHead } from './response-headers.ts';

/**
 * writeLegacyHead writes through one of two Node paths, depending on whether the response
 * already has a header (a migrated route's legacy side went through Express) or not (plain
 * pass-through). Both must deliver every field as given, repeats included, over real HTTP.
 */
let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: http.RequestListener): Promise<number> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const legacyPairs = () => ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1; Path=/', 'Set-Cookie', 'b=2; Path=/', 'Link', '</x>; rel=preload', 'Link', '</y>; rel=preload'];

describe('writeLegacyHead', () => {
  it('on a response with no header yet, sends every pair as given and echoes the correlation id', async () => {
    const port = await serve((_req, res) => {
      writeLegacyHead(res, 201, 'Made', legacyPairs(), 'corr-1');
      res.end('ok');
    });
    const r = await rawRequest({ port, path: '/' });
    expect(r.status).toBe(201);
    expect(r.statusMessage).toBe('Made');
    const pairs = headerPairs(r.rawHeaders);
    expect(pairs.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(pairs.filter(([n]) => n === 'link')).toHaveLength(2);
    expect(pairs.filter(([n]) => n === 'x-correlation-id')).toEqual([['x-correlation-id', 'corr-1']]);
  });

  it('on a response that already has headers, keeps them, keeps repeats repeated, and does not echo twice', async () => {
    const port = await serve((_req, res) => {
      res.setHeader('X-Correlation-Id', 'corr-2');
      res.setHeader('Vary', 'Cookie');
      writeLegacyHead(res, 200, undefined, legacyPairs(), 'corr-2');
      res.end('ok');
    });
    const r = await rawRequest({ port, path: '/' });
    expect(r.status).toBe(200);
    expect(r.statusMessage).toBe('OK');
    const pairs = headerPairs(r.rawHeaders);
    expect(pairs.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(pairs.filter(([n]) => n === 'x-correlation-id')).toEqual([['x-correlation-id', 'corr-2']]);
    expect(pairs).toContainEqual(['vary', 'Cookie']);
  });
});

describe('rewriteLinks', () => {
  const legacy = 'http://legacy.internal:4000';
  const proxy = () => 'https://school.example';

  it('points every target at the legacy origin at the proxy, and nothing else', () => {
    const value = `<${legacy}/api/courses?page=2>; rel="next", </api/courses?page=9>; rel="last", <https://cdn.example/a.css>; rel=preload, <${legacy}0/x>; rel="other"`;
    expect(rewriteLinks(value, legacy, proxy)).toBe(
      '<https://school.example/api/courses?page=2>; rel="next", </api/courses?page=9>; rel="last", <https://cdn.example/a.css>; rel=preload, ' +
        `<${legacy}0/x>; rel="other"`,
    );
  });

  it('leaves a field without the legacy origin as it is', () => {
    expect(rewriteLinks('</app.js>; rel=preload; as=script', legacy, proxy)).toBe('</app.js>; rel=preload; as=script');
  });
});
