import http, { type IncomingMessage, type ServerResponse, type ClientRequest } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { createProxyMiddleware, type Plugin, type RequestHandler } from 'http-proxy-middleware';
import type { Logger } from 'pino';
import { connectionTokens, isRequestHopByHop } from './hop-by-hop.ts';
import { arrivedWithRepeats, bodyFraming } from '../edge/request-head.ts';
import type { ForwardedPolicy } from '../edge/forwarded.ts';
import { legacyHeaderPairs, writeLegacyHead } from './response-headers.ts';
import { problems, sendProblem } from '../edge/problem.ts';
import { CORRELATION_HEADER } from '../edge/correlation-id.ts';
import { redactUrl } from '../edge/redact.ts';
import { upgradeResponse } from '../edge/upgrade-response.ts';
import { traceResponseOf, withTraceResponse } from '../tracing/propagation.ts';

/**
 * The catch-all: one http-proxy-middleware instance, created once at start-up, with a
 * keep-alive agent. Everything about the proxy engine lives in this file, so the move to
 * http-proxy-middleware 4 (httpxy, Node 22+) is a one-file change.
 */

export interface CatchAllOptions {
  legacyUrl: string;
  /** Time allowed from the request being fully sent to the legacy response's headers. */
  timeoutMs: number;
  maxSockets: number;
  keepAliveMs: number;
  /** Largest legacy response head read; a larger one is a 502. */
  maxHeaderBytes: number;
  publicOrigin: (req: IncomingMessage) => string;
  /** Which X-Forwarded-* / Forwarded fields the legacy API gets. */
  forwarded: ForwardedPolicy;
  log: Logger;
}

/** Lets a caller watch the legacy response as it streams by (the shadow comparison does). */
export type ResponseTap = (proxyRes: IncomingMessage) => void;

export interface CatchAll {
  forward(req: IncomingMessage, res: ServerResponse, tap?: ResponseTap): void;
  /** A WebSocket handshake; `noted` hears its outcome: 101, the legacy API's refusal, or 502/504. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, noted: (status: number) => void): void;
  agent: http.Agent;
  close(): void;
}

const TAP = Symbol('strangler.responseTap');
/** The http-proxy server http-proxy-middleware creates and hands to its plugins. */
type EngineServer = Parameters<Plugin>[0];
type Tapped = IncomingMessage & { [TAP]?: ResponseTap };
const HANDSHAKE = Symbol('strangler.handshake');
type Handshaking = IncomingMessage & { [HANDSHAKE]: { noted: (status: number) => void; answered: boolean } };

class UpstreamTimeout extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
}

/**
 * The options of the request to the legacy API. http-proxy's own setupOutgoing, on every
 * request: joins target and request paths with a regex that folds `//` into `/` (and without
 * `toProxy` re-parses the path with url.parse, which escapes some characters), while the
 * frontend's bytes must reach the legacy API as sent; copies ten TLS fields of the target,
 * all unset here, and re-derives the Host header, into an object Node then copies twice more.
 * For a catch-all's agent, the options are built from what was worked out once at start-up:
 * the request path verbatim behind the target's base path, and the request head from
 * outgoingHeaderPairs (legacy Host, X-Forwarded-*). Any other use of http-proxy in the process
 * keeps the original.
 */
interface LegacyTarget {
  hostname: string;
  port: number;
  /** The Host header the legacy API gets (changeOrigin). */
  host: string;
  /** The target's path, if any, without a trailing slash: put in front of every request path. */
  basePath: string;
  maxHeaderSize: number;
  forwarded: ForwardedPolicy;
}
type SetupOutgoing = (outgoing: object, options: { agent?: unknown }, req: IncomingMessage, forward?: string) => object;
const legacyTargets = new WeakMap<object, LegacyTarget>();
const require = createRequire(import.meta.url);
const httpProxyCommon = require('http-proxy/lib/http-proxy/common') as { setupOutgoing: SetupOutgoing };
const setupOutgoing = httpProxyCommon.setupOutgoing;
httpProxyCommon.setupOutgoing = (outgoing, options, req, forward) => {
  const target = forward || !options.agent ? undefined : legacyTargets.get(options.agent);
  if (!target) return setupOutgoing(outgoing, options, req, forward);
  return {
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url === '*' ? '*' : target.basePath + req.url, // a server-wide OPTIONS is for the server, not its base path
    headers: outgoingHeaderPairs(req, target),
    agent: options.agent,
    maxHeaderSize: target.maxHeaderSize,
  };
};

/**
 * The header fields the legacy API gets, as flat `[name, value, ...]` pairs: the legacy Host
 * first (changeOrigin), then the client's end-to-end fields as the pipeline left them (a
 * minted Authorization, the one correlation id), repeats kept as the client sent them, then
 * the body's framing as it arrived, then the forwarded fields the proxy vouches for
 * (edge/forwarded.ts). Built in one pass, without writing into the client's request. Given
 * pairs, Node formats the request head at once; given an object, it would validate and store
 * each field one by one, after the object was copied.
 */
function outgoingHeaderPairs(req: IncomingMessage, target: LegacyTarget): string[] {
  const h = req.headers;
  const isUpgrade = HANDSHAKE in req;
  const listed = h.connection === undefined ? NONE : connectionTokens(h.connection);
  // Node folds repeated fields into one value; the legacy API should see them as sent.
  const distinct = arrivedWithRepeats(req) ? req.headersDistinct : undefined;
  const chunked = bodyFraming(req) === 'chunked';
  const pairs: string[] = ['host', target.host];
  for (const name in h) {
    const value = h[name];
    if (value === undefined || name === 'host' || target.forwarded.incoming.has(name)) continue;
    if (isRequestHopByHop(name, value, listed, isUpgrade)) continue;
    // A body always goes on with the framing it came with: http-proxy sets Content-Length: 0
    // on a DELETE or OPTIONS without one, which would send a chunked body unframed.
    if (chunked && name === 'content-length') continue;
    const all = distinct?.[name];
    if (all !== undefined && all.length > 1 && !SET_BY_PIPELINE.has(name) && !setByTracing(req, name)) for (const v of all) pairs.push(name, v);
    else if (typeof value === 'string') pairs.push(name, value);
    else for (const v of value) pairs.push(name, v);
  }
  if (chunked) pairs.push('transfer-encoding', 'chunked');
  target.forwarded.appendTo(req, pairs);
  return pairs;
}
const NONE: readonly string[] = [];
/**
 * Fields whose value the pipeline decides, so a client's repeats never come back in: the
 * correlation id (one id, the one the proxy logs), the credentials (a second Authorization is
 * refused at the edge; a session's is minted) and Cookie (RFC 6265 has a user agent send one;
 * Node joins repeats with "; ", and the proxy's own cookie is removed from that one value).
 */
const SET_BY_PIPELINE = new Set(['x-correlation-id', 'authorization', 'proxy-authorization', 'cookie']);
/** With tracing on, the trace context is the proxy's span's (tracing/server-span.ts); off, the client's goes on as sent. */
const setByTracing = (req: IncomingMessage, name: string) => (name === 'traceparent' || name === 'tracestate') && traceResponseOf(req) !== undefined;

/**
 * http-proxy creates the outgoing request itself and, for `Expect: 100-continue`, never
 * shows it to 'proxyReq' listeners. The agent sees every outgoing request, synchronously,
 * right after http-proxy's 'start' event for the same incoming request: that is where the
 * per-request wiring (timeout, cancellation, 100-continue relay) is attached. An http or an
 * https agent, as the legacy URL says (Node refuses an agent of the other protocol).
 */
interface ForwardingAgent extends http.Agent {
  pendingReq: IncomingMessage | null;
  pendingRes: ServerResponse | null;
}
type AddRequest = (outgoing: ClientRequest, options: unknown) => void;

function createForwardingAgent(
  protocol: string,
  options: http.AgentOptions,
  wire: (outgoing: ClientRequest, req: IncomingMessage, res: ServerResponse) => void,
): ForwardingAgent {
  const agent = (protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)) as ForwardingAgent & { addRequest: AddRequest };
  agent.pendingReq = null;
  agent.pendingRes = null;
  const addRequest = agent.addRequest;
  agent.addRequest = function (outgoing, requestOptions) {
    const req = agent.pendingReq;
    const res = agent.pendingRes;
    agent.pendingReq = agent.pendingRes = null;
    if (req && res) wire(outgoing, req, res);
    addRequest.call(agent, outgoing, requestOptions);
  };
  return agent;
}

// Per-request links, kept on the objects themselves so the listeners below can be shared
// functions (no closures made per forwarded request).
const CLIENT_RES = Symbol('strangler.clientResponse');
const OUTGOING = Symbol('strangler.outgoing');
const LEGACY_RES = Symbol('strangler.legacyResponse');
const DEADLINE = Symbol('strangler.deadline');
type Outgoing = ClientRequest & { [CLIENT_RES]: ServerResponse; [DEADLINE]?: NodeJS.Timeout };
type ClientRes = ServerResponse & { [OUTGOING]: Outgoing; [LEGACY_RES]?: LegacyRes };
type LegacyRes = IncomingMessage & { [CLIENT_RES]: ClientRes };

function relayContinue(this: Outgoing): void {
  this[CLIENT_RES].writeContinue();
}
function clientClosed(this: ClientRes): void {
  const outgoing = this[OUTGOING];
  clearTimeout(outgoing[DEADLINE]);
  // A client that leaves cancels the legacy request (and its response stream).
  if (!this.writableFinished) outgoing.destroy();
}
function expire(outgoing: Outgoing): void {
  outgoing.destroy(new UpstreamTimeout('legacy answer timed out'));
}
// The legacy body, relayed chunk by chunk with backpressure: what pipe() does, without the
// seven listeners and nine closures pipe() sets up and tears down per response.
function relayChunk(this: LegacyRes, chunk: Buffer): void {
  const res = this[CLIENT_RES];
  if (!res.write(chunk)) {
    this.pause();
    res[LEGACY_RES] = this;
    res.once('drain', resumeLegacy);
  }
}
function resumeLegacy(this: ClientRes): void {
  this[LEGACY_RES]?.resume();
}
function relayEnd(this: LegacyRes): void {
  const res = this[CLIENT_RES];
  // Trailer fields, such as a checksum of the streamed body, go out after the last chunk.
  // Node sends them on a chunked response, which is what a legacy answer with trailers becomes.
  if (this.rawTrailers.length > 0) res.addTrailers(fieldPairs(this.rawTrailers));
  res.end();
}
/**
 * 103 Early Hints (the legacy API's preload Links) reach the client too; 100 Continue has its
 * own relay. Never after the answer has started, nor to an HTTP/1.0 client (RFC 9110 §15.2).
 */
function relayInformation(this: Outgoing, info: http.InformationEvent): void {
  const res = this[CLIENT_RES];
  if (info.statusCode !== 103 || res.headersSent || res.req.httpVersion === '1.0') return;
  const hints: Record<string, string[]> = {};
  for (const [name, value] of fieldPairs(info.rawHeaders)) {
    const lower = name.toLowerCase();
    // Node validates each link on its own, so a field listing several is split between them.
    (hints[lower] ??= []).push(...(lower === 'link' ? value.split(BETWEEN_LINKS) : [value]));
  }
  try {
    res.writeEarlyHints(hints);
  } catch {
    // A Link Node will not send: a hint is only a hint.
  }
}
const BETWEEN_LINKS = /\s*,\s*(?=<)/;
function fieldPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}
function legacyFailed(this: LegacyRes): void {
  this[CLIENT_RES].destroy();
}

/**
 * What went wrong on the way to the legacy API, told apart for support staff: a legacy API
 * that was never reached, one that dropped the connection (it crashed, or it refused a body
 * mid-upload and closed), and one whose answer Node could not parse (HPE_*: a response head
 * larger than MAX_HEADER_BYTES, or not HTTP at all).
 */
function legacyFailure(code: string | undefined): { log: string; detail?: string } {
  if (code?.startsWith('HPE_')) return { log: 'legacy answer unreadable', detail: 'The legacy API sent an answer the proxy could not read.' };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { log: 'legacy closed the connection', detail: 'The legacy API closed the connection without answering.' };
  return { log: 'legacy unreachable' };
}

export function createCatchAll(opts: CatchAllOptions): CatchAll {
  const legacy = new URL(opts.legacyUrl);
  const rewrite = { legacyOrigin: legacy.origin, legacyHostname: legacy.hostname.toLowerCase() };

  const agent = createForwardingAgent(
    legacy.protocol,
    { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets, timeout: opts.keepAliveMs, scheduling: 'lifo' },
    (outgoing, req, res) => {
      // The deadline starts when the request is fully sent and ends with the legacy answer
      // (the 'proxyRes' handler below) or with the client response, answered or not.
      const o = outgoing as Outgoing;
      o[CLIENT_RES] = res;
      (res as ClientRes)[OUTGOING] = o;
      o.on('finish', sent);
      if (req.headers.expect !== undefined) o.on('continue', relayContinue);
      o.on('information', relayInformation);
      res.on('close', clientClosed);
    },
  );
  function sent(this: Outgoing): void {
    this[DEADLINE] = setTimeout(expire, opts.timeoutMs, this);
  }

  legacyTargets.set(agent, {
    hostname: legacy.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without its brackets
    port: Number(legacy.port) || (legacy.protocol === 'https:' ? 443 : 80),
    host: legacy.host,
    basePath: legacy.pathname.replace(/\/+$/, ''),
    maxHeaderSize: opts.maxHeaderBytes,
    forwarded: opts.forwarded,
  });

  // Parsed once here: given the string, http-proxy would url.parse it on every request
  // (deprecated: DEP0169 on Node 24), so it gets the fields it reads, from the WHATWG URL.
  const target = { protocol: legacy.protocol, host: legacy.host, hostname: legacy.hostname, port: legacy.port, path: legacy.pathname };
  // What each forwarded request hands the engine (see `forward`). No changeOrigin or xfwd: the
  // legacy Host and X-Forwarded-* are part of the request head built for this agent
  // (outgoingHeaderPairs).
  const webOptions = { target, agent, selfHandleResponse: true };
  let engine: EngineServer | undefined;

  const middleware: RequestHandler = createProxyMiddleware({
    target: target as never,
    // The dispatcher has already decided the request is the legacy API's. The default filter
    // ('/') would refuse the `*` of a server-wide OPTIONS and leave it to `next`.
    pathFilter: () => true,
    ws: false, // upgrades are wired explicitly on the server (they never reach a request handler)
    agent,
    selfHandleResponse: true,
    ejectPlugins: true,
    plugins: [
      (proxyServer) => {
        engine = proxyServer;
        proxyServer.on('start', (req: IncomingMessage, res: ServerResponse) => {
          agent.pendingReq = req;
          agent.pendingRes = res;
        });
        proxyServer.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) => {
          clearTimeout((proxyRes as IncomingMessage & { req: Outgoing }).req[DEADLINE]);
          // The proxy already answered (a body too slow, edge/body-pace.ts): this answer has no one to go to.
          if (res.headersSent) return void proxyRes.destroy();
          (req as Tapped)[TAP]?.(proxyRes);
          const pairs = legacyHeaderPairs(proxyRes, () => opts.publicOrigin(req), rewrite);
          const traced = traceResponseOf(req); // tracing on: the client learns the trace id beside the correlation id
          writeLegacyHead(res, proxyRes.statusCode ?? 502, proxyRes.statusMessage, traced === undefined ? pairs : withTraceResponse(pairs, traced), req.headers[CORRELATION_HEADER] as string | undefined);
          const legacyRes = proxyRes as LegacyRes;
          legacyRes[CLIENT_RES] = res as ClientRes;
          legacyRes.on('error', legacyFailed);
          legacyRes.on('data', relayChunk);
          legacyRes.on('end', relayEnd);
        });
        proxyServer.on('proxyReqWs', wireHandshake);
        proxyServer.on('error', (err: NodeJS.ErrnoException, req: IncomingMessage, res: ServerResponse | Duplex) => {
          let handshake: Handshaking[typeof HANDSHAKE] | undefined;
          if (!('setHeader' in res)) {
            // A WebSocket: once open (or refused by the legacy API), no other answer is possible.
            handshake = (req as Handshaking)[HANDSHAKE];
            if (handshake.answered || res.destroyed) return void res.destroy();
            handshake.answered = true;
            res = upgradeResponse(req, res);
          }
          const correlationId = req.headers[CORRELATION_HEADER] as string | undefined;
          const url = redactUrl(req.url ?? '');
          const timedOut = err.code === 'UPSTREAM_TIMEOUT';
          const failure = timedOut ? { log: 'legacy timed out' } : legacyFailure(err.code);
          opts.log.warn({ correlationId, code: err.code, url }, failure.log);
          const problem = timedOut ? problems.gatewayTimeout() : problems.badGateway(failure.detail);
          const traced = traceResponseOf(req);
          sendProblem(res, problem, correlationId, traced === undefined ? undefined : { traceresponse: traced });
          handshake?.noted(problem.status);
        });
        // The client went away mid-request: nothing to answer, the outgoing request is already cancelled.
        proxyServer.on('econnreset', () => {});
      },
    ],
  });

  /**
   * http-proxy relays a WebSocket handshake's answer itself; these listeners, added before
   * its own, put the correlation id on that answer, note the outcome, and give the handshake
   * the same deadline as any request. A client connection that closes before the answer
   * cancels it. One that only half-closes (the server keeps its side open, and the socket is
   * not read before the handshake) is noticed at the deadline.
   */
  function wireHandshake(outgoing: ClientRequest, req: IncomingMessage, socket: Duplex): void {
    const handshake = (req as Handshaking)[HANDSHAKE];
    const correlationId = req.headers[CORRELATION_HEADER] as string | undefined;
    const deadline = setTimeout(() => outgoing.destroy(new UpstreamTimeout('legacy handshake timed out')), opts.timeoutMs);
    const answered = (legacyRes: IncomingMessage, status: number) => {
      clearTimeout(deadline);
      handshake.answered = true;
      if (correlationId !== undefined) legacyRes.headers[CORRELATION_HEADER] = correlationId;
      handshake.noted(status);
    };
    outgoing.once('upgrade', (legacyRes: IncomingMessage) => answered(legacyRes, 101));
    outgoing.once('response', (legacyRes: IncomingMessage) => answered(legacyRes, legacyRes.statusCode ?? 502));
    socket.once('close', () => {
      clearTimeout(deadline);
      if (!handshake.answered) outgoing.destroy();
    });
  }

  function engineFailed(err: unknown, req: IncomingMessage, res: ServerResponse): void {
    const correlationId = req.headers[CORRELATION_HEADER] as string | undefined;
    opts.log.error({ err, correlationId, url: redactUrl(req.url ?? '') }, 'could not forward the request to the legacy API');
    sendProblem(res, problems.internal(), correlationId);
  }

  return {
    agent,
    forward(req, res, tap) {
      if (tap) (req as Tapped)[TAP] = tap;
      // Straight to the engine http-proxy-middleware built (its plugin hands it over): the
      // middleware's wrapper would decide nothing here (the dispatcher has decided), yet costs
      // every request a url.parse for its path filter, three promises and a copy of its options.
      // What the engine throws (a header Node will not send) must still get an answer.
      try {
        engine!.web(req, res, webOptions);
      } catch (err) {
        engineFailed(err, req, res);
      }
    },
    upgrade(req, socket, head, noted) {
      (req as Handshaking)[HANDSHAKE] = { noted, answered: false };
      middleware.upgrade(req as never, socket as never, head);
    },
    close() {
      agent.destroy();
    },
  };
}
