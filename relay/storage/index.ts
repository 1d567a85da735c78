/**
 * Choosing and opening the relay's storage: SQLite plus blob files under DATA_DIR (the embedded
 * default, nothing to set up), or PostgreSQL when DATABASE_URL is set. The store comes back
 * migrated and ready; the caller closes it.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileBlobStore } from './sqlite/files.ts';
import { openSqliteStore, SQLITE_FILE } from './sqlite/index.ts';
import type { BlobStore, Store } from './types.ts';

export interface OpenedStore {
  readonly store: Store;
  readonly blobs: BlobStore;
}

export interface OpenStoreOptions {
  /** DATA_DIR: holds `relay.sqlite` and `blobs/` when SQLite is used. */
  readonly dataDir: string;
  /** DATABASE_URL: when set (non-empty), PostgreSQL holds everything, blobs included. */
  readonly databaseUrl?: string | undefined;
}

export async function openStore({ dataDir, databaseUrl }: OpenStoreOptions): Promise<OpenedStore> {
  if (databaseUrl !== undefined && databaseUrl !== '') {
    // Loaded only when asked for: an embedded relay never loads pg.
    const { openPostgresStore } = await import('./postgres/index.ts');
    return openPostgresStore(databaseUrl);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore(join(dataDir, SQLITE_FILE));
  try {
    return { store, blobs: await FileBlobStore.open(join(dataDir, 'blobs')) };
  } catch (e) {
    await store.close();
    throw e;
  }
}
