import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { errorCodeForStatus, sendLegacyError } from './legacy-error.ts';

export interface FaultRule {
  method?: string;
  /** Regex source tested against the request path (no query). */
  path: string;
  latencyMs?: number;
  status?: number;
  drop?: boolean;
  /** Probability 0..1 that the rule fires on a matching request; default 1. */
  rate?: number;
}

/** What happens to one request: wait, then drop or answer an error, else carry on. */
export interface FaultAction {
  latencyMs: number;
  status?: number;
  drop: boolean;
  source: 'rule' | 'header';
}

const MAX_LATENCY_MS = 10 * 60_000;

const faultRuleSchema = z
  .object({
    method: z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method name').optional(),
    path: z.string().refine(isRegexSource, 'must be a valid regular expression source'),
    latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS).optional(),
    status: z.number().int().min(400).max(599).optional(),
    drop: z.boolean().optional(),
    rate: z.number().min(0).max(1).optional(),
  })
  .strict();

/** Validates untrusted input (env, options, the stub's admin endpoint); the message says what is wrong and where. */
export function parseFaultRules(input: unknown): FaultRule[] {
  const result = z.array(faultRuleSchema).safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? `[${issue.path.map(String).join('].[')}]` : 'the value';
  throw new Error(`${where}: ${issue.message}`);
}

function isRegexSource(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export interface CompiledRule {
  rule: FaultRule;
  pattern: RegExp;
}

/** Rules must come from parseFaultRules: the patterns are known to compile. */
export function compileFaultRules(rules: readonly FaultRule[]): CompiledRule[] {
  return rules.map((rule) => ({ rule, pattern: new RegExp(rule.path) }));
}

/** The first matching rule that wins its dice roll applies; the others are ignored. */
export function pickRuleFault(
  rules: readonly CompiledRule[],
  method: string,
  path: string,
): FaultAction | undefined {
  for (const { rule, pattern } of rules) {
    if (rule.method && rule.method.toUpperCase() !== method) continue;
    if (!pattern.test(path)) continue;
    if (Math.random() >= (rule.rate ?? 1)) continue;
    return { latencyMs: rule.latencyMs ?? 0, status: rule.status, drop: rule.drop ?? false, source: 'rule' };
  }
  return undefined;
}

/** Per-request faults from x-fault-* headers; an unusable value is the caller's mistake (400). */
export function headerFault(req: IncomingMessage): FaultAction | { invalid: string } | undefined {
  const latency = single(req.headers['x-fault-latency-ms']);
  const status = single(req.headers['x-fault-status']);
  const drop = single(req.headers['x-fault-drop']);
  if (latency === undefined && status === undefined && drop === undefined) return undefined;
  const action: FaultAction = { latencyMs: 0, drop: false, source: 'header' };
  if (latency !== undefined) {
    if (!/^\d+$/.test(latency) || Number(latency) > MAX_LATENCY_MS)
      return { invalid: `x-fault-latency-ms must be an integer from 0 to ${MAX_LATENCY_MS}` };
    action.latencyMs = Number(latency);
  }
  if (status !== undefined) {
    if (!/^[45]\d\d$/.test(status)) return { invalid: 'x-fault-status must be a status from 400 to 599' };
    action.status = Number(status);
  }
  if (drop !== undefined) {
    if (!['1', 'true', '0', 'false'].includes(drop)) return { invalid: 'x-fault-drop must be 1, true, 0 or false' };
    action.drop = drop === '1' || drop === 'true';
  }
  return action;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Carries out a fault. Resolves true when the request should still reach its handler.
 * A client that leaves during the injected latency stops the timer.
 */
export async function applyFault(
  action: FaultAction,
  req: IncomingMessage,
  res: ServerResponse,
  beforeDrop: () => void = () => {},
): Promise<boolean> {
  if (action.latencyMs > 0 && !(await waitUnlessClosed(res, action.latencyMs))) return false;
  if (action.drop) {
    beforeDrop();
    req.socket.destroy();
    return false;
  }
  if (action.status !== undefined) {
    sendLegacyError(
      res,
      action.status,
      errorCodeForStatus(action.status),
      `Injected fault (${action.source}): status ${action.status}.`,
    );
    return false;
  }
  return true;
}

/** Resolves true after `ms`, or false as soon as the response is closed (client gone). */
export function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}
