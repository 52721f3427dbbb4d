import type { IncomingMessage, ServerResponse } from 'node:http';
import { stateOf, type FinishedRequest } from './request-state.ts';

/** Edge bookkeeping for a finished request: the metrics, the log line, the status page's counts. */
export type FinishedListener = (done: FinishedRequest) => void;

export interface FinishedHook {
  /** Gives the response the one 'close' listener the edge needs. */
  watch(res: ServerResponse): void;
  /**
   * A WebSocket handshake has an outcome: 101, the answer that refused it, or 499 when the
   * client left first. It has no response to watch. Only the first outcome counts: it is what
   * the client got. Its duration is the handshake's, not the connection's, so a WebSocket
   * open for an hour does not read as an hour-long request.
   */
  noteHandshake(req: IncomingMessage, status: number): void;
  /** Runs the listeners for every request that finished since the last run, now (before a read of the metrics or the status page). */
  drain(): void;
  /** Drains, and stops draining at process exit (the proxy is closing). */
  close(): void;
}

/** How long finished requests wait for their bookkeeping: the log's own gathering window. */
const BATCH_MS = 10;

// What is still waiting when the process exits (a crash, a process.exit) is reported then.
const live = new Set<() => void>();
process.on('exit', () => {
  for (const drain of live) drain();
});

/**
 * One 'close' listener per request, the same function for every request, notes the request
 * as finished: its state, the status the client got (499 when the client left before the
 * response finished, as nginx counts it) and how long it took. The listeners then run in
 * batches, every 10 ms while requests finish, each listener over the whole batch in turn. Run
 * per request, between the sockets' work, the same bookkeeping cost several times more
 * (docs/performance.md): its code and data were never warm. A batch holds the requests'
 * state records, never the request objects. Readers that must see the latest requests (the
 * metrics endpoint, the status page) call drain() first. `atOnce` runs on the close itself,
 * for what cannot wait for the batch (a client's share of the legacy pool).
 */
export function createFinishedHook(listeners: readonly FinishedListener[], atOnce: (done: FinishedRequest) => void = () => {}): FinishedHook {
  let batch: FinishedRequest[] = [];
  let timer: NodeJS.Timeout | undefined;

  function drain(): void {
    clearTimeout(timer);
    timer = undefined;
    const done = batch;
    batch = [];
    for (const listener of listeners) {
      for (let i = 0; i < done.length; i++) {
        try {
          listener(done[i]!);
        } catch {
          // Counting and logging are best effort: a fault there must never reach the process.
        }
      }
    }
  }
  live.add(drain);

  function note(done: FinishedRequest, status: number): void {
    done.status = status;
    done.seconds = Number(process.hrtime.bigint() - done.startedAt) / 1e9;
    if (batch.push(done) === 1) timer = setTimeout(drain, BATCH_MS).unref();
  }
  function finished(this: ServerResponse): void {
    const done = stateOf(this.req) as FinishedRequest;
    atOnce(done);
    note(done, this.writableFinished ? this.statusCode : 499);
  }

  return {
    watch(res) {
      res.on('close', finished);
    },
    noteHandshake(req, status) {
      const done = stateOf(req) as FinishedRequest;
      if (done.status === undefined) note(done, status);
    },
    drain,
    close() {
      drain();
      live.delete(drain);
    },
  };
}
