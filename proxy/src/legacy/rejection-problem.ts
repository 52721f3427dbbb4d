import { STATUS_CODES } from 'node:http';
import type { Problem } from '../edge/problem.ts';

/** A legacy 4xx answer as ctx.legacy.send handed it to a handler. */
export interface LegacyRejection {
  status: number;
  body: unknown;
  contentType?: string;
}

export const LEGACY_REJECTED = 'urn:strangler-proxy:legacy-rejected';

/** Members a relayed body cannot set: they say what the proxy answers, not what the legacy API said. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'correlationId', 'legacyStatus']);
/** Where a message hides in the error shapes legacy APIs use, most human first. */
const MESSAGE_KEYS = ['message', 'detail', 'error_description', 'errors', 'error', 'title', 'description', 'msg'];
const PROBLEM_JSON = /^application\/problem\+json\s*(?:;|$)/i;
const MAX_DETAIL = 500;

/**
 * The problem+json a migrated route answers with in place of an error answer its handler
 * returned (`status` 400 or more, `body` as returned). When the handler relays a refusal of the
 * legacy API (`legacy`: the latest 4xx it got from ctx.legacy.send), the type is
 * `legacy-rejected`, with `legacyStatus` when the handler changed the status; otherwise the
 * answer is the handler's own and the status says it all (`about:blank`, RFC 9457).
 * The body's own members stay as extension members, so an unchanged frontend that reads the
 * legacy `error` code or Conduit's `errors` map still finds them; `detail` is their message.
 * A body that already is a problem passes through as it was.
 */
export function errorAnswerProblem(status: number, body: unknown, legacy?: LegacyRejection): Problem {
  if (isProblemDocument(body, legacy)) return { ...body, status } as Problem;
  const rejected = legacy !== undefined && status < 500;
  const detail =
    messageOf(body) ??
    (legacy ? messageOf(legacy.body) : undefined) ??
    (rejected ? `The legacy API refused the request (${legacy.status}).` : undefined);
  return {
    ...(isRecord(body) ? Object.fromEntries(Object.entries(body).filter(([name]) => !RESERVED.has(name))) : {}),
    type: rejected ? LEGACY_REJECTED : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...(rejected && legacy.status !== status ? { legacyStatus: legacy.status } : {}),
  };
}

/** The legacy answer was problem+json (and is what the handler returns), or the handler wrote one itself. */
function isProblemDocument(body: unknown, legacy: LegacyRejection | undefined): body is Record<string, unknown> {
  if (!isRecord(body)) return false;
  if (legacy && body === legacy.body && PROBLEM_JSON.test(legacy.contentType ?? '')) return true;
  return typeof body.title === 'string' && typeof body.status === 'number';
}

/** One line a person can read, from whatever shape the error came in; none from an HTML page. */
function messageOf(body: unknown): string | undefined {
  const line = textIn(body, 0)?.replace(/\s+/g, ' ').trim();
  if (!line) return undefined;
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL - 1)}…` : line;
}

function textIn(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') return /^\s*</.test(value) ? undefined : value;
  if (depth > 3) return undefined;
  if (Array.isArray(value)) return joined(value.map((v) => textIn(v, depth + 1)));
  if (!isRecord(value)) return undefined;
  for (const key of MESSAGE_KEYS) {
    const member = value[key];
    // `{errors: {field: [messages]}}` (Rails, Conduit): each field named with its messages.
    const found = key === 'errors' && isRecord(member) ? fieldMessages(member) : textIn(member, depth + 1);
    if (found?.trim()) return found;
  }
  return undefined;
}

function fieldMessages(errors: Record<string, unknown>): string | undefined {
  return joined(
    Object.entries(errors).map(([field, messages]) => {
      const said = [messages].flat().filter((m): m is string => typeof m === 'string' && m.trim() !== '');
      return said.length > 0 ? `${field} ${said.join(', ')}` : undefined;
    }),
  );
}

function joined(parts: Array<string | undefined>): string | undefined {
  const said = parts.filter((p): p is string => p !== undefined && p.trim() !== '');
  return said.length > 0 ? said.join('; ') : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
