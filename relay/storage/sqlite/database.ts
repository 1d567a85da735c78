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
 *   that deleted something and at the end of every sweep (SqliteStore.checkpoint; issue 9 item 3).
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
