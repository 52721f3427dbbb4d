import type { IncomingMessage } from 'node:http';

/** Why a request head is refused before anything is forwarded. */
export interface HeadRefusal {
  status: 400 | 431 | 501;
  detail: string;
}

/** How the request's body is framed, as the proxy's parser read it. */
export type BodyFraming = 'none' | 'length' | 'chunked';

const FRAMING = Symbol('strangler.bodyFraming');
const REPEATS = Symbol('strangler.repeatedFields');
type Framed = IncomingMessage & { [FRAMING]?: BodyFraming; [REPEATS]?: boolean };

/**
 * Fields a Connection header may not name: they frame or route the message for every
 * recipient (RFC 9110 §7.6.1), so dropping them as hop-by-hop would forward a body without
 * its framing, or to another host.
 */
const NOT_HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'host']);
/** Fields that must come once: a second one is either an attack or a client bug nobody can settle. */
const SINGLE: readonly string[] = ['host', 'content-length', 'transfer-encoding', 'authorization', 'proxy-authorization'];

/**
 * The single fields, plus the header a legacy API takes its token in when that is not
 * Authorization (LEGACY_TOKEN_HEADER): two tokens there are two callers, and which one the
 * legacy API would act for is its parser's choice, not the proxy's.
 */
export function singleFields(credentialHeader?: string): readonly string[] {
  const name = credentialHeader?.toLowerCase();
  return name === undefined || SINGLE.includes(name) ? SINGLE : [...SINGLE, name];
}
/** RFC 9110 §4.2.3 host (reg-name or IPv4, or an IPv6 literal) and an optional port; no userinfo, path or spaces. */
const HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/;

/**
 * The message-framing rules of the boundary (docs/security.md). Node's parser already refuses
 * Content-Length with Transfer-Encoding, a Transfer-Encoding that does not end in chunked,
 * obs-fold and bare CR; what it lets through, and a forwarding proxy must not, is refused here:
 * a Transfer-Encoding other than plain `chunked` (the proxy would have to forward a coding it
 * does not understand), any Transfer-Encoding on HTTP/1.0 (RFC 9112 §6.1), a Connection header
 * naming a framing field, a repeated field that must be single, an invalid Host, and more
 * fields than the proxy forwards. Costs a few property reads on an ordinary request. Runs
 * before the pipeline touches the head.
 */
export function checkRequestHead(req: IncomingMessage, maxFields: number, single: readonly string[] = SINGLE): HeadRefusal | undefined {
  const raw = req.rawHeaders;
  if (raw.length > maxFields * 2) {
    return { status: 431, detail: `The request has ${raw.length / 2} header fields; the proxy forwards at most ${maxFields}.` };
  }
  const h = req.headers;
  let framing: BodyFraming = h['content-length'] !== undefined ? 'length' : 'none';
  const te = h['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersion === '1.0') return { status: 400, detail: 'An HTTP/1.0 request cannot carry Transfer-Encoding (RFC 9112 §6.1).' };
    if (te.trim().toLowerCase() !== 'chunked') return { status: 501, detail: `The proxy forwards the transfer coding "chunked" only, not "${te}".` };
    framing = 'chunked';
  }
  (req as Framed)[FRAMING] = framing;
  const connection = h.connection;
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close' && namesFramingField(connection)) {
    return { status: 400, detail: 'The Connection header names a field that frames or routes the message (Content-Length, Transfer-Encoding or Host).' };
  }
  // Counted before the pipeline adds or removes a field of its own (correlation id, credentials).
  let distinct = 0;
  for (const _ in h) distinct++;
  const repeats = raw.length / 2 > distinct;
  (req as Framed)[REPEATS] = repeats;
  if (repeats) {
    const distinct = req.headersDistinct;
    for (const name of single) {
      if ((distinct[name]?.length ?? 0) > 1) return { status: 400, detail: `The request carries more than one ${name} field.` };
    }
  }
  const host = h.host;
  if (host === undefined) {
    if (req.httpVersion !== '1.0') return { status: 400, detail: 'An HTTP/1.1 request must carry a Host header (RFC 9112 §3.2).' };
  } else if (!HOST.test(host)) return { status: 400, detail: 'The Host header is not a valid host name and port.' };
  return undefined;
}

/** The framing checkRequestHead recorded for a request (none for one it never saw). */
export function bodyFraming(req: IncomingMessage): BodyFraming {
  return (req as Framed)[FRAMING] ?? 'none';
}

/** Did the request come with more field lines than distinct names? Only then is there a repeat to keep. */
export function arrivedWithRepeats(req: IncomingMessage): boolean {
  return (req as Framed)[REPEATS] === true;
}

function namesFramingField(connection: string): boolean {
  for (const token of connection.split(',')) {
    if (NOT_HOP_BY_HOP.has(token.trim().toLowerCase())) return true;
  }
  return false;
}
