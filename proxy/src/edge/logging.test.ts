import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRequestLogger } from './logging.ts';
import { startStack, type Stack } from '../../../test-support/stack.ts';
import { rawRequest } from '../../../test-support/raw-http.ts';
import { until } from '../../../test-support/until.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1LW9sYSJ9.c2VjcmV0LXNpZ25hdHVyZQ';
const SECRETS = ['S3CRET-jwt', 'S3CRET-key', 'S3CRET-authz', 'S3CRET-session', 'S3CRET-bearer', 'S3CRET-cookie', 'S3CRET-setcookie', JWT];

function capture() {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { log: createLogger('info', sink), text: () => text };
}

describe('no secret in a log line', () => {
  it('header objects, wherever a log call puts them, lose Authorization, Cookie and Set-Cookie', () => {
    const { log, text } = capture();
    const headers = { authorization: 'Bearer S3CRET-bearer', cookie: 'sid=S3CRET-cookie', 'x-api-key': 'S3CRET-key', 'proxy-authorization': 'S3CRET-authz' };
    log.info({ req: { headers }, res: { headers: { 'set-cookie': ['a=S3CRET-setcookie'] } } }, 'a request');
    log.warn({ headers: { ...headers, 'set-cookie': ['a=S3CRET-setcookie'] } }, 'headers');
    log.error({ upstream: { authorization: 'S3CRET-authz', cookie: 'S3CRET-cookie', jwt: 'S3CRET-jwt', apiKey: 'S3CRET-key' } }, 'nested');
    expect(text().split('\n').filter(Boolean)).toHaveLength(3);
    for (const secret of SECRETS) expect(text()).not.toContain(secret);
    expect(text()).toContain('[REDACTED]');
  });

  it('the request line redacts its URL', () => {
    const { log, text } = capture();
    createRequestLogger(log)({
      correlationId: 'c1',
      startedAt: 0n,
      method: 'GET',
      url: `/reset/${JWT}?jwt=S3CRET-jwt&api-key=S3CRET-key&authorization=S3CRET-authz&sessionid=S3CRET-session&lang=nb`,
      servedBy: 'legacy',
      route: 'catch-all',
      arrivedWith: 'other',
      status: 200,
      seconds: 0.001,
    });
    for (const secret of SECRETS) expect(text()).not.toContain(secret);
    expect(JSON.parse(text()).req.url).toBe('/reset/[REDACTED]?jwt=[REDACTED]&api-key=[REDACTED]&authorization=[REDACTED]&sessionid=[REDACTED]&lang=nb');
  });
});

describe('no secret in the proxy\'s logs, through the real proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('neither the request line nor the warning about a failed forward shows credentials or secret parameters', async () => {
    const query = `?jwt=S3CRET-jwt&api-key=S3CRET-key&authorization=S3CRET-authz&sessionid=S3CRET-session&next=${JWT}&lang=nb`;
    const headers = ['Authorization', 'Bearer S3CRET-bearer', 'Cookie', 'sid=S3CRET-cookie'];
    await rawRequest({ port: stack.proxyPort, path: `/api/terms${query}`, headers: [...headers, 'X-Correlation-Id', 'redact-ok'] });
    stack.legacy.setFaults([{ path: '^/api/courses$', drop: true }]);
    try {
      const dropped = await rawRequest({ port: stack.proxyPort, path: `/api/courses${query}`, headers: [...headers, 'X-Correlation-Id', 'redact-502'] });
      expect(dropped.status).toBe(502);
    } finally {
      stack.legacy.setFaults([]);
    }
    await until(() => ['redact-ok', 'redact-502'].every((id) => stack.logs.some((l) => l.correlationId === id && l.res !== undefined)));
    await until(() => stack.logs.some((l) => l.correlationId === 'redact-502' && l.res === undefined));
    const lines = stack.logText();
    for (const secret of SECRETS) expect(lines).not.toContain(secret);
    expect(lines).toContain('jwt=[REDACTED]&api-key=[REDACTED]&authorization=[REDACTED]&sessionid=[REDACTED]&next=[REDACTED]&lang=nb');
  });
});
