import { randomBytes } from 'node:crypto';
import type KeyvRedis from '@keyv/redis';
import type { RedisClientType } from '@keyv/redis';

export interface Broadcast {
  /** Every other instance's `onMessage` gets `message` (this one's does not). */
  publish(message: string): Promise<void>;
  close(): Promise<void>;
}

export interface BroadcastOptions {
  /** The Redis connection messages are published on; the subscription gets a duplicate of it. */
  adapter: KeyvRedis<unknown>;
  channel: string;
  onMessage(message: string): void;
  /**
   * The subscription is back after a break: messages sent meanwhile are lost to this instance,
   * so drop whatever they might have changed.
   */
  onResync(): void;
  onError(err: unknown): void;
}

/**
 * A message every proxy instance hears: Redis pub/sub on a second connection (a subscribed
 * connection can send nothing else). node-redis subscribes again by itself after reconnecting.
 */
export async function createBroadcast(opts: BroadcastOptions): Promise<Broadcast> {
  const publisher = (await opts.adapter.getClient()) as unknown as RedisClientType;
  const subscriber = publisher.duplicate();
  // Published messages come back to their sender too; the sender has already acted on its own.
  const self = randomBytes(8).toString('base64url');
  let connected = false;
  subscriber.on('error', opts.onError);
  subscriber.on('ready', () => {
    if (connected) opts.onResync();
    connected = true;
  });
  await subscriber.connect();
  await subscriber.subscribe(opts.channel, (raw) => {
    const at = raw.indexOf(' ');
    if (raw.slice(0, at) !== self) opts.onMessage(raw.slice(at + 1));
  });
  return {
    async publish(message) {
      await publisher.publish(opts.channel, `${self} ${message}`);
    },
    async close() {
      if (subscriber.isOpen) subscriber.destroy();
    },
  };
}
