import http from 'node:http';
import type { Readable } from 'node:stream';

export interface RawResponse {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** 1xx statuses seen before the final answer. */
  informational: number[];
  /** Their header fields, in the same order. */
  informationalHeaders: http.IncomingHttpHeaders[];
  /** Trailer fields after a chunked body. */
  trailers: NodeJS.Dict<string>;
}

export interface RawRequest {
  port: number;
  method?: string;
  /** Sent exactly as given: no normalising, no encoding. */
  path: string;
  /** Raw header pairs [name, value, name, value...]; Host is added when absent. */
  headers?: string[];
  body?: Buffer | string | Readable;
  agent?: http.Agent | false;
  /** For Expect: 100-continue: send the body only after the server says 100. */
  waitForContinue?: boolean;
  /** Largest response head read (Node's default is 16 KiB). */
  maxHeaderSize?: number;
}

/** One HTTP/1.1 exchange over loopback with full control of the bytes sent. */
export function rawRequest(r: RawRequest): Promise<RawResponse> {
  const headers = r.headers ?? [];
  const hasHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host');
  return new Promise((resolve, reject) => {
    const informational: number[] = [];
    const informationalHeaders: http.IncomingHttpHeaders[] = [];
    const req = http.request(
      {
        host: '127.0.0.1',
        port: r.port,
        method: r.method ?? 'GET',
        path: r.path,
        headers: hasHost ? headers : ['Host', `127.0.0.1:${r.port}`, ...headers],
        agent: r.agent ?? false,
        ...(r.maxHeaderSize ? { maxHeaderSize: r.maxHeaderSize } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            statusMessage: res.statusMessage ?? '',
            rawHeaders: res.rawHeaders,
            headers: res.headers,
            body: Buffer.concat(chunks),
            informational,
            informationalHeaders,
            trailers: res.trailers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('information', (info) => {
      informational.push(info.statusCode);
      informationalHeaders.push(info.headers);
    });
    req.on('error', reject);
    const send = () => {
      if (r.body === undefined) req.end();
      else if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) req.end(r.body);
      else r.body.pipe(req);
    };
    if (r.waitForContinue) req.on('continue', send);
    else send();
  });
}

/** Header pairs as [lower-case name, value], order kept, for comparing two answers. */
export function headerPairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}
