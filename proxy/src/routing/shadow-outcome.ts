import type { ShadowRules } from './route.ts';
import { compareJson } from './shadow-compare.ts';
import type { NoiseModel } from './shadow-noise.ts';
import type { ShadowOutcome } from './shadow-stats.ts';

/** What the caller hands over once both answers are in. */
export interface ShadowInput {
  legacy: { status: number; contentType?: string; body: Buffer | null /* null = too large / aborted */ };
  legacySecond?: { status: number; body: unknown } | { error: Error };
  migrated: { status: number; body: unknown } | { error: Error };
  correlationId: string;
}

export interface JudgeContext {
  rules: ShadowRules;
  noise: NoiseModel;
  maxBodyBytes: number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const is2xx = (status: number) => status >= 200 && status < 300;

/**
 * Decides one shadowed request. Order matters: what cannot be compared (too large,
 * migrated threw, legacy failed) is told apart from what compares badly.
 */
export function judge(input: ShadowInput, ctx: JudgeContext): ShadowOutcome {
  const { correlationId, legacy, migrated } = input;
  if (legacy.body === null) return { result: 'skipped', correlationId, reason: 'legacy answer too large or aborted' };
  if (legacy.body.length > ctx.maxBodyBytes) return { result: 'skipped', correlationId, reason: 'legacy answer too large' };
  if ('error' in migrated) {
    // Aborted through ctx.signal: the client left or the run was given up, not a bug.
    if (migrated.error.name === 'AbortError') return { result: 'skipped', correlationId, reason: 'migrated handler aborted' };
    return { result: 'error', correlationId, reason: 'migrated handler threw' };
  }

  if (legacy.status !== migrated.status) {
    // A failing legacy API says nothing about the migrated route.
    if (legacy.status >= 500) return { result: 'error', correlationId, reason: 'legacy answer 5xx' };
    const difference = { path: '$status', kind: 'changed' as const, legacy: String(legacy.status), migrated: String(migrated.status) };
    return { result: 'mismatch', correlationId, differences: [difference] };
  }
  // Same status outside 2xx: error bodies differ by design (legacy format vs problem+json).
  if (!is2xx(legacy.status)) return { result: 'match', correlationId };
  // No legacy body with a 2xx: a HEAD request or a 204; only the status can be compared.
  if (legacy.body.length === 0) return { result: 'match', correlationId };

  const legacyValue = parseLegacy(legacy.body, legacy.contentType);
  if (legacyValue === NOT_JSON) return { result: 'error', correlationId, reason: 'legacy answer not JSON' };
  const migratedValue = asSent(migrated.body, ctx.maxBodyBytes);
  if (migratedValue === TOO_LARGE) return { result: 'skipped', correlationId, reason: 'migrated answer too large' };
  if (migratedValue === NOT_JSON) return { result: 'error', correlationId, reason: 'migrated answer not JSON' };

  const second = input.legacySecond;
  if (second && 'body' in second && second.status === legacy.status) {
    ctx.noise.learn(legacyValue, second.body, ctx.rules);
  }
  const differences = compareJson(legacyValue, migratedValue, ctx.rules, ctx.noise.noisyPaths());
  return differences.length === 0 ? { result: 'match', correlationId } : { result: 'mismatch', correlationId, differences };
}

const NOT_JSON = Symbol('not JSON');
const TOO_LARGE = Symbol('too large');

function parseLegacy(body: Buffer, contentType: string | undefined): unknown {
  // Without a content type, the body itself decides.
  if (contentType !== undefined && !JSON_TYPE.test(contentType.trim())) return NOT_JSON;
  try {
    return JSON.parse(body.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/**
 * The migrated body as the client would receive it: `toJSON` applied, undefined
 * fields gone. The handler's object is not what goes over the wire.
 */
function asSent(body: unknown, maxBytes: number): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch {
    return NOT_JSON;
  }
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > maxBytes) return TOO_LARGE;
  return JSON.parse(text) as unknown;
}
