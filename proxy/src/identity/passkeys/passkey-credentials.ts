import type { Keyv } from 'keyv';
import { randomBase64Url } from './base64url.ts';

/**
 * Passkeys as stored in Keyv (namespace `passkeys`), shared by every proxy instance:
 *   `cred:<credentialId>` -> StoredCredential      (found by id at sign-in)
 *   `user:<userId>`       -> PasskeyUser           (the user's WebAuthn handle and credential ids)
 *   `name:<username>`     -> userId                (lower-cased; sign-in by username without lookupUser)
 * No TTL: a passkey lives until its owner deletes it.
 */
export interface StoredCredential {
  /** base64url credential id, as the browser reports it. */
  id: string;
  /** base64url COSE public key. */
  publicKey: string;
  /** The signature counter last seen; 0 for authenticators that do not count. */
  counter: number;
  transports: string[];
  userId: string;
  username?: string;
  /** Roles when the passkey was registered; refreshed at sign-in when lookupUser is configured. */
  roles: string[];
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Synced passkey (e.g. iCloud Keychain, Google Password Manager) that is backed up. */
  backedUp: boolean;
}

export interface PasskeyUser {
  /** The opaque WebAuthn user.id (base64url of 32 random bytes), never the legacy id. */
  handle: string;
  credentialIds: string[];
}

export interface CredentialStore {
  get(id: string): Promise<StoredCredential | undefined>;
  listFor(userId: string): Promise<StoredCredential[]>;
  /** The user's WebAuthn handle, created (and stored) on first use. */
  handleFor(userId: string): Promise<string>;
  /** The user's handle if they have ever started a registration. */
  existingHandle(userId: string): Promise<string | undefined>;
  userIdForUsername(username: string): Promise<string | undefined>;
  /** Refuses (returns false) when the credential id is already registered to anyone. */
  add(cred: StoredCredential): Promise<boolean>;
  /** Writes counter/lastUsedAt/name back; false when the passkey was deleted meanwhile. */
  update(cred: StoredCredential): Promise<boolean>;
  remove(cred: StoredCredential): Promise<void>;
}

const credKey = (id: string) => `cred:${id}`;
const userKey = (userId: string) => `user:${userId}`;
const nameKey = (username: string) => `name:${username.toLowerCase()}`;

/**
 * Keyv offers no transactions, so each user's list is read-modify-write, serialised per user in
 * this process. Across instances one user adding two passkeys in the same instant could lose a
 * list entry; the credential record itself is written first, and the list is what the account
 * page shows, so the worst case is a passkey the user must add again.
 */
export function createCredentialStore(keyv: Keyv): CredentialStore {
  const tails = new Map<string, Promise<unknown>>();

  function serialised<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(userId) ?? Promise.resolve();
    const done = previous.then(work, work);
    const tail = done.catch(() => undefined);
    tails.set(userId, tail);
    void tail.then(() => {
      if (tails.get(userId) === tail) tails.delete(userId);
    });
    return done;
  }

  const readUser = async (userId: string) => (await keyv.get<PasskeyUser>(userKey(userId))) ?? undefined;

  return {
    async get(id) {
      return (await keyv.get<StoredCredential>(credKey(id))) ?? undefined;
    },
    async listFor(userId) {
      const user = await readUser(userId);
      if (!user || user.credentialIds.length === 0) return [];
      const creds = await keyv.getMany<StoredCredential>(user.credentialIds.map(credKey));
      return creds.filter((c): c is StoredCredential => !!c && c.userId === userId);
    },
    handleFor: (userId) =>
      serialised(userId, async () => {
        const user = await readUser(userId);
        if (user) return user.handle;
        const handle = randomBase64Url(32);
        await keyv.set(userKey(userId), { handle, credentialIds: [] } satisfies PasskeyUser);
        return handle;
      }),
    async existingHandle(userId) {
      return (await readUser(userId))?.handle;
    },
    async userIdForUsername(username) {
      return (await keyv.get<string>(nameKey(username))) ?? undefined;
    },
    add: (cred) =>
      serialised(cred.userId, async () => {
        if (await keyv.has(credKey(cred.id))) return false;
        const user = await readUser(cred.userId);
        if (!user) throw new Error('a passkey was verified for a user without a handle');
        await keyv.set(credKey(cred.id), cred);
        await keyv.set(userKey(cred.userId), { ...user, credentialIds: [...user.credentialIds, cred.id] });
        if (cred.username) await keyv.set(nameKey(cred.username), cred.userId);
        return true;
      }),
    async update(cred) {
      if (!(await keyv.has(credKey(cred.id)))) return false;
      await keyv.set(credKey(cred.id), cred);
      // A deletion that landed between the check and the write would be undone by it: the
      // user's list is the owner's word on what exists, so a credential it no longer names goes.
      if ((await readUser(cred.userId))?.credentialIds.includes(cred.id)) return true;
      await keyv.delete(credKey(cred.id));
      return false;
    },
    remove: (cred) =>
      serialised(cred.userId, async () => {
        // The record first: from then on the passkey cannot sign anyone in.
        await keyv.delete(credKey(cred.id));
        const user = await readUser(cred.userId);
        if (user) {
          await keyv.set(userKey(cred.userId), { ...user, credentialIds: user.credentialIds.filter((id) => id !== cred.id) });
        }
      }),
  };
}
