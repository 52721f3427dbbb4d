import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { isAlive } from './postgres.ts';
import { startUnleash, type UnleashHandle } from './unleash-server.ts';

const FLAG = 'route.smoke';
const user = { userId: 'u1' };

describe('real Unleash server harness', () => {
  let server: UnleashHandle;
  let client: Unleash;

  beforeAll(async () => {
    server = await startUnleash();
    await server.createFlag(FLAG);
    await server.setRollout(FLAG, 100);
    client = new Unleash({
      url: `${server.url}/api`,
      appName: 'unleash-harness-smoke',
      customHeaders: { Authorization: server.clientToken },
      refreshInterval: 200,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
    });
    await new Promise<void>((resolve, reject) => {
      client.once('synchronized', resolve);
      client.once('error', reject);
    });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('serves a flag that is created but not enabled as off', () => {
    expect(client.getFeatureToggleDefinition(FLAG)?.enabled).toBe(false);
    expect(client.isEnabled(FLAG, user)).toBe(false);
  });

  it('turns a 100% rollout on for the client when the flag is enabled', async () => {
    await server.enable(FLAG);
    await expect.poll(() => client.isEnabled(FLAG, user), { timeout: 5_000, interval: 100 }).toBe(true);
  });

  it('turns it off again when the flag is disabled', async () => {
    await server.disable(FLAG);
    await expect.poll(() => client.isEnabled(FLAG, user), { timeout: 5_000, interval: 100 }).toBe(false);
  });

  it('leaves no unleash-server or PostgreSQL process behind once stopped', async () => {
    client.destroy();
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(isAlive(server.postgresPid)).toBe(false);
  });
});
