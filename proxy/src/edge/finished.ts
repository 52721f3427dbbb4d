import type { IncomingMessage, ServerResponse } from 'node:http';
import { stateOf, type RequestState } from './request-state.ts';

/**
 * What the edge learns when a request is over: its state, the status the client got (499
 * when the client left before the response finished, as nginx counts it) and how long it took.
 */
export type FinishedListener = (req: IncomingMessage, state: RequestState, status: number, seconds: number) => void;

/**
 * One 'close' listener per request, the same function for every request, feeds the metrics,
 * the request log line and the status page's accounting. A response always emits 'close'
 * (after 'finish' when it completed), and `res.req` leads back to the request. Listeners
 * registered per request, and closures made per request, are what a pass-through pays for.
 */
export function createFinishedHook(listeners: readonly FinishedListener[]): (res: ServerResponse) => void {
  function finished(this: ServerResponse): void {
    const req = this.req;
    const state = stateOf(req);
    const seconds = Number(process.hrtime.bigint() - state.startedAt) / 1e9;
    const status = this.writableFinished ? this.statusCode : 499;
    for (const listener of listeners) {
      try {
        listener(req, state, status, seconds);
      } catch {
        // Counting and logging are best effort: a fault there must never reach the process.
      }
    }
  }
  return (res) => {
    res.on('close', finished);
  };
}
