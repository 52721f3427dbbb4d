import type { Stack } from '../test-support/stack.ts';
import { passkeySession as passkeySessionAt } from '../test-support/passkey-session.ts';
import { until as waitUntil } from '../test-support/until.ts';

/** Test support for the status-page suites. */

export const STATUS_TOKEN = 'status-e2e-token-0123456789abcdefghij';

/** A proxy session for a seeded legacy user, signed in with a passkey. */
export const passkeySession = (stack: Stack, username: string) => passkeySessionAt(stack, stack.legacy.issueToken(username));

/** Status flushes and page renders can take a while on a loaded machine: a longer default wait. */
export const until = (done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => waitUntil(done, timeoutMs);
