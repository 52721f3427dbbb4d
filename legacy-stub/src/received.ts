import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ReceivedRequest {
  method: string;
  /** Raw req.url, exactly as the request line carried it. */
  url: string;
  rawHeaders: string[];
  startedAt: number;
  /** The client went away before the response finished. */
  aborted: boolean;
  finished: boolean;
  /** The stub itself cut the connection (a drop fault); never counted as aborted. */
  dropped: boolean;
}

export const RECEIVED_LIMIT = 1000;

/**
 * What reached the stub, newest last, so tests can prove what the proxy forwarded
 * (or did not). The array is mutated in place: callers may hold on to it.
 */
export function createRecorder(limit = RECEIVED_LIMIT) {
  const received: ReceivedRequest[] = [];

  function record(req: IncomingMessage, res?: ServerResponse): ReceivedRequest {
    const entry: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: [...req.rawHeaders],
      startedAt: Date.now(),
      aborted: false,
      finished: false,
      dropped: false,
    };
    received.push(entry);
    if (received.length > limit) received.splice(0, received.length - limit);
    if (res) {
      res.once('finish', () => (entry.finished = true));
      res.once('close', () => {
        if (!res.writableFinished && !entry.dropped) entry.aborted = true;
      });
    }
    return entry;
  }

  return { received, record };
}

export type Recorder = ReturnType<typeof createRecorder>;

/** Counters tests read through GET /__stub/stats. */
export interface StubStats {
  enrollmentWrites: number;
  requestsByPath: Map<string, number>;
}

export function createStats(): StubStats {
  return { enrollmentWrites: 0, requestsByPath: new Map() };
}
