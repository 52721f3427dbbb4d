import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { handleEcho, isEchoPath } from './echo.ts';
import { applyFault, headerFault, pickRuleFault, type CompiledRule, type FaultAction } from './faults.ts';
import { sendLegacyError } from './legacy-error.ts';
import type { Recorder, StubStats } from './received.ts';
import { requestPath } from './request-path.ts';
import { rejectTooLarge, uploadRefusedBeforeBody } from './routes/upload.ts';

export interface PipelineDeps {
  app: RequestListener;
  recorder: Recorder;
  stats: StubStats;
  faultRules: () => readonly CompiledRule[];
  faultHeaders: boolean;
  quiet: boolean;
}

/**
 * What every request goes through before any handler, on the raw node:http
 * request: record it, count it, log it, inject faults, then hand it to the echo
 * endpoint or to Express. Returns the listeners for 'request' and 'checkContinue'.
 */
export function createRequestPipeline(deps: PipelineDeps) {
  function begin(req: IncomingMessage, res: ServerResponse): { path: string; drop: () => void } {
    const entry = deps.recorder.record(req, res);
    const path = requestPath(req.url);
    if (!isStubPath(path)) deps.stats.requestsByPath.set(path, (deps.stats.requestsByPath.get(path) ?? 0) + 1);
    if (!deps.quiet) logWhenDone(req, res, path);
    return { path, drop: () => (entry.dropped = true) };
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string, markDropped: () => void) {
    if (!isNeverFaulted(path)) {
      const fault = chooseFault(req, path);
      if (fault && 'invalid' in fault) {
        sendLegacyError(res, 400, 'invalid_fault_header', fault.invalid);
        return;
      }
      if (fault && !(await applyFault(fault, req, res, markDropped))) return;
    }
    if (isEchoPath(path)) await handleEcho(req, res);
    else deps.app(req, res);
  }

  function chooseFault(req: IncomingMessage, path: string): FaultAction | { invalid: string } | undefined {
    const fromHeaders = deps.faultHeaders ? headerFault(req) : undefined;
    return fromHeaders ?? pickRuleFault(deps.faultRules(), req.method ?? 'GET', path);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const { path, drop } = begin(req, res);
    serve(req, res, path, drop).catch(() => res.destroy());
  };

  // Replaces node's automatic "100 Continue": an oversized upload is refused before its body is sent.
  const onCheckContinue = (req: IncomingMessage, res: ServerResponse) => {
    const { path, drop } = begin(req, res);
    const refused = uploadRefusedBeforeBody(req);
    if (refused) {
      rejectTooLarge(res, refused.max);
      return;
    }
    res.writeContinue();
    serve(req, res, path, drop).catch(() => res.destroy());
  };

  return { onRequest, onCheckContinue };
}

function isStubPath(path: string): boolean {
  return path.startsWith('/__stub/');
}

function isNeverFaulted(path: string): boolean {
  return path === '/health' || isStubPath(path);
}

/** One line per request; the path only, since query strings may carry things nobody should log. */
function logWhenDone(req: IncomingMessage, res: ServerResponse, path: string): void {
  const started = performance.now();
  res.once('close', () => {
    const ms = Math.round(performance.now() - started);
    const outcome = res.writableFinished ? String(res.statusCode) : 'no answer (connection closed)';
    process.stdout.write(`legacy-stub ${req.method} ${path} ${outcome} ${ms}ms\n`);
  });
}
