import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

/**
 * The textbook Express 5 + http-proxy-middleware app, as its README shows it, plus the
 * keep-alive agent the docs recommend. AGENT=none drops the agent: a socket per request,
 * which is what the copy-pasted snippet does. Env: PORT, TARGET, AGENT.
 */
const agent = process.env.AGENT === 'none' ? undefined : new http.Agent({ keepAlive: true, maxSockets: 256 });

const app = express();
app.use(createProxyMiddleware({ target: process.env.TARGET, changeOrigin: true, agent }));
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
