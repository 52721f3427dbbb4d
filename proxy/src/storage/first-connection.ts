import { once, type EventEmitter } from 'node:events';
import type KeyvRedis from '@keyv/redis';

type Client = Awaited<ReturnType<KeyvRedis<unknown>['getClient']>>;
const firstConnections = new WeakMap<Client, Promise<unknown>>();

/**
 * The adapter's client, once it has connected for the first time. getClient() hands the client
 * to every caller but the first while it is still connecting, and with the offline queue off
 * their commands fail at once ("The client is offline"): a freshly started instance taking
 * traffic would answer its first concurrent requests with 503s. Later, while Redis is away,
 * commands should fail at once, so only the first connection is waited for.
 */
export async function connectedClient(adapter: KeyvRedis<unknown>): Promise<Client> {
  const client = await adapter.getClient();
  // A cluster or sentinel client has no isReady; the proxy makes single-node clients only.
  if ((client as { isReady?: boolean }).isReady !== false) {
    if (!firstConnections.has(client)) firstConnections.set(client, Promise.resolve());
    return client;
  }
  let first = firstConnections.get(client);
  if (!first) {
    // A failed first attempt ends the wait too: from then on commands fail at once.
    first = once(client as unknown as EventEmitter, 'ready').catch(() => undefined);
    firstConnections.set(client, first);
  }
  await first;
  return client;
}
