import type { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { InMemStorageProvider, Unleash, type ClientFeaturesResponse } from 'unleash-client';
import { mayLeaveLegacy } from './may-leave-legacy.ts';
import { countLegacy, decideSide } from './decide.ts';
import { createChangeLog, describeFlag } from './flag-state.ts';
import type { Flags, FlagsConfig } from './types.ts';

/** How long a shutdown waits for the last usage metrics to reach Unleash. */
const METRICS_FLUSH_BUDGET_MS = 2_000;

export type UnleashFlagsConfig = Omit<Extract<FlagsConfig, { mode: 'unleash' }>, 'mode'>;

/**
 * Flags from a real Unleash server, polled every refreshMs. When the server goes away,
 * unleash-client keeps the definitions it last fetched; until it has answered once, nothing
 * is in force and every request goes to the legacy API.
 */
export async function createUnleashFlags(config: UnleashFlagsConfig, log: Logger): Promise<Flags> {
  const client = new Unleash({
    url: config.url,
    appName: config.appName,
    instanceId: config.instanceId,
    refreshInterval: config.refreshMs,
    customHeaders: config.token ? { Authorization: config.token } : undefined,
    // Not the default file backup in the temp dir: a restarted proxy must not revive flags
    // from an earlier run (or another app on the machine) before the server has answered.
    storageProvider: new InMemStorageProvider(),
  });
  const changes = createChangeLog();
  let closed = false;
  // Set only once ready: before that, isEnabled would warn on every call.
  let live: Unleash | null = null;
  client.on('ready', () => (live = client));
  client.on('changed', (features: ClientFeaturesResponse['features']) => changes.record(features));

  // One log line per distinct problem until Unleash answers again: the poller retries every refreshMs.
  const reported = new Set<string>();
  const problem = (message: string) => {
    if (reported.has(message)) return log.debug({ url: config.url }, `Unleash: ${message}`);
    reported.add(message);
    log.error({ url: config.url }, `Unleash: ${message} (the last known flags stay in force${live ? '' : '; none yet, so legacy'})`);
  };
  const refusal = askAgainAfterRefusal(client, config.refreshMs);
  const answered = () => {
    if (reported.size > 0 || refusal.refused()) log.info({ url: config.url }, 'Unleash answers again');
    reported.clear();
    refusal.answered();
  };
  client.on('error', (err: Error) => {
    const status = refusedStatus(err);
    if (status === undefined) return problem(err.message);
    if (!refusal.refused()) {
      log.warn(
        { url: config.url, status },
        `Unleash refused the token (${status}); asking again on a back-off until it is accepted (the last known flags stay in force${live ? '' : '; none yet, so legacy'})`,
      );
    }
    refusal.schedule();
  });
  client.on('warn', (msg: unknown) => problem(String(msg)));
  client.on('changed', answered);
  client.on('unchanged', answered);

  const waitMs = config.startupWaitMs ?? 3_000;
  if (!(await readyWithin(client, waitMs))) {
    log.warn({ url: config.url, waitMs }, 'Unleash has not answered yet; every migrated route goes to legacy until it does');
  } else {
    log.info({ url: config.url }, 'flags synchronized with Unleash');
  }

  return {
    source: 'unleash',
    loaded: () => live !== null,
    decide: (flag, ctx) => decideSide(live, flag, ctx),
    mayLeaveLegacy: (flag) => mayLeaveLegacy(live, flag),
    countLegacy: (flag) => countLegacy(live, flag),
    state: (flag) => describeFlag(live, flag, changes.lastChangedAt(flag)),
    async close() {
      if (closed) return;
      closed = true;
      // The usage counted since the last send (up to a metrics interval) goes out before the
      // client stops: every rolling deploy would drop it otherwise. Bounded, so an Unleash that
      // does not answer cannot hold up the shutdown.
      const flushed = live ? client.flushMetrics().catch(() => {}) : undefined;
      live = null;
      if (flushed) await Promise.race([flushed, delay(METRICS_FLUSH_BUDGET_MS, undefined, { ref: false })]);
      refusal.stop();
      client.destroy();
      // unleash-client 6.12.1: destroy() strips the repository's listeners, yet a fetch still
      // in flight (seconds of retries when the server is down) then emits 'error' on it, and
      // an unhandled 'error' event kills the process. Its late errors are of no interest now.
      (client as unknown as { repository: EventEmitter }).repository.on('error', () => {});
    },
  };
}

/** The status of unleash-client's "Stopping refresh of toggles" error (a 401 or 403 to the features poll). */
function refusedStatus(err: Error): number | undefined {
  const match = /responded (401|403) .*Stopping refresh of toggles/.exec(err?.message ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * unleash-client 6.12.1 stops polling for good once the server answers the features poll with
 * 401 or 403: a token revoked by mistake, or not yet valid during a rotation, would need a restart
 * once fixed. This asks again, refreshMs after the first refusal and doubling up to a minute (or
 * refreshMs if longer); the poller keeps its flags meanwhile and, once answered, carries on polling
 * by itself. Only after a refusal is no poll scheduled, so a fetch from here never doubles one.
 */
function askAgainAfterRefusal(client: Unleash, refreshMs: number) {
  const repository = (client as unknown as { repository: { fetch(): Promise<void> } }).repository;
  const longest = Math.max(refreshMs, 60_000);
  let refusals = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    refused: () => refusals > 0,
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => void repository.fetch(), Math.min(refreshMs * 2 ** refusals, longest));
      timer.unref();
      refusals++;
    },
    answered() {
      refusals = 0;
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/**
 * Waits for 'ready' rather than 'synchronized': the latter can fire a tick before isEnabled
 * works. With no bootstrap and an in-memory store, ready means the server has answered.
 */
function readyWithin(client: Unleash, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
