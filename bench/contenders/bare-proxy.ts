import http from 'node:http';

/**
 * The floor for any Node proxy: node:http in, a keep-alive agent out, bodies piped both
 * ways, nothing else (no header hygiene, no errors beyond a 502). Env: PORT, TARGET.
 */
const target = new URL(process.env.TARGET!);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => process.exit(0)); // a normal exit, so --cpu-prof writes its profile
