/**
 * The client's one IndexedDB module, with versioned upgrades. Everything on the device lives in
 * one database per vault:
 *
 *   meta     key: string            value: the vault header (wrapped key + KDF parameters)
 *   records  key: [collection, blindedPartition, id]   value: { c, p, k, v } with v the
 *            encrypted record (format in vault.ts); compound key path so that a partition is
 *            one contiguous, ordered key range (paging a conversation is one cursor).
 *
 * The database name is a parameter so tests and two profiles (or two accounts) never collide.
 * Upgrades run in order from the stored version; each step only adds, so any older database
 * opens. Does not: encrypt (vault.ts does), or know what a collection means.
 * @module
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';

export const DEFAULT_DB_NAME = 'confidant-vault';

/** Schema version. Bump it and append a step to `UPGRADES` to change the stores. */
export const DB_VERSION = 1;

/** A record id: a string or a number (numbers sort before strings, as IndexedDB orders keys). */
export type RecordId = string | number;

/** The key of one record: collection (clear), blinded partition, id (clear). */
export type RecordKey = [collection: string, partition: string, id: RecordId];

export interface StoredRecord {
  /** Collection name, e.g. "messages". */
  readonly c: string;
  /** Partition, blinded: base64url of a truncated HMAC (vault.ts). */
  readonly p: string;
  /** Record id within the partition; IndexedDB orders by it. */
  readonly k: RecordId;
  /** version(1) || iv(12) || AES-256-GCM ciphertext and tag. */
  readonly v: Uint8Array;
}

/** The wrapped vault key and how to unwrap it. Stored under `meta` key "header". */
export interface StoredHeader {
  readonly format: number;
  readonly vaultId: Uint8Array;
  readonly kdf: Record<string, unknown>;
  readonly wrapIv: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

export interface VaultDB extends DBSchema {
  meta: { key: string; value: StoredHeader };
  records: { key: RecordKey; value: StoredRecord };
}

export type VaultDatabase = IDBPDatabase<VaultDB>;

/** Upgrade steps: `UPGRADES[n]` takes a database from version n to n + 1. */
const UPGRADES: ReadonlyArray<(db: VaultDatabase) => void> = [
  (db) => {
    db.createObjectStore('meta');
    db.createObjectStore('records', { keyPath: ['c', 'p', 'k'] });
  },
];

export interface OpenOptions {
  /** Called after another tab asked to upgrade or delete the database and we closed for it. */
  readonly onClosedByOtherTab?: () => void;
}

/**
 * Open (creating or upgrading) the vault database `name`. On `versionchange` from another tab
 * the connection closes itself so that tab's upgrade or delete is not blocked.
 */
export async function openVaultDB(name: string, options: OpenOptions = {}): Promise<VaultDatabase> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('database name must be a non-empty string');
  return openDB<VaultDB>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      for (let v = oldVersion; v < DB_VERSION; v++) UPGRADES[v]!(db);
    },
    blocking(_current, _blocked, event) {
      (event.target as IDBDatabase).close();
      options.onClosedByOtherTab?.();
    },
  });
}

/** Delete the database `name`. Resolves once every connection has closed and it is gone. */
export async function deleteVaultDB(name: string): Promise<void> {
  await deleteDB(name);
}

/** The key range of one partition: every id, numbers first, then strings, in IndexedDB order. */
export function partitionRange(collection: string, partition: string): IDBKeyRange {
  return IDBKeyRange.bound([collection, partition, -Infinity], [collection, partition, []]);
}
