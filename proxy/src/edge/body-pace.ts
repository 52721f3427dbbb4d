import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { problems, sendProblem } from './problem.ts';
import { refuse, stateOf } from './request-state.ts';

/**
 * A request body must keep arriving: one that sends nothing for `idleMs`, or whose average
 * rate, once the client has had `graceMs`, is below `minBytesPerSecond`, is ended. Without
 * this, uploads trickling a byte every few seconds each hold a keep-alive socket to the legacy
 * API for as long as they like, and everyone else queues behind them.
 *
 * Ended means: a 408 problem+json with `Connection: close` when no answer has started, else
 * the connection is cut. Either way the client request is then destroyed, which aborts the
 * request to the legacy API (http-proxy aborts it when the client request is aborted), so its
 * socket is freed, not reused. Closing the connection alone would not: once its response has
 * finished, Node no longer aborts a request whose body is still due, and the legacy request
 * would wait for the rest of that body for as long as the legacy API lets it.
 *
 * Only the client's own time counts: while the proxy is not taking the body (the legacy side
 * pushes back, or nothing reads it yet), or the event loop itself was late, the clock stops.
 * That is Kestrel's MinRequestBodyDataRate rule, plus an idle limit, since an average alone
 * lets a client that sent a burst first stall for a long time.
 *
 * Cheap on the hot path: a request without a body pays one check; one with a body gets one
 * timer, re-armed every half period, and one 'close' listener (the same function for every
 * request); bytes are read off the socket's own counter, never counted per chunk.
 */

export interface BodyPaceOptions {
  idleMs: number;
  /** 0: no rate floor, only the idle limit. */
  minBytesPerSecond: number;
  graceMs: number;
  log: Logger;
}

/** Starts watching the request's body, if it has one. */
export type BodyPace = (req: IncomingMessage, res: ServerResponse) => void;

interface Pace {
  req: IncomingMessage;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  /** socket.bytesRead when the request arrived (its head included; earlier requests on the connection excluded). */
  startRead: number;
  lastRead: number;
  lastTickAt: number;
  lastProgressAt: number;
  /** Time the body was up to the client: the proxy was taking it. */
  clientMs: number;
}

const PACE = Symbol('strangler.bodyPace');
type Paced = IncomingMessage & { [PACE]?: Pace };

export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
}

/** The body is waiting on the proxy, not on the client: backpressure, or not read yet. */
function heldByProxy(req: IncomingMessage): boolean {
  return req.isPaused() || req.readableLength > 0;
}

function abortRequest(this: ServerResponse): void {
  this.req.destroy();
}

function stop(this: Paced): void {
  const pace = this[PACE];
  if (pace) clearTimeout(pace.timer);
  this[PACE] = undefined;
}

export function createBodyPace(opts: BodyPaceOptions): BodyPace {
  const { idleMs, minBytesPerSecond, graceMs, log } = opts;
  // Half the shortest limit: idleness is seen between idleMs and idleMs plus two periods.
  const every = Math.max(10, Math.floor(Math.min(idleMs, minBytesPerSecond > 0 ? graceMs : idleMs) / 2));

  function tick(pace: Pace): void {
    const { req } = pace;
    if (req.complete || req.destroyed || !req.socket) return;
    const now = performance.now();
    const interval = now - pace.lastTickAt;
    pace.lastTickAt = now;
    const read = req.socket.bytesRead;
    if (read > pace.lastRead) {
      pace.lastRead = read;
      pace.lastProgressAt = now;
      pace.clientMs += interval;
    } else if (heldByProxy(req) || interval > 2 * every) {
      pace.lastProgressAt = now;
    } else {
      pace.clientMs += interval;
      if (now - pace.lastProgressAt >= idleMs) return end(pace, 'idle', read);
    }
    const tooSlow = minBytesPerSecond > 0 && pace.clientMs >= graceMs && (read - pace.startRead) * 1000 < minBytesPerSecond * pace.clientMs;
    if (tooSlow) return end(pace, 'slow', read);
    pace.timer.refresh();
  }

  function end(pace: Pace, why: 'idle' | 'slow', read: number): void {
    const { req, res } = pace;
    const bytes = read - pace.startRead;
    const correlationId = stateOf(req)?.correlationId;
    log.warn({ correlationId, why, bytes, clientMs: Math.round(pace.clientMs) }, 'request body too slow: ended');
    if (res.headersSent) {
      req.destroy();
      return;
    }
    const detail =
      why === 'idle'
        ? `The request body stopped arriving: nothing for ${idleMs / 1000} s.`
        : `The request body arrived too slowly: ${Math.round((bytes * 1000) / pace.clientMs)} bytes/s, at least ${minBytesPerSecond} needed.`;
    // The 408 is handed to the socket at once (nothing else is queued on it), so 'finish'
    // comes on the next tick, before any legacy answer could be read and relayed after it.
    refuse(req, 'request-timeout');
    res.on('finish', abortRequest);
    sendProblem(res, problems.requestTimeout(detail), correlationId, { connection: 'close' });
  }

  return (req, res) => {
    if (!hasBody(req) || req.complete) return;
    const now = performance.now();
    const read = req.socket.bytesRead;
    const pace: Pace = { req, res, timer: undefined as never, startRead: read, lastRead: read, lastTickAt: now, lastProgressAt: now, clientMs: 0 };
    pace.timer = setTimeout(tick, every, pace).unref();
    (req as Paced)[PACE] = pace;
    req.on('close', stop);
  };
}
