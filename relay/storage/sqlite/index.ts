/**
 * The embedded storage adapter: one SQLite file (better-sqlite3, WAL, `synchronous=FULL`) that
 * implements the relay's Store (../types.ts), composed from one file per resource: accounts.ts,
 * prekeys.ts, mailboxes.ts, messages.ts, blobs.ts (rows), invite-bodies.ts and sweep.ts (migrate, ping, close,
 * sweep), over database.ts (connection settings, transactions, WAL checkpoint) and
 * migrations.ts. The bytes of blobs are files under DATA_DIR/blobs (files.ts).
 *
 * better-sqlite3 is synchronous: each method runs its statements to completion before it
 * returns, and every method that touches several rows does so in one `BEGIN IMMEDIATE`
 * transaction, so no two calls interleave and a call is atomic. The methods are async only
 * because the interface is shared with PostgreSQL.
 *
 * Does not: serve several relay processes (use PostgreSQL).
 * @module
 */
import type { Store } from '../types.ts';
import { sqliteAccounts } from './accounts.ts';
import { sqliteBlobRows } from './blobs.ts';
import { sqliteInviteBodies } from './invite-bodies.ts';
import { checkpoint, openDatabase, sqliteContext } from './database.ts';
import { sqliteMailboxes } from './mailboxes.ts';
import { sqliteMessages } from './messages.ts';
import { sqlitePreKeys } from './prekeys.ts';
import { sqlitePush } from './push.ts';
import { sqliteLifecycle } from './sweep.ts';

/** File name of the database under DATA_DIR. */
export const SQLITE_FILE = 'relay.sqlite';

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  /** Checkpoint the WAL into the file and truncate it now (database.ts `checkpoint`); true when it completed. */
  checkpoint(): boolean;
}

/** Opens (creating if missing) the database file, unmigrated: call `migrate()` before anything else. */
export function sqliteStore(file: string): SqliteStore {
  const ctx = sqliteContext(openDatabase(file));
  return {
    ...sqliteLifecycle(ctx),
    ...sqliteAccounts(ctx),
    ...sqlitePreKeys(ctx),
    ...sqliteMailboxes(ctx),
    ...sqliteMessages(ctx),
    ...sqliteBlobRows(ctx),
    ...sqlitePush(ctx),
    ...sqliteInviteBodies(ctx),
    kind: 'sqlite',
    checkpoint: () => checkpoint(ctx.db),
  };
}

/** Open (creating if needed) and migrate the store in `file`. */
export async function openSqliteStore(file: string): Promise<SqliteStore> {
  const store = sqliteStore(file);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
