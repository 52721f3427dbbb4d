import type { Keyv } from 'keyv';
import { createFirstWrites } from '../../storage/first-write.ts';
import { createSetStore } from '../../storage/set-store.ts';
import { randomBase64Url } from './base64url.ts';

/**
 * Passkeys as stored in Keyv (namespace `passkeys`), shared by every proxy instance:
 *   `cred:<credentialId>` -> StoredCredential   (found by id at sign-in)
 *   `ids:<userId>`        -> set of credential ids (a Redis set: two passkeys added at once both stay)
 *   `handle:<userId>`     -> the user's WebAuthn handle (set once: the first of two racing writes wins)
 *   `name:<username>`     -> userId             (lower-cased; sign-in by username without lookupUser)
 *   `user:<userId>`       -> PasskeyUser        (what earlier versions kept; read once, see adopt())
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

/** What earlier versions stored per user under `user:<userId>`. */
interface PasskeyUser {
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
const idsKey = (userId: string) => `ids:${userId}`;
const handleKey = (userId: string) => `handle:${userId}`;
const legacyUserKey = (userId: string) => `user:${userId}`;
const nameKey = (username: string) => `name:${username.toLowerCase()}`;

export function createCredentialStore(keyv: Keyv): CredentialStore {
  const ids = createSetStore(keyv);
  const handles = createFirstWrites(keyv);

  /**
   * The user's handle, after folding in what an earlier version stored as one `user:` value
   * (its handle and credential ids), so an upgrade loses no passkey. The handle marks a user as
   * adopted: it is claimed only after the ids are in the set. The old value is left in place, so
   * a rollback still finds the passkeys registered before the upgrade.
   */
  async function adopt(userId: string): Promise<string | undefined> {
    const handle = await handles.get(handleKey(userId));
    if (handle !== undefined) return handle;
    const old = await keyv.get<PasskeyUser>(legacyUserKey(userId));
    if (!old) return undefined;
    await ids.add(idsKey(userId), old.credentialIds);
    return handles.claim(handleKey(userId), old.handle);
  }

  return {
    async get(id) {
      return (await keyv.get<StoredCredential>(credKey(id))) ?? undefined;
    },
    async listFor(userId) {
      await adopt(userId);
      const credentialIds = await ids.members(idsKey(userId));
      if (credentialIds.length === 0) return [];
      const creds = await keyv.getMany<StoredCredential>(credentialIds.map(credKey));
      return creds.filter((c): c is StoredCredential => !!c && c.userId === userId).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    },
    async handleFor(userId) {
      return (await adopt(userId)) ?? handles.claim(handleKey(userId), randomBase64Url(32));
    },
    existingHandle: adopt,
    async userIdForUsername(username) {
      return (await keyv.get<string>(nameKey(username))) ?? undefined;
    },
    async add(cred) {
      if (await keyv.has(credKey(cred.id))) return false;
      if ((await adopt(cred.userId)) === undefined) throw new Error('a passkey was verified for a user without a handle');
      // The record first: an id in the set always names a stored passkey, or one being deleted.
      await keyv.set(credKey(cred.id), cred);
      await ids.add(idsKey(cred.userId), [cred.id]);
      if (cred.username) await keyv.set(nameKey(cred.username), cred.userId);
      return true;
    },
    async update(cred) {
      if (!(await keyv.has(credKey(cred.id)))) return false;
      await keyv.set(credKey(cred.id), cred);
      // A deletion that landed between the check and the write would be undone by it: the
      // user's set is the owner's word on what exists, so a credential it no longer names goes.
      await adopt(cred.userId);
      if (await ids.has(idsKey(cred.userId), cred.id)) return true;
      await keyv.delete(credKey(cred.id));
      return false;
    },
    async remove(cred) {
      // The record first: from then on the passkey cannot sign anyone in.
      await keyv.delete(credKey(cred.id));
      await ids.remove(idsKey(cred.userId), [cred.id]);
    },
  };
}
