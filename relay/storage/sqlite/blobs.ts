/**
 * SQLite: blob metadata rows (`BlobRowStore`, ../types.ts). The bytes are files under
 * DATA_DIR/blobs (files.ts).
 * @module
 */
import { checkBytes, checkCount, checkTime, toBlob, type BlobDbRow } from '../_checks.ts';
import { blobOwnerTag } from '../_tags.ts';
import type { BlobRowStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  createBlob: db.prepare('INSERT OR IGNORE INTO blobs (blob_id, owner_tag, created_at, expires_at) VALUES (?, ?, ?, ?)'),
  completeBlob: db.prepare('UPDATE blobs SET size = ?, complete = 1 WHERE blob_id = ?'),
  getBlob: db.prepare('SELECT blob_id, size, complete, created_at, expires_at FROM blobs WHERE blob_id = ?'),
  deleteBlob: db.prepare('DELETE FROM blobs WHERE blob_id = ?'),
  deleteOwnedBlob: db.prepare('DELETE FROM blobs WHERE blob_id = ? AND owner_tag = ?'),
});

export function sqliteBlobRows(ctx: SqliteContext): BlobRowStore {
  const stmts = ctx.statements(prepare);
  return {
    async createBlob(info) {
      const blobId = checkBytes(info.blobId, 'info.blobId');
      const r = stmts().createBlob.run(
        blobId,
        Buffer.from(blobOwnerTag(blobId, checkBytes(info.owner, 'info.owner'))),
        checkTime(info.createdAt, 'info.createdAt'),
        checkTime(info.expiresAt, 'info.expiresAt'),
      );
      return r.changes === 1 ? 'created' : 'exists';
    },

    async completeBlob(blobId, size) {
      return stmts().completeBlob.run(checkCount(size, 'size'), checkBytes(blobId, 'blobId')).changes === 1;
    },

    async getBlob(blobId) {
      const row = stmts().getBlob.get(checkBytes(blobId, 'blobId')) as BlobDbRow | undefined;
      return row && toBlob(row);
    },

    async deleteBlob(blobId, owner) {
      const s = stmts();
      checkBytes(blobId, 'blobId');
      const r =
        owner === undefined
          ? s.deleteBlob.run(blobId)
          : s.deleteOwnedBlob.run(blobId, Buffer.from(blobOwnerTag(blobId, checkBytes(owner, 'owner'))));
      return r.changes === 1;
    },
  };
}
