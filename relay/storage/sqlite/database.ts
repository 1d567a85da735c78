/**
 * Opening the SQLite file with the settings the relay depends on. Every connection gets them,
 * because most are per connection and a reopened WAL database otherwise falls back to defaults.
 *
 * - `journal_mode=WAL`: readers never block the writer (persisted in the file).
 * - `synchronous=FULL`: in WAL mode NORMAL skips the fsync at commit, so a power loss can undo
 *   commits the relay already acknowledged. FULL syncs the WAL at every commit. Measured cost,
 *   putMessage of a 1 KiB envelope, one at a time, on the 2-core CI VM's ext4 disk: medians of
 *   760-1,070 ops/s with FULL against 2,750-3,050 with NORMAL (two runs of 9 and 15 rounds; the
 *   FULL figures swing 300-2,500 with the shared disk's fsync latency). We pay it: an
 *   acknowledged message must not vanish.
 * - `secure_delete=ON`: deleted rows (acknowledged or expired ciphertext) are overwritten with
 *   zeros instead of lingering in free pages. That covers the database file only: the WAL still
 *   holds the frames that wrote the bytes, so the store checkpoints with TRUNCATE after every ack
 *   that deleted something and at the end of every sweep (`checkpoint` below; issue 9 item 3).
 *   Measured cost on the shared 2-core VM's ext4 disk: a cycle of 5 sends and 1 ack of those 5
 *   took 59-68 ms with the checkpoint against 38-62 ms without (3 rounds of 300 cycles; fsync
 *   latency dominates both and swings widely). We pay it: acknowledged ciphertext must leave.
 * - `foreign_keys=ON`: off by default in SQLite, per connection.
 * - `busy_timeout`: wait for a lock held by another connection instead of failing at once.
 * @module
 */
import Database from 'better-sqlite3';

/** How long a statement waits for another connection's lock before failing (ms). */
export const BUSY_TIMEOUT_MS = 5000;

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string): SqliteDatabase {
  const db = new Database(file);
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`sqlite: journal_mode is ${String(mode)}, expected wal`);
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * `PRAGMA wal_checkpoint(TRUNCATE)`: every WAL frame is copied into the database file and the
 * WAL is cut to zero bytes, so bytes that deleted rows once held (zeroed in the file by
 * secure_delete) are left in no file. Never waits: with busy_timeout 0 a checkpoint that
 * another connection blocks (a reader's snapshot, a backup) gives up at once instead of
 * stalling the relay, and the next ack or sweep tries again. True when it completed.
 */
export function checkpoint(db: SqliteDatabase): boolean {
  db.pragma('busy_timeout = 0');
  try {
    const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return row !== undefined && row.busy === 0 && row.log === 0;
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY') || (e as { code?: string }).code?.startsWith('SQLITE_LOCKED')) return false;
    throw e;
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/**
 * What every resource file of the adapter works with: the connection, a transaction runner and
 * its statements, prepared once the schema exists (`migrate()` first).
 */
export interface SqliteContext {
  readonly db: SqliteDatabase;
  /** Runs `fn` in one BEGIN IMMEDIATE transaction (takes the write lock up front: no upgrade deadlock). */
  tx<T>(fn: () => T): T;
  /** A getter for statements `prepare` makes on first use; throws before `migrate()` ran. */
  statements<T>(prepare: (db: SqliteDatabase) => T): () => T;
  /** Set by `migrate()`: from then on statements can be prepared. */
  migrated: boolean;
}

export function sqliteContext(db: SqliteDatabase): SqliteContext {
  /**
   * One transaction wrapper for every call: better-sqlite3's `transaction()` builds its wrapper
   * functions each time it is called (~20 us, as much as a small commit on tmpfs), so it is
   * built once and handed the work.
   */
  let runner: Database.Transaction<(fn: () => unknown) => unknown> | undefined;
  const ctx: SqliteContext = {
    db,
    migrated: false,
    tx<T>(fn: () => T): T {
      runner ??= db.transaction((work: () => unknown) => work());
      return runner.immediate(fn) as T;
    },
    statements<T>(prepare: (db: SqliteDatabase) => T): () => T {
      let prepared: T | undefined;
      return () => {
        if (prepared !== undefined) return prepared;
        if (!ctx.migrated) throw new Error('sqlite: migrate() must run before the store is used');
        return (prepared = prepare(db));
      };
    },
  };
  return ctx;
}
