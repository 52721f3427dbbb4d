import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';

/** One request as the upstream's HTTP parser framed it. */
export interface RecordedRequest {
  /** Which connection it came on (1, 2, ...). */
  connection: number;
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  body: Buffer;
}

export interface RecordingUpstream {
  port: number;
  url: string;
  /** Every request parsed, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Every byte received, per connection, in order. */
  readonly bytes: Buffer[];
  /** The bytes of every connection as latin1 text, for searching. */
  text(): string;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A stand-in legacy API for hostile-input tests: it records every byte it receives on each
 * connection, parses them with Node's own HTTP parser (as a typical legacy server would), and
 * answers each parsed request with what it saw of it, so a client can tell whose request its
 * answer belongs to. A smuggled request shows up here as a request no client framed.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const bytes: Buffer[] = [];
  let connections = 0;
  let epoch = 0;

  const http1 = http.createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        connection: (req.socket as unknown as { connection: number }).connection,
        method: req.method!,
        url: req.url!,
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const body = JSON.stringify({
        n: requests.length,
        method: recorded.method,
        url: recorded.url,
        authorization: req.headersDistinct.authorization ?? [],
        correlationIds: req.headersDistinct['x-correlation-id'] ?? [],
        bodyLength: recorded.body.length,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  http1.maxHeadersCount = 0;

  // The raw bytes are taken off the socket here and fed to the HTTP server through a plain
  // Duplex: given the socket itself, Node's parser would read it natively and no 'data' event
  // would ever show the bytes.
  const tcp = net.createServer((socket) => {
    const connection = ++connections;
    // Since the last reset(): a connection kept alive across a reset starts a new record.
    let mine: { epoch: number; index: number } | undefined;
    const side = new Duplex({
      read() {
        socket.resume();
      },
      write(chunk: Buffer, _enc, cb) {
        socket.write(chunk, cb);
      },
      final(cb) {
        socket.end();
        cb();
      },
      destroy(err, cb) {
        socket.destroy();
        cb(err);
      },
    });
    Object.assign(side, { connection, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, setTimeout: () => side, setNoDelay: () => side, setKeepAlive: () => side });
    socket.on('data', (d: Buffer) => {
      if (mine?.epoch !== epoch) mine = { epoch, index: bytes.push(Buffer.alloc(0)) - 1 };
      bytes[mine.index] = Buffer.concat([bytes[mine.index]!, d]);
      if (!side.push(d)) socket.pause();
    });
    socket.on('end', () => side.push(null));
    socket.on('error', () => side.destroy());
    socket.on('close', () => side.destroy());
    http1.emit('connection', side);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const open = new Set<net.Socket>();
  tcp.on('connection', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    bytes,
    text: () => bytes.map((b) => b.toString('latin1')).join('\n--- next connection ---\n'),
    reset() {
      requests.length = 0;
      bytes.length = 0;
      epoch++;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => tcp.close(() => resolve()));
    },
  };
}
