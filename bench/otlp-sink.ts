import http from 'node:http';

/**
 * A collector that keeps nothing, for weighing the proxy with tracing on (docs/performance.md):
 * it reads each OTLP/HTTP export and answers 200, as a collector does. Env: PORT.
 */
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${process.env.PORT}\n`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
