import { once } from 'node:events';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { InMemStorageProvider, Unleash, type ClientFeaturesResponse } from 'unleash-client';
import { mayLeaveLegacy } from './may-leave-legacy.ts';
import { countLegacy, decideSide, SHADOW_SUFFIX } from './decide.ts';
import { readFlagsFile } from './file-format.ts';
import { createChangeLog, describeFlag, effectiveRollout } from './flag-state.ts';
import type { Flags } from './types.ts';

// unleash-client requires a url; with refreshInterval 0 and metrics off it never calls it.
const UNUSED_URL = 'http://127.0.0.1:9/flags-file-mode-never-called';
const READY_TIMEOUT_MS = 2_000;

/**
 * Flags from a file, evaluated by unleash-client from a bootstrap. Each valid edit builds a
 * new client and swaps it in once ready (Unleash hashing is deterministic, so stickiness
 * survives the swap); a bad edit is logged and the last good state stays in force.
 */
export async function createFileFlags(config: { file: string; pollMs?: number }, log: Logger): Promise<Flags> {
  const file = path.resolve(config.file);
  const first = await readFlagsFile(file);
  let client = await startClient(first.data, file, log);
  let appliedText = first.text;
  const changes = createChangeLog();
  changes.record(first.data.features);
  let closed = false;

  async function reload(): Promise<void> {
    try {
      const next = await readFlagsFile(file);
      if (closed || next.text === appliedText) return;
      const nextClient = await startClient(next.data, file, log);
      if (closed) {
        nextClient?.destroy();
        return;
      }
      const old = client;
      client = nextClient;
      appliedText = next.text;
      old?.destroy();
      changes.record(next.data.features);
      log.info({ file, flags: summarize(next.data) }, 'flags file reloaded');
    } catch (err) {
      log.error({ file }, `${(err as Error).message}; keeping the last good flags`);
    }
  }

  // Polling, not fs.watch: editors that save by rename-replace lose an fs.watch watcher.
  // Reloads run one after another so an older read never overwrites a newer one.
  let reloading = Promise.resolve();
  const onStat = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size) return;
    reloading = reloading.then(reload);
  };
  watchFile(file, { interval: config.pollMs ?? 400, persistent: false }, onStat);
  log.info({ file, flags: summarize(first.data) }, 'flags loaded from file');

  return {
    source: 'file',
    loaded: () => true,
    decide: (flag, ctx) => decideSide(client, flag, ctx),
    mayLeaveLegacy: (flag) => mayLeaveLegacy(client, flag),
    // Usage metrics are off for a file (nowhere to send them): as decide(), counts nothing.
    countLegacy: (flag) => countLegacy(client, flag),
    state: (flag) => describeFlag(client, flag, changes.lastChangedAt(flag)),
    async close() {
      closed = true;
      unwatchFile(file, onStat);
      await reloading;
      client?.destroy();
      client = null;
    },
  };
}

/** Resolves once the client evaluates the definitions; null when there are none to evaluate. */
async function startClient(data: ClientFeaturesResponse, file: string, log: Logger): Promise<Unleash | null> {
  // unleash-client never becomes ready on an empty bootstrap; no flags means legacy anyway.
  if (data.features.length === 0) return null;
  const client = new Unleash({
    appName: 'strangler-proxy-flags-file',
    url: UNUSED_URL,
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: data.features, segments: data.segments },
    // Every reload builds a client (and destroys the old one); the count warning would misfire.
    skipInstanceCountWarning: true,
  });
  client.on('warn', (msg: unknown) => log.warn({ file }, `flags: ${String(msg)}`));
  try {
    // once() rejects on an 'error' event, e.g. a definition unleash-client refuses.
    await once(client, 'ready', { signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
  } catch (err) {
    client.destroy();
    throw new Error(`Flags file ${file}: unleash-client did not accept the definitions (${(err as Error).message})`);
  }
  client.on('error', (err: Error) => log.error({ file }, `flags: ${err.message}`));
  return client;
}

/** "name: rollout%[ +shadow]" (or "off") per route flag, for the log line of each load. */
function summarize(data: ClientFeaturesResponse): string[] {
  const byName = new Map(data.features.map((f) => [f.name, f]));
  return data.features
    .filter((f) => !f.name.endsWith(SHADOW_SUFFIX))
    .map((f) => {
      if (!f.enabled) return `${f.name}: off`;
      const shadow = effectiveRollout(byName.get(f.name + SHADOW_SUFFIX)) > 0 ? ' +shadow' : '';
      return `${f.name}: ${effectiveRollout(f)}%${shadow}`;
    });
}
