/**
 * SQLite: the store as a whole (`StoreLifecycle`, ../types.ts): migrations, health, closing, and
 * the sweep that deletes everything expired in one transaction and then checkpoints the WAL, so
 * expired ciphertext, and any acknowledged one whose checkpoint was blocked, leaves every file.
 * @module
 */
import { checkSweep, rowBytes } from '../_checks.ts';
import type { StoreLifecycle } from '../types.ts';
import { checkpoint, type SqliteContext, type SqliteDatabase } from './database.ts';
import { applyMigrations } from './migrations.ts';
import { InProcessNotifier } from './notifier.ts';

const prepare = (db: SqliteDatabase) => ({
  sweepMessages: db.prepare('DELETE FROM messages WHERE expires_at <= ?'),
  sweepBlobs: db.prepare('DELETE FROM blobs WHERE expires_at <= ? OR (complete = 0 AND created_at < ?) RETURNING blob_id').pluck(),
  sweepNonces: db.prepare('DELETE FROM nonces WHERE expires_at <= ?'),
  sweepCodes: db.prepare('DELETE FROM registration_codes WHERE expires_at <= ? OR used_at IS NOT NULL'),
  sweepInvites: db.prepare('DELETE FROM invites WHERE expires_at <= ? OR used_at IS NOT NULL'),
  sweepGrants: db.prepare('DELETE FROM prekey_grants WHERE expires_at <= ?'),
  sweepGrantKeys: db.prepare('DELETE FROM prekey_grant_keys WHERE expires_at <= ?'),
  sweepTombstones: db.prepare('DELETE FROM acked_messages WHERE expires_at <= ?'),
});

export function sqliteLifecycle(ctx: SqliteContext): StoreLifecycle {
  const stmts = ctx.statements(prepare);
  const { db } = ctx;
  return {
    kind: 'sqlite',
    notifier: new InProcessNotifier(),

    async migrate() {
      // A migration that rewrote rows (v4 drops account keys from blob and limit rows) leaves the
      // old pages in the WAL: checkpoint them away too.
      if (applyMigrations(db).length > 0) checkpoint(db);
      ctx.migrated = true;
    },

    async ping() {
      try {
        return db.prepare('SELECT 1').pluck().get() === 1;
      } catch {
        return false;
      }
    },

    async close() {
      if (db.open) db.close();
    },

    async sweep(when, options = {}) {
      const s = stmts();
      const { now, before } = checkSweep(when, options);
      const result = ctx.tx(() => {
        const blobIds = (s.sweepBlobs.all(now, before) as Buffer[]).map(rowBytes);
        // Ended prekey limit windows, their secrets and ack tombstones: deleted, not counted (see StoreLifecycle.sweep).
        s.sweepGrants.run(now);
        s.sweepGrantKeys.run(now);
        s.sweepTombstones.run(now);
        return {
          messages: s.sweepMessages.run(now).changes,
          blobs: blobIds.length,
          nonces: s.sweepNonces.run(now).changes,
          registrationCodes: s.sweepCodes.run(now).changes,
          invites: s.sweepInvites.run(now).changes,
          expiredBlobIds: blobIds,
        };
      });
      // Expired ciphertext, and any acked one whose checkpoint was blocked: out of the WAL too.
      checkpoint(db);
      return result;
    },
  };
}
