import http from 'node:http';
import net from 'node:net';
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

export interface RawHandshake {
  status: number;
  headers: Record<string, string>;
  /** The answer's body when the handshake was refused (the connection then ends); '' after a 101. */
  body: string;
}

/**
 * A WebSocket handshake over a raw socket (any target, any header; Host is added when absent), read up to the 101 or to
 * the end of the refusal. The socket is closed after either.
 */
export function rawHandshake(r: { port: number; path: string; headers?: string[] }): Promise<RawHandshake> {
  return new Promise((resolve, reject) => {
    const headers = r.headers ?? [];
    const hasHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host');
    const lines = [`GET ${r.path} HTTP/1.1`, ...(hasHost ? [] : ['Host: 127.0.0.1']), 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
    const socket = net.connect(r.port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    const settle = () => {
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...fields] = text.slice(0, split).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const field of fields) parsed[field.slice(0, field.indexOf(':')).toLowerCase()] = field.slice(field.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: parsed, body: text.slice(split + 4) });
      socket.destroy();
    };
    socket.on('data', (d) => {
      text += d;
      if (/^HTTP\/1.1 101 /.test(text) && text.includes('\r\n\r\n')) settle();
    });
    socket.on('end', settle);
    socket.on('error', reject);
  });
}

/**
 * Bytes written to a fresh connection as they are (`later` 50 ms after the first part), and
 * everything the server sends back until it closes: for requests no HTTP client would send.
 */
export function rawExchange(port: number, bytes: string, later?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (later !== undefined) setTimeout(() => socket.write(later), 50);
    });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/**
 * Bytes written to a fresh connection as they are, and everything the server sends back
 * until it closes. The client never half-closes (Node's server would abort what it is
 * serving), so the bytes should end with a request that says `Connection: close`.
 */
export function rawSend(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(text) : reject(err)));
  });
}

/** The status codes of every response in a raw byte stream, in order (a body may run straight into the next status line). */
export function statusesIn(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}
