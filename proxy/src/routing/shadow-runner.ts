import type { Logger } from 'pino';
import type { ShadowRules } from './route.ts';
import { createNoiseModel, type NoiseModel } from './shadow-noise.ts';
import { judge, type ShadowInput } from './shadow-outcome.ts';
import type { ShadowOutcome, ShadowStats } from './shadow-stats.ts';

export type { ShadowInput } from './shadow-outcome.ts';

export interface ShadowRunnerOptions {
  maxConcurrent: number;
  maxBodyBytes: number;
  stats: ShadowStats;
  log: Logger;
  random?: () => number;
  /**
   * A ticket neither completed nor abandoned by then is abandoned, so one forgotten
   * ticket cannot hold a slot for ever (default 60 s).
   */
  ticketTimeoutMs?: number;
}

export interface ShadowTicket {
  /** The caller should fetch a second legacy answer. */
  readonly calibrate: boolean;
  /** Never throws; records the outcome and logs one line (no values). */
  complete(input: ShadowInput): void;
  /** Counts as skipped, frees the slot. */
  abandon(reason: string): void;
  /** Hears the outcome once it is judged (the shadow comparison's span ends with it). */
  onSettled(listener: (outcome: ShadowOutcome) => void): void;
}

export interface ShadowRunner {
  /** null = over the cap: counted as skipped, nothing queued. */
  begin(routeId: string, rules: ShadowRules): ShadowTicket | null;
  inFlight(): number;
}

const TICKET_TIMEOUT_MS = 60_000;

/**
 * Orchestrates shadow comparisons without any HTTP of its own. The work of a
 * completed ticket runs on a later turn of the event loop (setImmediate), so the
 * caller's response path is never held up; the slot stays taken until that work is
 * done, so the cap also bounds comparisons waiting to run.
 */
export function createShadowRunner(o: ShadowRunnerOptions): ShadowRunner {
  const models = new Map<string, NoiseModel>();
  let inFlight = 0;

  function noiseFor(routeId: string, rules: ShadowRules): NoiseModel {
    let model = models.get(routeId);
    if (!model) {
      model = createNoiseModel({ calibrationRate: rules.calibrationRate, random: o.random });
      models.set(routeId, model);
    }
    return model;
  }

  function settle(routeId: string, outcome: ShadowOutcome, heard?: (outcome: ShadowOutcome) => void): void {
    try {
      o.stats.record(routeId, outcome);
      logOutcome(o.log, routeId, outcome);
      heard?.(outcome);
    } catch {
      // Counting and logging are best effort; the request has long gone on.
    }
  }

  function begin(routeId: string, rules: ShadowRules): ShadowTicket | null {
    try {
      if (inFlight >= o.maxConcurrent) {
        // Not logged: under load this would flood the log; the counter says it.
        o.stats.record(routeId, { result: 'skipped', reason: 'over concurrency cap', noisyPaths: models.get(routeId)?.noisyPaths() });
        return null;
      }
      const noise = noiseFor(routeId, rules);
      inFlight++;
      let done = false;
      let heard: ((outcome: ShadowOutcome) => void) | undefined;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        return true;
      };
      const abandon = (reason: string): void => {
        if (!finish()) return;
        inFlight--;
        settle(routeId, { result: 'skipped', reason, noisyPaths: noise.noisyPaths() }, heard);
      };
      const timer = setTimeout(() => abandon('ticket timed out'), o.ticketTimeoutMs ?? TICKET_TIMEOUT_MS);
      timer.unref();

      return {
        calibrate: noise.shouldCalibrate(),
        abandon,
        complete(input) {
          if (!finish()) return;
          setImmediate(() => {
            let outcome: ShadowOutcome;
            try {
              outcome = judge(input, { rules, noise, maxBodyBytes: o.maxBodyBytes });
            } catch {
              outcome = { result: 'error', correlationId: input.correlationId, reason: 'comparison failed' };
            }
            inFlight--;
            settle(routeId, { ...outcome, noisyPaths: noise.noisyPaths() }, heard);
          });
        },
        onSettled(listener) {
          heard = listener;
        },
      };
    } catch {
      return null;
    }
  }

  return { begin, inFlight: () => inFlight };
}

function logOutcome(log: Logger, routeId: string, outcome: ShadowOutcome): void {
  const fields: Record<string, unknown> = { routeId, result: outcome.result, correlationId: outcome.correlationId };
  if (outcome.result === 'mismatch') {
    fields.differenceCount = outcome.differences.length;
    // Paths and kinds only: the redacted descriptions stay on the status page.
    fields.paths = outcome.differences.slice(0, 5).map((d) => `${d.path} (${d.kind})`);
  }
  if (outcome.result === 'error' || outcome.result === 'skipped') fields.reason = outcome.reason;
  const line = { shadow: fields };
  if (outcome.result === 'mismatch') log.info(line, 'shadow mismatch');
  else if (outcome.result === 'error') log.warn(line, 'shadow comparison failed');
  else log.debug(line, `shadow ${outcome.result}`);
}
