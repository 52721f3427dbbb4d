import http from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';

/**
 * Diagnostic: one http-proxy-middleware instance with a keep-alive agent, called straight from
 * a node:http server (no Express, no logging, no metrics). The floor for any proxy built on
 * this engine, between the bare proxy and this proxy. Env: PORT, TARGET.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = createProxyMiddleware({ target: process.env.TARGET, changeOrigin: true, agent });

const server = http.createServer((req, res) => void proxy(req as never, res as never));
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
