import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../test-support/recording-upstream.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { rawRequest, rawSend, statusesIn } from '../test-support/raw-http.ts';

/**
 * Request smuggling, sent as raw bytes (the shapes of the HTTP desync literature: CL.TE,
 * TE.CL, TE.TE obfuscations, obs-fold, bare LF, repeated and conflicting framing, bodies on
 * methods that seldom have one, HTTP/1.0 keep-alive) through the proxy to a recording
 * upstream that parses what it receives as a legacy server would. The proxy keeps one pooled
 * connection to it, so a request hidden in a body would be answered to the next client.
 * Each case checks what the attacker got, what the upstream parsed, and that the next
 * client's answer is its own.
 */
let upstream: RecordingUpstream;
let proxy: ProxyInFront;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  proxy = await startProxy({ legacyUrl: upstream.url, env: { LEGACY_MAX_SOCKETS: '4', LEGACY_MAX_SOCKETS_PER_CLIENT: '4', LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

/** What a request from someone else, sent after the attack on the same pooled connection, gets back. */
async function victimAnswer() {
  const res = await rawRequest({ port: proxy.proxyPort, path: '/victim/profile', headers: ['Authorization', 'Bearer victim-token'] });
  return { status: res.status, body: JSON.parse(res.body.toString()) as { url: string; authorization: string[] } };
}

const host = 'Host: proxy.test';
/** The request an attacker hides in a body: another user's credentials, another path. */
const HIDDEN = 'GET /admin/users HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer attacker\r\n\r\n';
/**
 * Sent after every attack on the same connection: where the proxy keeps the connection, its
 * answer shows that both parsers still agree where each message ends, and it closes the
 * connection so the test knows when everything is in.
 */
const LAST = 'GET /last HTTP/1.1\r\nHost: proxy.test\r\nConnection: close\r\n\r\n';
const last = { method: 'GET', url: '/last' };
const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
const pad = (n: number) => Array.from({ length: n }, (_, i) => `X-Pad-${i}: ${i}\r\n`).join('');

interface Case {
  name: string;
  bytes: string;
  /** Acceptable statuses for the attacker's connection (in order). */
  statuses: number[][];
  /** What the upstream must have parsed: method, url and body of each request, nothing else. */
  upstream: Array<{ method: string; url: string; body?: string; framing?: 'chunked' | 'length' }>;
}

const refused = (name: string, bytes: string, statuses: number[] = [400]): Case => ({ name, bytes, statuses: statuses.map((s) => [s]), upstream: [] });

const cases: Case[] = [
  // A body on a method that seldom has one goes on with the framing it came with.
  ...['GET', 'HEAD', 'DELETE', 'OPTIONS'].map(
    (method): Case => ({
      name: `${method} with a chunked body holding a request`,
      bytes: `${method} /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`,
      statuses: [[200, 200]],
      upstream: [{ method, url: '/x', body: HIDDEN, framing: 'chunked' }, last],
    }),
  ),
  {
    name: 'GET with a Content-Length body holding a request',
    bytes: `GET /x HTTP/1.1\r\n${host}\r\nContent-Length: ${HIDDEN.length}\r\n\r\n${HIDDEN}`,
    statuses: [[200, 200]],
    upstream: [{ method: 'GET', url: '/x', body: HIDDEN, framing: 'length' }, last],
  },
  // CL.TE and TE.CL: both framings at once.
  refused('CL.TE', `POST /x HTTP/1.1\r\n${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`),
  refused('TE.CL', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  // TE.TE: a Transfer-Encoding one parser reads and another does not.
  refused('TE: xchunked', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  refused('TE: xchunked without a length', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: xchunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [400, 501]),
  refused('space before the colon', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  refused('chunked, then identity', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [400, 501]),
  refused('identity, chunked', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: identity, chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [400, 501]),
  refused('gzip, chunked (a coding the proxy would forward blind)', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [501]),
  refused('chunked twice', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [400, 501]),
  refused('obs-fold', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  refused('a vertical tab in Transfer-Encoding', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding:\x0bchunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [400, 501]),
  refused('bare CR as a line end', `POST /x HTTP/1.1\r\n${host}\rTransfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  // Conflicting or malformed lengths.
  refused('two different Content-Lengths', `POST /x HTTP/1.1\r\n${host}\r\nContent-Length: 4\r\nContent-Length: ${HIDDEN.length + 4}\r\n\r\nabcd${HIDDEN}`),
  refused('the same Content-Length twice', `POST /x HTTP/1.1\r\n${host}\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`),
  refused('a list as Content-Length', `POST /x HTTP/1.1\r\n${host}\r\nContent-Length: 4, 4\r\n\r\nabcd`),
  refused('a signed Content-Length', `POST /x HTTP/1.1\r\n${host}\r\nContent-Length: +4\r\n\r\nabcd`),
  refused('a chunk size that overflows', `POST /x HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\n${HIDDEN}\r\n0\r\n\r\n`),
  // Hop-by-hop lists that name the framing.
  refused('Connection: Content-Length', `POST /x HTTP/1.1\r\n${host}\r\nConnection: Content-Length\r\nContent-Length: ${HIDDEN.length}\r\n\r\n${HIDDEN}`),
  refused('Connection: close, Transfer-Encoding', `POST /x HTTP/1.1\r\n${host}\r\nConnection: close, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  refused('Connection: host', `GET /x HTTP/1.1\r\n${host}\r\nConnection: host\r\n\r\n`),
  // Framing placed after Node's 2,000th field.
  refused('Content-Length after 2,100 fields', `POST /x HTTP/1.1\r\n${host}\r\n${pad(2100)}Content-Length: ${HIDDEN.length}\r\n\r\n${HIDDEN}`, [431]),
  refused('Transfer-Encoding after 2,100 fields', `GET /x HTTP/1.1\r\n${host}\r\n${pad(2100)}Transfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`, [431]),
  // Hosts.
  refused('two Host fields', `GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n`),
  refused('no Host on HTTP/1.1', `GET /x HTTP/1.1\r\n\r\n`),
  refused('a Host with a path in it', `GET /x HTTP/1.1\r\nHost: evil.test/#\r\n\r\n`),
  // HTTP/1.0.
  refused('Transfer-Encoding on HTTP/1.0', `POST /x HTTP/1.0\r\n${host}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(HIDDEN)}0\r\n\r\n`),
  {
    name: 'HTTP/1.0 keep-alive: a body that looks like a request, then a real second request',
    bytes: `POST /a HTTP/1.0\r\n${host}\r\nConnection: keep-alive\r\nContent-Length: ${HIDDEN.length}\r\n\r\n${HIDDEN}GET /b HTTP/1.0\r\n${host}\r\n\r\n`,
    statuses: [[200, 200]],
    upstream: [
      { method: 'POST', url: '/a', body: HIDDEN, framing: 'length' },
      { method: 'GET', url: '/b' },
    ],
  },
  {
    name: 'HTTP/1.0 without keep-alive: nothing after the first request is read',
    bytes: `GET /a HTTP/1.0\r\n${host}\r\n\r\n${HIDDEN}`,
    statuses: [[200]],
    upstream: [{ method: 'GET', url: '/a' }],
  },
  {
    name: 'HTTP/1.0 with no length: the bytes after the head are not a body, nor a request',
    bytes: `POST /a HTTP/1.0\r\n${host}\r\n\r\n${HIDDEN}`,
    statuses: [[200]],
    upstream: [{ method: 'POST', url: '/a', body: '' }],
  },
  // Honest pipelining still works, answered in order.
  {
    name: 'two pipelined requests',
    bytes: `GET /one HTTP/1.1\r\n${host}\r\n\r\nPOST /two HTTP/1.1\r\n${host}\r\nContent-Length: 3\r\n\r\nabc`,
    statuses: [[200, 200, 200]],
    upstream: [{ method: 'GET', url: '/one' }, { method: 'POST', url: '/two', body: 'abc', framing: 'length' }, last],
  },
];

describe('request smuggling: the legacy API receives exactly the message the client framed, or nothing', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const text = await rawSend(proxy.proxyPort, c.bytes + LAST);
      const got = statusesIn(text);
      expect(c.statuses.map((s) => JSON.stringify(s))).toContain(JSON.stringify(got));
      if (got[0]! >= 400) {
        expect(text).toMatch(/content-type: application\/problem\+json/i);
        expect(text).toMatch(/"correlationId":"[^"]+"/);
        expect(text).toMatch(/connection: close/i);
      }

      // The next client on the same pooled connection gets its own answer...
      const victim = await victimAnswer();
      expect(victim.status).toBe(200);
      expect(victim.body).toMatchObject({ url: '/victim/profile', authorization: ['Bearer victim-token'] });

      // ...and the upstream parsed the attacker's framed requests, and no hidden one.
      const seen = upstream.requests.slice(0, -1);
      expect(upstream.requests.at(-1)!.url).toBe('/victim/profile');
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(c.upstream.map((r) => `${r.method} ${r.url}`));
      c.upstream.forEach((want, i) => {
        const r = seen[i]!;
        if (want.body !== undefined) expect(r.body.toString('latin1')).toBe(want.body);
        const names = r.rawHeaders.filter((_, j) => j % 2 === 0).map((n) => n.toLowerCase());
        if (want.framing === 'chunked') expect(names).toContain('transfer-encoding');
        if (want.framing === 'length') expect(names).toContain('content-length');
      });
      expect(upstream.requests.some((r) => r.url === '/admin/users')).toBe(false);
    });
  }
});
