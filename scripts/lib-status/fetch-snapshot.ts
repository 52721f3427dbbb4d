import type { StatusSnapshot } from '../../proxy/src/status/snapshot.ts';
import { checkSnapshotShape } from './snapshot-shape.ts';

/** A failure `npm run status` explains in one message and exits 1 on. Never carries the token. */
export class StatusCliError extends Error {
  override name = 'StatusCliError';
}

export interface FetchOptions {
  /** The proxy's origin, e.g. http://localhost:8080. */
  baseUrl: string;
  /** The proxy's reserved prefix (RESERVED_PREFIX), `/_proxy` by default. */
  prefix: string;
  token: string | undefined;
  timeoutMs?: number;
}

/** GET `${baseUrl}${prefix}/status/api` with the status token, checked enough to print it. */
export async function fetchSnapshot(o: FetchOptions): Promise<StatusSnapshot> {
  let url: URL;
  try {
    url = new URL(`${o.prefix}/status/api`, o.baseUrl.replace(/\/+$/, '') + '/');
  } catch {
    throw new StatusCliError(`STATUS_URL=${JSON.stringify(o.baseUrl)} is not a URL like http://localhost:8080.`);
  }
  const timeoutMs = o.timeoutMs ?? 10_000;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      // A redirect would be the sign-in page: say what is wrong instead of following it.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new StatusCliError(`Cannot reach the proxy at ${url.origin} (${networkReason(err, timeoutMs)}). Is it running? Set STATUS_URL to its address (default http://localhost:8080).`);
  }

  if (res.status === 401) {
    await res.body?.cancel();
    throw new StatusCliError(
      o.token
        ? `The proxy did not accept STATUS_TOKEN (401). It must be the STATUS_TOKEN the proxy runs with.`
        : `The status API needs a token (401): set STATUS_TOKEN to the STATUS_TOKEN the proxy runs with.`,
    );
  }
  if (res.status === 403) {
    await res.body?.cancel();
    throw new StatusCliError(`The proxy refused access to the status API (403): STATUS_TOKEN is not allowed to read it. Use the proxy's STATUS_TOKEN.`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new StatusCliError(`No status API at ${url.href} (404). Is STATUS_URL the proxy, and is RESERVED_PREFIX (${o.prefix}) the proxy's?`);
  }
  const text = await res.text();
  if (!res.ok) {
    throw new StatusCliError(`The status API at ${url.href} answered ${res.status}${problemDetail(text)}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StatusCliError(`The status API at ${url.href} answered ${res.status} but not with JSON (${res.headers.get('content-type') ?? 'no content type'}). Is STATUS_URL the proxy?`);
  }
  return checkSnapshotShape(json, (problem) => new StatusCliError(`The status API's answer is not what this script reads: ${problem}. Are the proxy and this checkout the same version?`));
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return code ?? e.message;
}

/** `: <detail>` from a problem+json body, if it is one. */
function problemDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const said = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : null;
    return said ? `: ${said.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}
